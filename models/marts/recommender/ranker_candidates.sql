{#- Stage one of the two-stage ranked strategy (ranked_lists): at each cut, for every source the strategies
    serve (recommendation_lists: each article read in the cut's window, each reader trained on, and every
    source a strategy has a list of its own for - content lists new articles nobody has read yet), the
    candidates every other strategy proposes and what each of them thinks of it, one row per candidate.

    Candidates of a source: the union of every strategy's own items for it (the <strategy>_lists models of
    macros/recommender_strategies.sql, unpadded; never ranked_lists itself) and the top
    article_recs__ranker_default_candidates of every strategy's 'default' list (trending, popularity); never
    the source itself, never what a reader read in the cut's window.
    Features, pivoted to one column per strategy: score_<strategy> and rank_<strategy>, the strategy's item for
    this source, else its default-list item (null when the strategy does not list the candidate); n_strategies
    listing it; the candidate's age in hours and publish-date decay (recommender_candidates), its readers in
    the cut's window, its reads in the last retrain_hours before the cut and in the retrain_hours before
    those (the trend and its change); for an article source, whether the candidate shares its section and the
    source's readers; for a reader, their history length (articles read in the window) and the share of it in
    the candidate's section. Nothing here reads an event at or after the cut: labels are joined in
    ranker_training_rows, for scored cuts only. Incremental by cut, in batches of cut times (cut_keyed_config(
    batched=true), macros/recommender_cuts.sql): at 10M events a cut time has ~5M candidate rows (58k sources),
    and the 25 cut times of a full build in one statement had spilled 42 GB after 11 minutes (stopped); one cut
    time takes 38-57 s in batches, the dbt process at most 4.0-4.4 GiB (README, Benchmarks, eighth round).

    Every CTE is inlined (cte_not_materialized(), macros/cross_database.sql): DuckDB would materialize the
    eleven read more than once and hold them in memory; and DuckDB may process the rows in any order
    (preserve_insertion_order()). A full build at 1M events (25 cut times, 9.5M rows), at the project's 3 GB
    memory_limit: peak RSS 3.92 GiB before, 3.65 GiB after, 92 s both (docs/benchmarks.md, second round).
    Written in cut order (the final `order by`), because ranked_lists reads it a batch of cut times at a time:
    unordered, a full build spread each cut time's rows over the whole table, and every batch read decompressed
    all of it (one cut time's 194k rows: 3.0 s; ordered, DuckDB skips the other row groups by their min/max:
    0.3 s). At 1M events, make bench: ranked_lists 135 -> 101 s, this model 66 -> 74-83 s (the sort, and a
    slower machine that day); in the two-hourly run the sort of the new cut costs nothing measurable (the query
    1.24-1.45 s with or without it) (README, Benchmarks). Only
    here: ordering recommendation_lists (11.4M rows) ran out of memory at 3 GB, and the other Python models'
    reads (recommender_cut_reads) did not get faster. -#}

{{ cut_keyed_config(batched=true) }}
{#- the setting restored after the batches (build_cut_batches, run after the commit) -#}
{{ config(
    pre_hook="{{ preserve_insertion_order(false) }}",
    post_hook=after_commit("{{ preserve_insertion_order(true) }}"),
) }}

{%- set strategy_models = recommender_strategy_models() %}
{%- set sources_models = [] %}
{%- for strategy_model in strategy_models.keys() | sort if strategy_model != 'ranked_lists' %}
{%- do sources_models.append(strategy_model) %}
{%- endfor %}
{%- set default_candidates = var('article_recs__ranker_default_candidates') | int %}

with

cuts as {{ cte_not_materialized() }} (

    {{ cuts_to_build(batched=true) }}

),

candidate_articles as {{ cte_not_materialized() }} (

    select * from {{ ref('recommender_candidates') }}

),

articles as {{ cte_not_materialized() }} (

    select * from {{ ref('articles') }}

),

page_views as {{ cte_not_materialized() }} (

    select * from {{ ref('page_views') }}
    where article_id is not null

),

cut_reads as {{ cte_not_materialized() }} (

    select cut_reads.*

    from {{ ref('recommender_cut_reads') }} as cut_reads
    inner join cuts
        on
            cut_reads.site_id = cuts.site_id
            and cut_reads.cut_at = cuts.cut_at

),

reader_reads as {{ cte_not_materialized() }} (

    select
        site_id,
        cut_at,
        'reader' as source_entity_type,
        domain_userid as source_entity_id,
        article_id

    from cut_reads

),

list_sources as {{ cte_not_materialized() }} (

    select sources.*

    from {{ ref('recommender_list_sources') }} as sources
    inner join cuts
        on
            sources.site_id = cuts.site_id
            and sources.cut_at = cuts.cut_at

),

own_lists as {{ cte_not_materialized() }} (

    {% for strategy_model in sources_models %}
    select
        lists.site_id,
        lists.cut_at,
        '{{ strategy_models[strategy_model] }}' as strategy,
        lists.source_entity_type,
        lists.source_entity_id,
        lists.recommended_article_id,
        lists.rank,
        lists.score

    from {{ ref(strategy_model) }} as lists
    inner join cuts
        on
            lists.site_id = cuts.site_id
            and lists.cut_at = cuts.cut_at
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

sources as {{ cte_not_materialized() }} (

    -- every source that must get a list (recommender_list_sources), and any other a strategy has its own list
    -- for (content's related lists of articles nobody has read yet)
    select
        site_id,
        cut_at,
        source_entity_type,
        source_entity_id

    from list_sources

    union

    select
        site_id,
        cut_at,
        source_entity_type,
        source_entity_id

    from own_lists
    where source_entity_type <> 'default'

),

per_source_items as {{ cte_not_materialized() }} (

    select own_lists.*

    from own_lists
    inner join sources
        on
            own_lists.site_id = sources.site_id
            and own_lists.cut_at = sources.cut_at
            and own_lists.source_entity_type = sources.source_entity_type
            and own_lists.source_entity_id = sources.source_entity_id

),

default_items as {{ cte_not_materialized() }} (

    select
        site_id,
        cut_at,
        strategy,
        recommended_article_id,
        rank,
        score

    from own_lists
    where source_entity_type = 'default'

),

proposed as {{ cte_not_materialized() }} (

    select
        site_id,
        cut_at,
        source_entity_type,
        source_entity_id,
        recommended_article_id

    from per_source_items

    union

    select
        sources.site_id,
        sources.cut_at,
        sources.source_entity_type,
        sources.source_entity_id,
        default_items.recommended_article_id

    from sources
    inner join default_items
        on
            sources.site_id = default_items.site_id
            and sources.cut_at = default_items.cut_at
    where default_items.rank <= {{ default_candidates }}

),

allowed as {{ cte_not_materialized() }} (

    select proposed.*

    from proposed
    left join reader_reads as already_read
        on
            proposed.site_id = already_read.site_id
            and proposed.cut_at = already_read.cut_at
            and proposed.source_entity_type = already_read.source_entity_type
            and proposed.source_entity_id = already_read.source_entity_id
            and proposed.recommended_article_id = already_read.article_id
    where
        already_read.article_id is null
        and not (
            proposed.source_entity_type = 'article'
            and proposed.recommended_article_id = proposed.source_entity_id
        )

),

strategy_scores as {{ cte_not_materialized() }} (

    select
        allowed.site_id,
        allowed.cut_at,
        allowed.source_entity_type,
        allowed.source_entity_id,
        allowed.recommended_article_id,
        per_source_items.strategy,
        per_source_items.rank,
        per_source_items.score,
        false as is_default

    from allowed
    inner join per_source_items
        on
            allowed.site_id = per_source_items.site_id
            and allowed.cut_at = per_source_items.cut_at
            and allowed.source_entity_type = per_source_items.source_entity_type
            and allowed.source_entity_id = per_source_items.source_entity_id
            and allowed.recommended_article_id = per_source_items.recommended_article_id

    union all

    select
        allowed.site_id,
        allowed.cut_at,
        allowed.source_entity_type,
        allowed.source_entity_id,
        allowed.recommended_article_id,
        default_items.strategy,
        default_items.rank,
        default_items.score,
        true as is_default

    from allowed
    inner join default_items
        on
            allowed.site_id = default_items.site_id
            and allowed.cut_at = default_items.cut_at
            and allowed.recommended_article_id = default_items.recommended_article_id

),

pivoted as {{ cte_not_materialized() }} (

    select
        site_id,
        cut_at,
        source_entity_type,
        source_entity_id,
        recommended_article_id,
        {%- for strategy_model in sources_models %}
        {%- set strategy = strategy_models[strategy_model] %}
        coalesce(
            max(case when strategy = '{{ strategy }}' and not is_default then score end),
            max(case when strategy = '{{ strategy }}' and is_default then score end)
        ) as score_{{ strategy }},
        coalesce(
            min(case when strategy = '{{ strategy }}' and not is_default then rank end),
            min(case when strategy = '{{ strategy }}' and is_default then rank end)
        ) as rank_{{ strategy }},
        {%- endfor %}
        -- the strategies listing the candidate: one presence flag per strategy summed, not count(distinct
        -- strategy), which made DuckDB keep a set of strategies per group (9.5M groups at 1M events: the
        -- group-by took 81 s of operator time in a DuckDB profile of the query, 38 s this way; make bench:
        -- this model 74-83 -> 42 s; the same rows)
        cast(
            {%- for strategy_model in sources_models %}
            max(case when strategy = '{{ strategy_models[strategy_model] }}' then 1 else 0 end)
            {%- if not loop.last %} +{% endif %}
            {%- endfor %}
            as {{ dbt.type_bigint() }}
        ) as n_strategies

    from strategy_scores
    group by
        site_id,
        cut_at,
        source_entity_type,
        source_entity_id,
        recommended_article_id

),

article_readers as {{ cte_not_materialized() }} (

    select
        site_id,
        cut_at,
        article_id,
        count(*) as n_readers

    from cut_reads
    group by site_id, cut_at, article_id

),

source_articles as {{ cte_not_materialized() }} (

    select
        site_id,
        'article' as source_entity_type,
        article_id as source_entity_id,
        section

    from articles

),

source_readers as {{ cte_not_materialized() }} (

    select
        site_id,
        cut_at,
        'article' as source_entity_type,
        article_id as source_entity_id,
        n_readers

    from article_readers

),

recent_reads as {{ cte_not_materialized() }} (

    select
        cuts.site_id,
        cuts.cut_at,
        page_views.article_id,
        count(
            case
                when page_views.start_tstamp >= {{ dbt.dateadd('hour', '-1 * cuts.retrain_hours', 'cuts.cut_at') }}
                    then 1
            end
        ) as reads_last_window,
        count(
            case
                when page_views.start_tstamp < {{ dbt.dateadd('hour', '-1 * cuts.retrain_hours', 'cuts.cut_at') }}
                    then 1
            end
        ) as reads_previous_window

    from page_views
    inner join cuts
        on page_views.site_id = cuts.site_id
    where
        page_views.start_tstamp < cuts.cut_at
        and page_views.start_tstamp >= {{ dbt.dateadd('hour', '-2 * cuts.retrain_hours', 'cuts.cut_at') }}
    group by cuts.site_id, cuts.cut_at, page_views.article_id

),

reader_sections as {{ cte_not_materialized() }} (

    select
        cut_reads.site_id,
        cut_reads.cut_at,
        'reader' as source_entity_type,
        cut_reads.domain_userid as source_entity_id,
        articles.section,
        count(*) as n_reads

    from cut_reads
    inner join list_sources as training_readers
        on
            cut_reads.site_id = training_readers.site_id
            and cut_reads.cut_at = training_readers.cut_at
            and training_readers.source_entity_type = 'reader'
            and cut_reads.domain_userid = training_readers.source_entity_id
    inner join articles
        on
            cut_reads.site_id = articles.site_id
            and cut_reads.article_id = articles.article_id
    group by cut_reads.site_id, cut_reads.cut_at, cut_reads.domain_userid, articles.section

),

reader_history as {{ cte_not_materialized() }} (

    select
        site_id,
        cut_at,
        source_entity_type,
        source_entity_id,
        sum(n_reads) as n_reads

    from reader_sections
    group by site_id, cut_at, source_entity_type, source_entity_id

),

final as {{ cte_not_materialized() }} (

    select
        pivoted.*,
        candidate_articles.age_days * 24.0 as age_hours,
        candidate_articles.decay,
        coalesce(article_readers.n_readers, 0) as candidate_readers,
        coalesce(recent_reads.reads_last_window, 0) as reads_last_window,
        coalesce(recent_reads.reads_previous_window, 0) as reads_previous_window,
        coalesce(recent_reads.reads_last_window, 0)
        - coalesce(recent_reads.reads_previous_window, 0) as reads_change,
        case
            when source_articles.section is not null
                then case when source_articles.section = candidate.section then 1 else 0 end
        end as same_section,
        case
            when pivoted.source_entity_type = 'article' then coalesce(source_readers.n_readers, 0)
        end as source_readers,
        reader_history.n_reads as reader_history_length,
        case
            when reader_history.n_reads > 0
                then coalesce(reader_sections.n_reads, 0) * 1.0 / reader_history.n_reads
        end as reader_section_share

    from pivoted
    inner join candidate_articles
        on
            pivoted.site_id = candidate_articles.site_id
            and pivoted.cut_at = candidate_articles.cut_at
            and pivoted.recommended_article_id = candidate_articles.article_id
    left join articles as candidate
        on
            pivoted.site_id = candidate.site_id
            and pivoted.recommended_article_id = candidate.article_id
    left join article_readers
        on
            pivoted.site_id = article_readers.site_id
            and pivoted.cut_at = article_readers.cut_at
            and pivoted.recommended_article_id = article_readers.article_id
    left join source_articles
        on
            pivoted.site_id = source_articles.site_id
            and pivoted.source_entity_type = source_articles.source_entity_type
            and pivoted.source_entity_id = source_articles.source_entity_id
    left join source_readers
        on
            pivoted.site_id = source_readers.site_id
            and pivoted.cut_at = source_readers.cut_at
            and pivoted.source_entity_type = source_readers.source_entity_type
            and pivoted.source_entity_id = source_readers.source_entity_id
    left join recent_reads
        on
            pivoted.site_id = recent_reads.site_id
            and pivoted.cut_at = recent_reads.cut_at
            and pivoted.recommended_article_id = recent_reads.article_id
    left join reader_history
        on
            pivoted.site_id = reader_history.site_id
            and pivoted.cut_at = reader_history.cut_at
            and pivoted.source_entity_type = reader_history.source_entity_type
            and pivoted.source_entity_id = reader_history.source_entity_id
    left join reader_sections
        on
            pivoted.site_id = reader_sections.site_id
            and pivoted.cut_at = reader_sections.cut_at
            and pivoted.source_entity_type = reader_sections.source_entity_type
            and pivoted.source_entity_id = reader_sections.source_entity_id
            and candidate.section = reader_sections.section

)

select * from final
order by site_id, cut_at

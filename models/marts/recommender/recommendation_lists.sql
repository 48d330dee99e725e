{#- Every strategy's lists at every cut, padded: what is served (the serving cut's rows, recommendations) and
    what the offline evaluation scores (the earlier cuts' rows, models/marts/evaluation) are these rows.
    Keyed by (site_id, cut_at), incremental by cut.

    Every strategy (macros/recommender_strategies.sql) gets, at each cut, a related list for every article read
    in the cut's window (recommender_cut_reads) and a list for every reader trained on
    (recommender_training_interactions), recs_per_source items each when the fill list has enough:
    - the strategy's own items keep their ranks and scores;
    - the list is padded from the fill list - the strategy's own 'default' list when it has one (popularity),
      else the site's fallback (macros/recommender_strategies.sql) - in its order, skipping the source
      itself, articles already in the list and, for reader lists, what the reader read in the cut's window;
    - a padded item scores ceiling * fill score, ceiling = 0.5 * the lowest own score of the list (1 when the
      strategy had nothing for it): padded items rank and score below the strategy's own items, keep the fill
      list's order and stay in (0, 1]. is_fill marks them.
    Every strategy also has a 'default' list at each cut: its own (popularity) or else the fill list (is_fill),
    the answer for an article it has no list for - served by the API, scored by the evaluation alike.
    A run computes its new cuts in batches of cut times (cut_keyed_config(batched=true), macros/recommender_cuts.sql):
    its rows grow with the sources of every cut, as ranker_candidates' do. -#}

{{ cut_keyed_config(batched=true) }}

{%- set strategy_models = recommender_strategy_models().keys() | sort %}
{%- set strategy_names = recommender_strategy_models().values() | sort %}

with

cuts as (

    {{ cuts_to_build(batched=true) }}

),

{% for strategy_model in strategy_models %}
{{ strategy_model }} as (

    select
        site_id,
        cut_at,
        strategy,
        source_entity_type,
        source_entity_id,
        recommended_article_id,
        rank,
        score

    from {{ ref(strategy_model) }}

),

{% endfor %}
own_lists as (

    {% for strategy_model in strategy_models %}
    select {{ strategy_model }}.*
    from {{ strategy_model }}
    inner join cuts
        on
            {{ strategy_model }}.site_id = cuts.site_id
            and {{ strategy_model }}.cut_at = cuts.cut_at
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

fallback as (

    select
        fallback.site_id,
        fallback.cut_at,
        fallback.recommended_article_id,
        fallback.rank,
        fallback.score

    from {{ ref(recommender_fallback_model()) }} as fallback
    inner join cuts
        on
            fallback.site_id = cuts.site_id
            and fallback.cut_at = cuts.cut_at
    where fallback.source_entity_type = 'default'

),

strategies as (

    {% for strategy in strategy_names %}
    select '{{ strategy }}' as strategy
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

cut_reads as (

    select cut_reads.*

    from {{ ref('recommender_cut_reads') }} as cut_reads
    inner join cuts
        on
            cut_reads.site_id = cuts.site_id
            and cut_reads.cut_at = cuts.cut_at

),

reader_reads as (

    select
        site_id,
        cut_at,
        'reader' as source_entity_type,
        domain_userid as source_entity_id,
        article_id

    from cut_reads

),

sources as (

    select sources.*

    from {{ ref('recommender_list_sources') }} as sources
    inner join cuts
        on
            sources.site_id = cuts.site_id
            and sources.cut_at = cuts.cut_at

),

own_defaults as (

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

defaulted_strategies as (

    select distinct
        site_id,
        cut_at,
        strategy

    from own_defaults

),

borrowed_defaults as (

    select
        fallback.site_id,
        fallback.cut_at,
        strategies.strategy,
        fallback.recommended_article_id,
        fallback.rank,
        fallback.score

    from fallback
    cross join strategies
    left join defaulted_strategies as has_default
        on
            fallback.site_id = has_default.site_id
            and fallback.cut_at = has_default.cut_at
            and strategies.strategy = has_default.strategy
    where has_default.strategy is null

),

fill_lists as (

    select * from own_defaults
    union all
    select * from borrowed_defaults

),

list_heads as (

    select
        sources.site_id,
        sources.cut_at,
        strategies.strategy,
        sources.source_entity_type,
        sources.source_entity_id,
        cuts.recs_per_source,
        count(own_lists.rank) as n_own,
        coalesce(max(own_lists.rank), 0) as max_rank,
        coalesce(0.5 * min(own_lists.score), 1.0) as ceiling

    from sources
    cross join strategies
    inner join cuts
        on
            sources.site_id = cuts.site_id
            and sources.cut_at = cuts.cut_at
    left join own_lists
        on
            sources.site_id = own_lists.site_id
            and sources.cut_at = own_lists.cut_at
            and strategies.strategy = own_lists.strategy
            and sources.source_entity_type = own_lists.source_entity_type
            and sources.source_entity_id = own_lists.source_entity_id
    group by
        sources.site_id,
        sources.cut_at,
        strategies.strategy,
        sources.source_entity_type,
        sources.source_entity_id,
        cuts.recs_per_source

),

padding_candidates as (

    select
        list_heads.site_id,
        list_heads.cut_at,
        list_heads.strategy,
        list_heads.source_entity_type,
        list_heads.source_entity_id,
        list_heads.recs_per_source,
        list_heads.n_own,
        list_heads.max_rank,
        list_heads.ceiling,
        fill_lists.recommended_article_id,
        fill_lists.score as fill_score,
        fill_lists.rank as fill_rank

    from list_heads
    inner join fill_lists
        on
            list_heads.site_id = fill_lists.site_id
            and list_heads.cut_at = fill_lists.cut_at
            and list_heads.strategy = fill_lists.strategy
    left join own_lists
        on
            list_heads.site_id = own_lists.site_id
            and list_heads.cut_at = own_lists.cut_at
            and list_heads.strategy = own_lists.strategy
            and list_heads.source_entity_type = own_lists.source_entity_type
            and list_heads.source_entity_id = own_lists.source_entity_id
            and fill_lists.recommended_article_id = own_lists.recommended_article_id
    left join reader_reads as already_read
        on
            list_heads.site_id = already_read.site_id
            and list_heads.cut_at = already_read.cut_at
            and list_heads.source_entity_type = already_read.source_entity_type
            and list_heads.source_entity_id = already_read.source_entity_id
            and fill_lists.recommended_article_id = already_read.article_id
    where
        list_heads.n_own < list_heads.recs_per_source
        and fill_lists.score > 0
        and own_lists.recommended_article_id is null
        and already_read.article_id is null
        and not (
            list_heads.source_entity_type = 'article'
            and fill_lists.recommended_article_id = list_heads.source_entity_id
        )

),

padding as (

    select
        padding_candidates.*,
        row_number() over (
            partition by
                padding_candidates.site_id,
                padding_candidates.cut_at,
                padding_candidates.strategy,
                padding_candidates.source_entity_type,
                padding_candidates.source_entity_id
            order by padding_candidates.fill_rank, padding_candidates.recommended_article_id
        ) as fill_position

    from padding_candidates

),

final as (

    select
        site_id,
        cut_at,
        strategy,
        source_entity_type,
        source_entity_id,
        recommended_article_id,
        cast(rank as integer) as rank,
        cast(score as {{ type_double() }}) as score,
        false as is_fill

    from own_lists

    union all

    select
        site_id,
        cut_at,
        strategy,
        source_entity_type,
        source_entity_id,
        recommended_article_id,
        cast(max_rank + fill_position as integer) as rank,
        cast(ceiling * fill_score as {{ type_double() }}) as score,
        true as is_fill

    from padding
    where fill_position <= recs_per_source - n_own

    union all

    select
        site_id,
        cut_at,
        strategy,
        'default' as source_entity_type,
        'default' as source_entity_id,
        recommended_article_id,
        cast(rank as integer) as rank,
        cast(score as {{ type_double() }}) as score,
        true as is_fill

    from borrowed_defaults

)

select * from final

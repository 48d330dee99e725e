{#- Every held-out case of the rolling evaluation scored for every strategy: where in the top k of the list
    served at the case's cut (recommendation_lists; the oracle's lists where there is ground truth) the
    case's target stands. Keyed by (site_id, cut_at), incremental by cut: a cut is scored once its window has
    passed, and its rows stay until the cut leaves the hold-out window.

    related (eval_related_cases, one target per case): the source's related list at the cut, or - when the
    strategy has no list for the source (an article first read after the cut, say) - its 'default' list
    without the source, as the API serves it. hr = 1 on a hit in the top k, ndcg = 1 / log2(rank + 1),
    mrr = 1 / rank (0 on a miss).
    reader (eval_reader_cases, one case per reader and cut): recall = hits in the top k / the articles the
    reader went on to read; ndcg = DCG@k / IDCG@k, IDCG over min(k, those articles) hits.
    cold_start: the share of the case's targets nobody had read before the cut. -#}

{{ cut_keyed_config() }}

{%- set k = var('article_recs__eval_k') | int %}

with

cuts as (

    {{ cuts_to_build('cuts.is_scored') }}

),

related_cases as (

    select related_cases.*

    from {{ ref('eval_related_cases') }} as related_cases
    inner join cuts
        on
            related_cases.site_id = cuts.site_id
            and related_cases.cut_at = cuts.cut_at

),

reader_cases as (

    select reader_cases.*

    from {{ ref('eval_reader_cases') }} as reader_cases
    inner join cuts
        on
            reader_cases.site_id = cuts.site_id
            and reader_cases.cut_at = cuts.cut_at

),

served_lists as (

    select
        lists.site_id,
        lists.cut_at,
        lists.strategy,
        lists.source_entity_type,
        lists.source_entity_id,
        lists.recommended_article_id,
        lists.rank,
        cast(null as {{ dbt.type_string() }}) as domain_userid

    from {{ ref('recommendation_lists') }} as lists
    inner join cuts
        on
            lists.site_id = cuts.site_id
            and lists.cut_at = cuts.cut_at

    {%- if target.type in ['duckdb', 'spark'] %}

    union all

    select
        oracle.site_id,
        oracle.cut_at,
        oracle.strategy,
        oracle.source_entity_type,
        oracle.source_entity_id,
        oracle.recommended_article_id,
        oracle.rank,
        oracle.domain_userid

    from {{ ref('eval_oracle_lists') }} as oracle
    inner join cuts
        on
            oracle.site_id = cuts.site_id
            and oracle.cut_at = cuts.cut_at
    {%- endif %}

),

strategies as (

    select distinct
        site_id,
        cut_at,
        strategy

    from served_lists

),

served_defaults as (

    select
        site_id,
        cut_at,
        strategy,
        recommended_article_id,
        rank,
        1 as below

    from served_lists
    where source_entity_type = 'default'

),

-- ----------------------------------------------------------------------------- related: next in session
related_own as (

    select
        cases.site_id,
        cases.cut_at,
        cases.case_id,
        lists.strategy,
        min(case when lists.recommended_article_id = cases.target_article_id then lists.rank end) as hit_rank

    from related_cases as cases
    inner join served_lists as lists
        on
            cases.site_id = lists.site_id
            and cases.cut_at = lists.cut_at
            and lists.source_entity_type = 'article'
            and cases.source_article_id = lists.source_entity_id
            and (lists.domain_userid is null or cases.domain_userid = lists.domain_userid)
    group by cases.site_id, cases.cut_at, cases.case_id, lists.strategy

),

related_default as (

    -- no list for the source: the strategy's default list without the source, ranks closed up
    select
        cases.site_id,
        cases.cut_at,
        cases.case_id,
        default_lists.strategy,
        min(
            case
                when default_lists.recommended_article_id = cases.target_article_id
                    then default_lists.rank - coalesce(source_in_default.below, 0)
            end
        ) as hit_rank

    from related_cases as cases
    inner join served_lists as default_lists
        on
            cases.site_id = default_lists.site_id
            and cases.cut_at = default_lists.cut_at
            and default_lists.source_entity_type = 'default'
    left join related_own as own
        on
            cases.site_id = own.site_id
            and cases.cut_at = own.cut_at
            and cases.case_id = own.case_id
            and default_lists.strategy = own.strategy
    left join served_defaults as source_in_default
        on
            default_lists.site_id = source_in_default.site_id
            and default_lists.cut_at = source_in_default.cut_at
            and default_lists.strategy = source_in_default.strategy
            and cases.source_article_id = source_in_default.recommended_article_id
            and default_lists.rank > source_in_default.rank
    where
        own.case_id is null
        and default_lists.recommended_article_id <> cases.source_article_id
    group by cases.site_id, cases.cut_at, cases.case_id, default_lists.strategy

),

related_ranks as (

    select * from related_own
    union all
    select * from related_default

),

related_scored as (

    select
        cases.site_id,
        cases.cut_at,
        strategies.strategy,
        'related' as task,  -- noqa: RF04
        cases.case_id,
        case when ranks.hit_rank <= {{ k }} then 1.0 else 0.0 end as hr,
        case
            when ranks.hit_rank <= {{ k }} then ln(2.0) / ln(cast(ranks.hit_rank + 1 as {{ type_double() }}))
            else 0.0
        end as ndcg,
        case when ranks.hit_rank <= {{ k }} then 1.0 / ranks.hit_rank else 0.0 end as mrr,
        cast(null as {{ type_double() }}) as recall,
        case when cases.is_cold_start then 1.0 else 0.0 end as cold_start

    from related_cases as cases
    inner join strategies
        on
            cases.site_id = strategies.site_id
            and cases.cut_at = strategies.cut_at
    left join related_ranks as ranks
        on
            cases.site_id = ranks.site_id
            and cases.cut_at = ranks.cut_at
            and cases.case_id = ranks.case_id
            and strategies.strategy = ranks.strategy

),

-- ----------------------------------------------------------------------------- reader: what they read next
reader_hits as (

    select
        cases.site_id,
        cases.cut_at,
        strategies.strategy,
        cases.domain_userid,
        cases.article_id,
        cases.is_cold_start,
        min(lists.rank) as hit_rank

    from reader_cases as cases
    inner join strategies
        on
            cases.site_id = strategies.site_id
            and cases.cut_at = strategies.cut_at
    left join served_lists as lists
        on
            cases.site_id = lists.site_id
            and cases.cut_at = lists.cut_at
            and strategies.strategy = lists.strategy
            and lists.source_entity_type = 'reader'
            and cases.domain_userid = lists.source_entity_id
            and cases.article_id = lists.recommended_article_id
            and lists.rank <= {{ k }}
    group by
        cases.site_id, cases.cut_at, strategies.strategy, cases.domain_userid, cases.article_id, cases.is_cold_start

),

per_reader as (

    select
        site_id,
        cut_at,
        strategy,
        domain_userid,
        count(*) as n_relevant,
        sum(case when hit_rank is null then 0.0 else 1.0 end) as hits,
        sum(
            case
                when hit_rank is null then 0.0
                else ln(2.0) / ln(cast(hit_rank + 1 as {{ type_double() }}))
            end
        ) as dcg,
        avg(case when is_cold_start then 1.0 else 0.0 end) as cold_start

    from reader_hits
    group by site_id, cut_at, strategy, domain_userid

),

positions as (

    {{ dbt.generate_series(k) }}

),

ideal_dcg as (

    -- IDCG@k of a reader with m relevant articles (m = 1..k): the first m positions all hits
    select
        upper_positions.generated_number as n_hits,
        sum(ln(2.0) / ln(cast(lower_positions.generated_number + 1 as {{ type_double() }}))) as idcg

    from positions as upper_positions
    inner join positions as lower_positions
        on upper_positions.generated_number >= lower_positions.generated_number
    group by upper_positions.generated_number

),

reader_scored as (

    select
        per_reader.site_id,
        per_reader.cut_at,
        per_reader.strategy,
        'reader' as task,  -- noqa: RF04
        per_reader.domain_userid as case_id,
        cast(null as {{ type_double() }}) as hr,
        per_reader.dcg / ideal_dcg.idcg as ndcg,
        cast(null as {{ type_double() }}) as mrr,
        per_reader.hits / per_reader.n_relevant as recall,
        per_reader.cold_start

    from per_reader
    inner join ideal_dcg
        on ideal_dcg.n_hits = case when per_reader.n_relevant < {{ k }} then per_reader.n_relevant else {{ k }} end

),

final as (

    select * from related_scored
    union all
    select * from reader_scored

)

select
    site_id,
    cut_at,
    strategy,
    task,
    cast(case_id as {{ dbt.type_string() }}) as case_id,
    cast(hr as {{ type_double() }}) as hr,
    cast(ndcg as {{ type_double() }}) as ndcg,
    cast(mrr as {{ type_double() }}) as mrr,
    cast(recall as {{ type_double() }}) as recall,
    cast(cold_start as {{ type_double() }}) as cold_start

from final

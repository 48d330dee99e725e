{#- The offline evaluation of every strategy, appended every run (one run_id per dbt invocation): the models
    trained at the cut (eval_sites) are scored on the held-out window. Portable SQL over eval_recommendations,
    so PostgreSQL scores the SQL strategies too; article_recs.recommend.evaluation.evaluate is the Python
    reference and tests/python/test_recommender_pipeline.py checks the two agree.

    related (next article in session, one relevant item per eval_next_in_session_pairs row; a case whose
    source has no list is a miss): hr (the next article is in the top k), ndcg (1 / log2(rank + 1) on a hit),
    mrr (1 / rank on a hit), averaged over cases.
    reader (eval_reader_holdout: the articles each reader read in the holdout and not before): recall
    (hits in the top k / held-out reads) and ndcg (DCG@k / IDCG@k, IDCG over min(k, held-out reads) hits),
    averaged over readers.
    Both tasks: coverage (distinct candidate articles in any top-k list / candidate articles of the site at
    the cut), mean_age_days (mean age at the cut of the top-k recommended articles, every row once) and
    n_cases (k = 0: pairs, or readers). Every strategy that has lists is scored on every site with cases. -#}

{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='run_id',
    on_schema_change='fail',
) }}

{%- set k = var('article_recs__eval_k') | int %}

with

sites as (

    select * from {{ ref('eval_sites') }}

),

articles as (

    select * from {{ ref('articles') }}

),

pairs as (

    select * from {{ ref('eval_next_in_session_pairs') }}

),

holdout as (

    select * from {{ ref('eval_reader_holdout') }}

),

top_k as (

    select * from {{ ref('eval_recommendations') }}
    where rank <= {{ k }}

),

{{ recommender_candidates_ctes() }},

strategies as (

    select distinct strategy from top_k

),

-- ----------------------------------------------------------------------------- related: next in session
related_cases as (

    select
        site_id,
        domain_userid,
        source_article_id,
        next_article_id,
        row_number() over (
            order by
                site_id, domain_sessionid, next_read_at, source_article_id, next_article_id, domain_userid
        ) as case_id

    from pairs

),

related_hits as (

    select
        cases.case_id,
        cases.site_id,
        strategies.strategy,
        min(top_k.rank) as hit_rank

    from related_cases as cases
    cross join strategies
    left join top_k
        on
            cases.site_id = top_k.site_id
            and strategies.strategy = top_k.strategy
            and top_k.task = 'related'
            and cases.source_article_id = top_k.source_entity_id
            and cases.next_article_id = top_k.recommended_article_id
            and (top_k.domain_userid is null or cases.domain_userid = top_k.domain_userid)
    group by cases.case_id, cases.site_id, strategies.strategy

),

related_metrics as (

    select
        site_id,
        strategy,
        avg(case when hit_rank is null then 0.0 else 1.0 end) as hr,
        avg(
            case
                when hit_rank is null then 0.0
                else ln(2.0) / ln(cast(hit_rank + 1 as double precision))
            end
        ) as ndcg,
        avg(case when hit_rank is null then 0.0 else 1.0 / hit_rank end) as mrr,
        count(*) as n_cases

    from related_hits
    group by site_id, strategy

),

-- ----------------------------------------------------------------------------- reader: held-out reads
reader_relevant as (

    select distinct
        site_id,
        domain_userid,
        article_id

    from holdout

),

reader_hits as (

    select
        relevant.site_id,
        strategies.strategy,
        relevant.domain_userid,
        relevant.article_id,
        min(top_k.rank) as hit_rank

    from reader_relevant as relevant
    cross join strategies
    left join top_k
        on
            relevant.site_id = top_k.site_id
            and strategies.strategy = top_k.strategy
            and top_k.task = 'reader'
            and relevant.domain_userid = top_k.source_entity_id
            and relevant.article_id = top_k.recommended_article_id
    group by relevant.site_id, strategies.strategy, relevant.domain_userid, relevant.article_id

),

per_reader as (

    select
        site_id,
        strategy,
        domain_userid,
        count(*) as n_relevant,
        sum(case when hit_rank is null then 0.0 else 1.0 end) as hits,
        sum(
            case
                when hit_rank is null then 0.0
                else ln(2.0) / ln(cast(hit_rank + 1 as double precision))
            end
        ) as dcg

    from reader_hits
    group by site_id, strategy, domain_userid

),

positions as (

    {{ dbt.generate_series(k) }}

),

ideal_dcg as (

    -- IDCG@k of a reader with m relevant articles (m = 1..k): the first m positions all hits
    select
        upper_positions.generated_number as n_hits,
        sum(ln(2.0) / ln(cast(lower_positions.generated_number + 1 as double precision))) as idcg

    from positions as upper_positions
    inner join positions as lower_positions
        on upper_positions.generated_number >= lower_positions.generated_number
    group by upper_positions.generated_number

),

reader_metrics as (

    select
        per_reader.site_id,
        per_reader.strategy,
        avg(per_reader.hits / per_reader.n_relevant) as recall,
        avg(per_reader.dcg / ideal_dcg.idcg) as ndcg,
        count(*) as n_cases

    from per_reader
    inner join ideal_dcg
        on ideal_dcg.n_hits = case when per_reader.n_relevant < {{ k }} then per_reader.n_relevant else {{ k }} end
    group by per_reader.site_id, per_reader.strategy

),

-- ----------------------------------------------------------------------------- lists: coverage and age
site_candidates as (

    select
        site_id,
        count(*) as n_candidates

    from candidate_articles
    group by site_id

),

covered as (

    select
        top_k.site_id,
        top_k.strategy,
        top_k.task,
        count(distinct top_k.recommended_article_id) as n_covered

    from top_k
    inner join candidate_articles as candidates
        on
            top_k.site_id = candidates.site_id
            and top_k.recommended_article_id = candidates.article_id
    group by top_k.site_id, top_k.strategy, top_k.task

),

coverage as (

    select
        covered.site_id,
        covered.strategy,
        covered.task,
        {{ safe_divide('covered.n_covered', 'site_candidates.n_candidates') }} as coverage

    from covered
    inner join site_candidates
        on covered.site_id = site_candidates.site_id

),

recommended_ages as (

    select
        top_k.site_id,
        top_k.strategy,
        top_k.task,
        avg(
            case
                when {{ age_in_days('coalesce(articles.published_at, articles.first_seen_at)', 'sites.as_of') }} > 0
                    then {{ age_in_days('coalesce(articles.published_at, articles.first_seen_at)', 'sites.as_of') }}
                else 0.0
            end
        ) as mean_age_days

    from top_k
    inner join sites
        on top_k.site_id = sites.site_id
    inner join articles
        on
            top_k.site_id = articles.site_id
            and top_k.recommended_article_id = articles.article_id
    where coalesce(articles.published_at, articles.first_seen_at) is not null
    group by top_k.site_id, top_k.strategy, top_k.task

),

-- ----------------------------------------------------------------------------- long format
metrics as (

    select
        site_id,
        strategy,
        'related' as task,  -- noqa: RF04
        'hr' as metric,
        {{ k }} as k,
        hr as value  -- noqa: RF04

    from related_metrics

    union all

    select
        site_id,
        strategy,
        'related' as task,  -- noqa: RF04
        'ndcg' as metric,
        {{ k }} as k,
        ndcg as value  -- noqa: RF04

    from related_metrics

    union all

    select
        site_id,
        strategy,
        'related' as task,  -- noqa: RF04
        'mrr' as metric,
        {{ k }} as k,
        mrr as value  -- noqa: RF04

    from related_metrics

    union all

    select
        site_id,
        strategy,
        'related' as task,  -- noqa: RF04
        'n_cases' as metric,
        0 as k,
        n_cases as value  -- noqa: RF04

    from related_metrics

    union all

    select
        site_id,
        strategy,
        'reader' as task,  -- noqa: RF04
        'recall' as metric,
        {{ k }} as k,
        recall as value  -- noqa: RF04

    from reader_metrics

    union all

    select
        site_id,
        strategy,
        'reader' as task,  -- noqa: RF04
        'ndcg' as metric,
        {{ k }} as k,
        ndcg as value  -- noqa: RF04

    from reader_metrics

    union all

    select
        site_id,
        strategy,
        'reader' as task,  -- noqa: RF04
        'n_cases' as metric,
        0 as k,
        n_cases as value  -- noqa: RF04

    from reader_metrics

    union all

    select
        site_id,
        strategy,
        task,
        'coverage' as metric,
        {{ k }} as k,
        coverage as value  -- noqa: RF04

    from coverage

    union all

    select
        site_id,
        strategy,
        task,
        'mean_age_days' as metric,
        {{ k }} as k,
        mean_age_days as value  -- noqa: RF04

    from recommended_ages

),

final as (

    select
        cast('{{ invocation_id }}' as {{ dbt.type_string() }}) as run_id,
        cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S") }}' as {{ dbt.type_timestamp() }}) as evaluated_at,
        site_id,
        strategy,
        task,
        metric,
        cast(k as integer) as k,
        cast(value as double precision) as value  -- noqa: RF04

    from metrics

)

select * from final

{#- The rolling offline evaluation of every strategy, appended every run (one run_id per dbt invocation):
    every held-out case of the hold-out window scored against the lists of the cut that was being served
    when it happened (eval_case_hits), averaged per (site, strategy, task). Portable SQL.

    related: hr, ndcg, mrr (means over cases), hr_cold_start (hr over the cases whose target nobody had read
    before its cut). reader: recall, ndcg (means over (reader, cut) cases). Both: n_cases, n_cuts and
    cold_start_share (k = 0), coverage (distinct articles in the top k of the strategy's lists of that task
    / candidate articles, per cut, averaged over the scored cuts) and mean_age_days (mean age at the cut of
    the articles in those top k).
    ci_low / ci_high: a 95% percentile bootstrap over cases (article_recs__eval_bootstrap_samples Poisson(1)
    resamples, seeded by article_recs__eval_bootstrap_seed; the same case weighs the same in every strategy, so
    the intervals of two strategies compare paired cases), on the metrics that are means over cases. -#}

{{ config(
    materialized=stateful_materialization(),
    incremental_strategy='delete+insert',
    unique_key='run_id',
    on_schema_change='fail',
) }}

{%- set k = var('article_recs__eval_k') | int %}
{%- set n_samples = var('article_recs__eval_bootstrap_samples') | int %}
{%- set seed = var('article_recs__eval_bootstrap_seed') | int %}

with

hits as (

    select * from {{ ref('eval_case_hits') }}

),

scored_cuts as (

    select * from {{ ref('recommender_cuts') }}
    where is_scored

),

candidates as (

    select candidates.*

    from {{ ref('recommender_candidates') }} as candidates
    inner join scored_cuts
        on
            candidates.site_id = scored_cuts.site_id
            and candidates.cut_at = scored_cuts.cut_at

),

top_k as (

    select
        lists.site_id,
        lists.cut_at,
        lists.strategy,
        case lists.source_entity_type when 'article' then 'related' else 'reader' end as task,  -- noqa: RF04
        lists.recommended_article_id

    from {{ ref('recommendation_lists') }} as lists
    inner join scored_cuts
        on
            lists.site_id = scored_cuts.site_id
            and lists.cut_at = scored_cuts.cut_at
    where
        lists.rank <= {{ k }}
        and lists.source_entity_type in ('article', 'reader')

),

-- ----------------------------------------------------------------------------- per-case values, long
case_values as (

    {% for metric, task, condition in [
        ('hr', 'related', 'true'),
        ('ndcg', 'related', 'true'),
        ('mrr', 'related', 'true'),
        ('hr_cold_start', 'related', 'cold_start = 1'),
        ('recall', 'reader', 'true'),
        ('ndcg', 'reader', 'true'),
    ] %}
    select
        site_id,
        strategy,
        task,
        '{{ metric }}' as metric,
        {{ dbt.concat(['site_id', "'|'", dbt.cast('cut_at', dbt.type_string()), "'|'", 'task', "'|'", 'case_id']) }}
            as case_key,
        {{ metric.replace('_cold_start', '') }} as value  -- noqa: RF04

    from hits
    where task = '{{ task }}' and {{ condition }}
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

point_estimates as (

    select
        site_id,
        strategy,
        task,
        metric,
        avg(value) as value,  -- noqa: RF04
        count(*) as n_cases

    from case_values
    group by site_id, strategy, task, metric

),

-- ----------------------------------------------------------------------------- bootstrap intervals
samples as (

    {{ dbt.generate_series(n_samples) }}

),

case_weights as (

    -- Poisson(1) draws by the inverse CDF of a seeded uniform per (case, sample)
    select
        draws.case_key,
        draws.sample_id,
        case
            when draws.u < 0.36788 then 0
            when draws.u < 0.73576 then 1
            when draws.u < 0.91970 then 2
            when draws.u < 0.98101 then 3
            when draws.u < 0.99634 then 4
            when draws.u < 0.99941 then 5
            else 6
        end as weight

    from (
        select
            case_values.case_key,
            samples.generated_number as sample_id,
            {{ hash_unit_interval(dbt.concat([
                'case_values.case_key', "'|" ~ seed ~ "|'",
                dbt.cast('samples.generated_number', dbt.type_string())
            ])) }} as u
        from (select distinct case_key from case_values) as case_values
        cross join samples
    ) as draws

),

resampled as (

    select
        case_values.site_id,
        case_values.strategy,
        case_values.task,
        case_values.metric,
        case_weights.sample_id,
        sum(case_weights.weight * case_values.value) / nullif(sum(case_weights.weight), 0) as value  -- noqa: RF04

    from case_values
    inner join case_weights
        on case_values.case_key = case_weights.case_key
    group by case_values.site_id, case_values.strategy, case_values.task, case_values.metric, case_weights.sample_id

),

intervals as (

    select
        site_id,
        strategy,
        task,
        metric,
        percentile_cont(0.025) within group (order by value) as ci_low,
        percentile_cont(0.975) within group (order by value) as ci_high

    from resampled
    where value is not null
    group by site_id, strategy, task, metric

),

-- ----------------------------------------------------------------------------- counts, coverage and age
case_counts as (

    select
        site_id,
        strategy,
        task,
        count(*) as n_cases,
        count(distinct cut_at) as n_cuts,
        avg(cold_start) as cold_start_share

    from hits
    group by site_id, strategy, task

),

covered as (

    select
        top_k.site_id,
        top_k.cut_at,
        top_k.strategy,
        top_k.task,
        count(distinct top_k.recommended_article_id) as n_covered

    from top_k
    inner join candidates
        on
            top_k.site_id = candidates.site_id
            and top_k.cut_at = candidates.cut_at
            and top_k.recommended_article_id = candidates.article_id
    group by top_k.site_id, top_k.cut_at, top_k.strategy, top_k.task

),

cut_candidates as (

    select
        site_id,
        cut_at,
        count(*) as n_candidates

    from candidates
    group by site_id, cut_at

),

coverage as (

    select
        covered.site_id,
        covered.strategy,
        covered.task,
        avg({{ safe_divide('covered.n_covered', 'cut_candidates.n_candidates') }}) as coverage

    from covered
    inner join cut_candidates
        on
            covered.site_id = cut_candidates.site_id
            and covered.cut_at = cut_candidates.cut_at
    group by covered.site_id, covered.strategy, covered.task

),

recommended_ages as (

    select
        top_k.site_id,
        top_k.strategy,
        top_k.task,
        avg(candidates.age_days) as mean_age_days

    from top_k
    inner join candidates
        on
            top_k.site_id = candidates.site_id
            and top_k.cut_at = candidates.cut_at
            and top_k.recommended_article_id = candidates.article_id
    group by top_k.site_id, top_k.strategy, top_k.task

),

-- ----------------------------------------------------------------------------- long format
metrics as (

    select
        point_estimates.site_id,
        point_estimates.strategy,
        point_estimates.task,
        point_estimates.metric,
        {{ k }} as k,
        point_estimates.value,
        intervals.ci_low,
        intervals.ci_high

    from point_estimates
    left join intervals
        on
            point_estimates.site_id = intervals.site_id
            and point_estimates.strategy = intervals.strategy
            and point_estimates.task = intervals.task
            and point_estimates.metric = intervals.metric

    {% for metric in ['n_cases', 'n_cuts', 'cold_start_share'] %}
    union all

    select
        site_id,
        strategy,
        task,
        '{{ metric }}' as metric,
        0 as k,
        {{ metric }} as value,  -- noqa: RF04
        cast(null as {{ type_double() }}) as ci_low,
        cast(null as {{ type_double() }}) as ci_high

    from case_counts
    {% endfor %}

    union all

    select
        case_counts.site_id,
        case_counts.strategy,
        case_counts.task,
        'coverage' as metric,
        {{ k }} as k,
        coverage.coverage as value,  -- noqa: RF04
        cast(null as {{ type_double() }}) as ci_low,
        cast(null as {{ type_double() }}) as ci_high

    from case_counts
    inner join coverage
        on
            case_counts.site_id = coverage.site_id
            and case_counts.strategy = coverage.strategy
            and case_counts.task = coverage.task

    union all

    select
        case_counts.site_id,
        case_counts.strategy,
        case_counts.task,
        'mean_age_days' as metric,
        {{ k }} as k,
        recommended_ages.mean_age_days as value,  -- noqa: RF04
        cast(null as {{ type_double() }}) as ci_low,
        cast(null as {{ type_double() }}) as ci_high

    from case_counts
    inner join recommended_ages
        on
            case_counts.site_id = recommended_ages.site_id
            and case_counts.strategy = recommended_ages.strategy
            and case_counts.task = recommended_ages.task

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
        cast(value as {{ type_double() }}) as value,  -- noqa: RF04
        cast(ci_low as {{ type_double() }}) as ci_low,
        cast(ci_high as {{ type_double() }}) as ci_high

    from metrics

)

select * from final

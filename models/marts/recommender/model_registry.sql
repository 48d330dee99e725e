{#- One row per model version (see the model docs for the life cycle). Each run adds the models of this run
    (from recommendations) as current, turns the previous current ones stale, keeps models_to_keep per
    (site, strategy) and, in its post-hooks (the same transaction), deletes the registry rows and the
    recommendations of the models it dropped. Headline metrics are this run's offline evaluation of the
    strategy (trained at the cut; model_evaluations). -#}

{{ config(
    materialized=stateful_materialization(),
    incremental_strategy='delete+insert',
    unique_key='model_id',
    on_schema_change='fail',
    post_hook=[
        "{{ registry_retention_sql() }}",
        "{{ registry_orphans_sql() }}",
    ],
) }}

{%- set knn_knobs = [
    'training_window_days', 'min_article_readers', 'min_reader_articles', 'min_dwell_s', 'max_dwell_s',
    'min_reader_total_dwell_s', 'max_article_age_days', 'decay_half_life_days', 'recs_per_source',
    'popularity_window_days', 'popularity_half_life_days', 'popularity_top_n',
    'knn_max_reads_per_reader', 'knn_min_co_readers', 'knn_reader_neighbours',
] %}
{#- ALS trains on the same interactions as item-kNN and pads with the same popularity; its hyper-parameters are
    project vars (no recommender_sites column): rendered into the JSON as they are. -#}
{%- set als_knobs = [] %}
{%- for knob in knn_knobs if not knob.startswith('knn_') %}{% do als_knobs.append(knob) %}{% endfor %}
{%- set als_constants = {} %}
{%- set als_vars = ['als_factors', 'als_regularization', 'als_iterations', 'als_alpha', 'als_seed', 'als_threads'] %}
{%- for name in als_vars %}{% do als_constants.update({name: var('article_recs__' ~ name)}) %}{% endfor %}
{%- set popularity_knobs = [
    'popularity_window_days', 'popularity_half_life_days', 'popularity_top_n', 'max_article_age_days',
    'recs_per_source',
] %}
{%- set trending_knobs = [
    'trending_window_hours', 'trending_half_life_hours', 'popularity_top_n', 'max_article_age_days',
    'decay_half_life_days',
] %}
{%- set covisitation_knobs = [
    'covisitation_window_days', 'covisitation_half_life_hours', 'covisitation_max_gap', 'max_article_age_days',
    'decay_half_life_days', 'recs_per_source',
] %}
{#- a strategy without its own list here records every knob in force -#}
{%- set all_knobs = recommender_site_knobs() + recommender_var_knobs() %}
{%- set k = var('article_recs__eval_k') | int %}

with

sites as (

    select * from {{ ref('recommender_cuts') }}
    where is_serving

),

recommendations as (

    select * from {{ ref('recommendations') }}
    where model_id like '%{{ recommender_model_suffix() }}'

),

training_interactions as (

    select training_interactions.*

    from {{ ref('recommender_training_interactions') }} as training_interactions
    inner join sites
        on
            training_interactions.site_id = sites.site_id
            and training_interactions.cut_at = sites.cut_at

),

page_views as (

    select * from {{ ref('page_views') }}
    where article_id is not null

),

evaluations as (

    select * from {{ ref('model_evaluations') }}
    where run_id = '{{ invocation_id }}'

),

{% if target.type in ['duckdb', 'spark'] -%}
als_runs as (

    select
        als_lists.site_id,
        max(als_lists.n_interactions) as n_interactions,
        max(als_lists.n_readers) as n_readers,
        max(als_lists.n_articles) as n_articles,
        max(als_lists.train_seconds) as train_seconds

    from {{ ref('als_lists') }} as als_lists
    inner join sites
        on
            als_lists.site_id = sites.site_id
            and als_lists.cut_at = sites.cut_at
    group by als_lists.site_id

),

ranked_runs as (

    -- the ranker at the serving cut: its CatBoost parameters, training rows and feature importances
    select
        ranked_lists.site_id,
        max(ranked_lists.n_training_rows) as n_interactions,
        max(ranked_lists.train_seconds) as train_seconds,
        {{ dbt.concat([
            "'{\"ranker\": \"'", 'max(ranked_lists.ranker)', "'\", \"params\": '",
            "coalesce(max(ranked_lists.ranker_params), 'null')",
            "', \"n_training_groups\": '", dbt.cast('max(ranked_lists.n_training_groups)', dbt.type_string()),
            "', \"n_training_cuts\": '", dbt.cast('max(ranked_lists.n_training_cuts)', dbt.type_string()),
            "', \"feature_importances\": '", "coalesce(max(ranked_lists.feature_importances), 'null')",
            "'}'",
        ]) }} as params

    from {{ ref('ranked_lists') }} as ranked_lists
    inner join sites
        on
            ranked_lists.site_id = sites.site_id
            and ranked_lists.cut_at = sites.cut_at
    group by ranked_lists.site_id

),

{% endif -%}

knn_training as (

    select
        site_id,
        count(*) as n_interactions,
        count(distinct domain_userid) as n_readers,
        count(distinct article_id) as n_articles

    from training_interactions
    group by site_id

),

strategy_windows as (

    -- the strategies that read page views directly: their window before the cut
    select
        site_id,
        cut_at,
        'popularity' as strategy,
        {{ dbt.dateadd('day', '-1 * popularity_window_days', 'cut_at') }} as window_start
    from sites
    union all
    select
        site_id,
        cut_at,
        'trending' as strategy,
        {{ dbt.dateadd('hour', '-1 * trending_window_hours', 'cut_at') }} as window_start
    from sites
    union all
    select
        site_id,
        cut_at,
        'covisitation' as strategy,
        {{ dbt.dateadd('day', '-1 * covisitation_window_days', 'cut_at') }} as window_start
    from sites

),

window_reads as (

    select
        page_views.site_id,
        strategy_windows.strategy,
        count(*) as n_interactions,
        count(distinct page_views.domain_userid) as n_readers,
        count(distinct page_views.article_id) as n_articles

    from page_views
    inner join strategy_windows
        on page_views.site_id = strategy_windows.site_id
    where
        page_views.start_tstamp < strategy_windows.cut_at
        and page_views.start_tstamp >= strategy_windows.window_start
    group by page_views.site_id, strategy_windows.strategy

),

new_models as (

    select
        model_id,
        site_id,
        strategy,
        count(*) as n_recommendations,
        count(distinct case when source_entity_type = 'article' then source_entity_id end) as n_article_lists,
        count(distinct case when source_entity_type = 'reader' then source_entity_id end) as n_reader_lists

    from recommendations
    group by model_id, site_id, strategy

),

headline_metrics as (

    select
        site_id,
        strategy,
        max(case when task = 'related' and metric = 'hr' then value end) as related_hr,
        max(case when task = 'related' and metric = 'ndcg' then value end) as related_ndcg,
        max(case when task = 'related' and metric = 'mrr' then value end) as related_mrr,
        max(case when task = 'reader' and metric = 'recall' then value end) as reader_recall,
        max(case when task = 'reader' and metric = 'ndcg' then value end) as reader_ndcg,
        max(case when task = 'related' and metric = 'coverage' then value end) as related_coverage

    from evaluations
    where k in (0, {{ k }})
    group by site_id, strategy

),

this_run as (

    select
        new_models.model_id,
        cast('{{ invocation_id }}' as {{ dbt.type_string() }}) as run_id,
        new_models.site_id,
        new_models.strategy,
        {{ recommender_run_timestamp() }} as trained_at,
        cast(
            case new_models.strategy
                {% if target.type in ['duckdb', 'spark'] -%}
                when 'als' then {{ recommender_params_json('sites', als_knobs, als_constants) }}
                when 'ranked' then ranked_runs.params
                {% endif -%}
                when 'item_knn' then {{ recommender_params_json('sites', knn_knobs) }}
                when 'popularity' then {{ recommender_params_json('sites', popularity_knobs) }}
                when 'trending' then {{ recommender_params_json('sites', trending_knobs) }}
                when 'covisitation' then {{ recommender_params_json('sites', covisitation_knobs) }}
                else {{ recommender_params_json('sites', all_knobs) }}
            end as {{ dbt.type_string() }}
        ) as params,
        case
            when new_models.strategy = 'popularity'
                then {{ dbt.dateadd('day', '-1 * sites.popularity_window_days', 'sites.cut_at') }}
            when new_models.strategy = 'trending'
                then {{ dbt.dateadd('hour', '-1 * sites.trending_window_hours', 'sites.cut_at') }}
            when new_models.strategy = 'covisitation'
                then {{ dbt.dateadd('day', '-1 * sites.covisitation_window_days', 'sites.cut_at') }}
            else {{ dbt.dateadd('day', '-1 * sites.training_window_days', 'sites.cut_at') }}
        end as train_window_start,
        sites.cut_at as train_window_end,
        cast(
            case new_models.strategy
                {% if target.type in ['duckdb', 'spark'] -%}
                when 'als' then als_runs.n_interactions
                when 'ranked' then ranked_runs.n_interactions
                {% endif -%}
                when 'item_knn' then knn_training.n_interactions
                when 'popularity' then window_reads.n_interactions
                when 'trending' then window_reads.n_interactions
                when 'covisitation' then window_reads.n_interactions
            end as bigint
        ) as n_interactions,
        cast(
            case new_models.strategy
                {% if target.type in ['duckdb', 'spark'] -%}
                when 'als' then als_runs.n_readers
                {% endif -%}
                when 'item_knn' then knn_training.n_readers
                when 'popularity' then window_reads.n_readers
                when 'trending' then window_reads.n_readers
                when 'covisitation' then window_reads.n_readers
            end as bigint
        ) as n_readers,
        cast(
            case new_models.strategy
                {% if target.type in ['duckdb', 'spark'] -%}
                when 'als' then als_runs.n_articles
                {% endif -%}
                when 'item_knn' then knn_training.n_articles
                when 'popularity' then window_reads.n_articles
                when 'trending' then window_reads.n_articles
                when 'covisitation' then window_reads.n_articles
            end as bigint
        ) as n_articles,
        {%- if target.type in ['duckdb', 'spark'] %}
        cast(
            case
                when new_models.strategy = 'als' then als_runs.train_seconds
                when new_models.strategy = 'ranked' then ranked_runs.train_seconds
            end as {{ type_double() }}
        )
        {%- else %}
        cast(null as {{ type_double() }})
        {%- endif %} as train_seconds,
        cast(new_models.n_recommendations as bigint) as n_recommendations,
        cast(new_models.n_article_lists as bigint) as n_article_lists,
        cast(new_models.n_reader_lists as bigint) as n_reader_lists,
        cast({{ k }} as integer) as eval_k,
        cast(headline_metrics.related_hr as {{ type_double() }}) as related_hr,
        cast(headline_metrics.related_ndcg as {{ type_double() }}) as related_ndcg,
        cast(headline_metrics.related_mrr as {{ type_double() }}) as related_mrr,
        cast(headline_metrics.reader_recall as {{ type_double() }}) as reader_recall,
        cast(headline_metrics.reader_ndcg as {{ type_double() }}) as reader_ndcg,
        cast(headline_metrics.related_coverage as {{ type_double() }}) as related_coverage,
        cast('current' as {{ dbt.type_string() }}) as status,
        cast(null as {{ dbt.type_string() }}) as error_message

    from new_models
    inner join sites
        on new_models.site_id = sites.site_id
    {%- if target.type in ['duckdb', 'spark'] %}
    left join als_runs
        on new_models.site_id = als_runs.site_id
    left join ranked_runs
        on new_models.site_id = ranked_runs.site_id
    {%- endif %}
    left join knn_training
        on new_models.site_id = knn_training.site_id
    left join window_reads
        on
            new_models.site_id = window_reads.site_id
            and new_models.strategy = window_reads.strategy
    left join headline_metrics
        on
            new_models.site_id = headline_metrics.site_id
            and new_models.strategy = headline_metrics.strategy

),

all_models as (

    select * from this_run
    {%- if is_incremental() %}

    union all

    select * from {{ this }}
    where model_id not in (select this_run.model_id from this_run)
    {%- endif %}

),

kept as (

    {{ registry_kept_model_ids('all_models') }}

),

current_models as (

    select
        model_id,
        row_number() over (
            partition by site_id, strategy order by trained_at desc, model_id desc
        ) as recency

    from all_models
    where status <> 'failed'

),

final as (

    select
        all_models.model_id,
        all_models.run_id,
        all_models.site_id,
        all_models.strategy,
        all_models.trained_at,
        all_models.params,
        all_models.train_window_start,
        all_models.train_window_end,
        all_models.n_interactions,
        all_models.n_readers,
        all_models.n_articles,
        all_models.train_seconds,
        all_models.n_recommendations,
        all_models.n_article_lists,
        all_models.n_reader_lists,
        all_models.eval_k,
        all_models.related_hr,
        all_models.related_ndcg,
        all_models.related_mrr,
        all_models.reader_recall,
        all_models.reader_ndcg,
        all_models.related_coverage,
        case
            when all_models.status = 'failed' then 'failed'
            when current_models.recency = 1 then 'current'
            else 'stale'
        end as status,
        all_models.error_message

    from all_models
    inner join kept
        on all_models.model_id = kept.model_id
    left join current_models
        on all_models.model_id = current_models.model_id

)

select * from final

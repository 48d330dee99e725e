{#- Every strategy's lists of this run under a new model_id per (site, strategy)
    (<site>-<strategy>-<run_started_at %Y%m%dT%H%M%S>), appended to the rows of the models kept from earlier
    runs. Rows become visible to readers when model_registry (built next) makes their model current; the
    registry's post-hook deletes the rows of models it no longer keeps. Serve what the registry says:
    join on model_id with status = 'current'. -#}

{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='model_id',
    on_schema_change='fail',
) }}

{%- set strategies = ['item_knn_recommendations', 'popularity_recommendations'] %}
{%- if target.type == 'duckdb' %}
{%- set strategies = ['als_recommendations'] + strategies %}
{%- endif %}

with

{% for strategy in strategies %}
{{ strategy }} as (

    select * from {{ ref(strategy) }}

),

{% endfor %}
this_run as (

    {% for strategy in strategies %}
    select
        site_id,
        strategy,
        source_entity_type,
        source_entity_id,
        recommended_article_id,
        rank,
        score

    from {{ strategy }}
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

final as (

    select
        {{ recommender_model_id('site_id', 'strategy') }} as model_id,
        site_id,
        strategy,
        source_entity_type,
        source_entity_id,
        recommended_article_id,
        cast(rank as integer) as rank,
        cast(score as double precision) as score

    from this_run

)

select * from final

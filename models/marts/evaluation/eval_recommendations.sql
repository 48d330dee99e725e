{#- Every strategy's evaluation lists in one shape, the input of model_evaluations: the SQL strategies
    everywhere, the Python ones (ALS, the oracle) where dbt runs Python models (DuckDB). domain_userid is set
    on the oracle's related rows only (its lists are per reader); the others serve every reader. -#}

{%- set sources = ['eval_item_knn_recommendations', 'eval_popularity_recommendations'] %}
{%- if target.type == 'duckdb' %}
{%- set sources = ['eval_als_recommendations'] + sources + ['eval_oracle_recommendations'] %}
{%- endif %}

with

{% for source in sources %}
{{ source }} as (

    select
        site_id,
        strategy,
        task,
        source_entity_type,
        source_entity_id,
        recommended_article_id,
        rank,
        score,
        {%- if source == 'eval_oracle_recommendations' %}
        domain_userid
        {%- else %}
        cast(null as {{ dbt.type_string() }}) as domain_userid
        {%- endif %}

    from {{ ref(source) }}

),

{% endfor %}
final as (

    {% for source in sources %}
    select * from {{ source }}
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

)

select * from final

{#- Models land in the schema named by their folder (staging, intermediate, marts, recommender, evaluation)
    rather than dbt's default "<target schema>_<custom schema>", so analysts and the serving job find
    the same names on every target. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}

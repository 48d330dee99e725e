{#- The 131 fields of a Snowplow enriched event, in file order, as (name, type staging casts it to) pairs. The
    list itself is the var article_recs__enriched_fields in dbt_project.yml, the one place it is kept (the
    generator and the Postgres loader read it there too: article_recs/events/fields.py). -#}
{% macro snowplow_enriched_fields() %}
    {%- set fields = [] -%}
    {%- for name, data_type in var('article_recs__enriched_fields') -%}
        {%- do fields.append((name, data_type)) -%}
    {%- endfor -%}
    {{ return(fields) }}
{% endmacro %}

{#- The enriched fields that Snowplow's warehouse loaders shred into tables of their own instead of columns of
    atomic.events (the Postgres loader's layout: one table per context / self-describing event schema). -#}
{% macro snowplow_shredded_fields() %}
    {{ return(['contexts', 'unstruct_event', 'derived_contexts']) }}
{% endmacro %}

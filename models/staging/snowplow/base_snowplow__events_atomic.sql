{{ config(enabled=var("article_recs__events_source") == "atomic") }}

{#- Snowplow's warehouse layout (the Postgres loader's): atomic.events with the enriched columns, typed, and one
    table per context joined on root_id = event_id and root_tstamp = collector_tstamp. The load hour is
    load_tstamp when the table has that column (loaders since 2021 write it), else collector_tstamp.
    Same columns as the file base models; the context ids come from their tables instead of JSON. -#}
{%- set fields = snowplow_enriched_fields() -%}
{%- set has_load_tstamp = snowplow_relation_has_column(source('snowplow_atomic', 'events'), 'load_tstamp') -%}
{%- set load_tstamp = 'events.load_tstamp' if has_load_tstamp else 'events.collector_tstamp' -%}

with

events as (

    select * from {{ source('snowplow_atomic', 'events') }}

),

web_page_contexts as (

    select
        root_id,
        root_tstamp,
        min(id) as page_view_id

    from {{ source('snowplow_atomic', 'com_snowplowanalytics_snowplow_web_page_1') }}
    group by root_id, root_tstamp

),

yauaa_contexts as (

    select
        root_id,
        root_tstamp,
        min(device_class) as device_class

    from {{ source('snowplow_atomic', 'nl_basjes_yauaa_context_1') }}
    group by root_id, root_tstamp

),

joined as (

    select
        -- lineage of the row
        cast(null as {{ dbt.type_string() }}) as source_file,
        coalesce({{ load_tstamp }}, events.collector_tstamp) as load_tstamp,
        'atomic/' || coalesce(
            cast(
                {{ dbt.date_trunc('hour', 'coalesce(' ~ load_tstamp ~ ', events.collector_tstamp)') }}
                as {{ dbt.type_string() }}
            ),
            'unknown'
        ) as load_partition,
        cast(null as {{ dbt.type_string() }}) as raw_line,
        false as is_invalid_utf8,
        cast(null as integer) as field_count,
        false as is_invalid_json,

        -- the enriched fields, typed by the loader (self-describing JSON is shredded into tables)
        {%- for name, data_type in fields %}
        {%- if name in snowplow_shredded_fields() %}
        cast(null as {{ dbt.type_string() }}) as {{ name }},
        {%- else %}
        events.{{ name }},
        {%- endif %}
        {%- endfor %}

        -- contexts shredded into tables
        web_page_contexts.page_view_id as context_page_view_id,
        yauaa_contexts.device_class as context_device_class

    from events
    left join web_page_contexts
        on
            events.event_id = web_page_contexts.root_id
            and events.collector_tstamp = web_page_contexts.root_tstamp
    left join yauaa_contexts
        on
            events.event_id = yauaa_contexts.root_id
            and events.collector_tstamp = yauaa_contexts.root_tstamp

)

select * from joined

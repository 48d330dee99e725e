{{ config(enabled=var("article_recs__events_source") == "tsv") }}

{#- Enriched TSV lines split into the 131 named fields, all still text, with the file and its load hour.
    Lines that are not valid UTF-8 never reach this view: the reader records them as rejects and
    int_events_validated quarantines them (macros/snowplow_files.sql). -#}
{%- set fields = snowplow_enriched_fields() -%}

with

source as (

    select * from {{ source('snowplow_files', 'events_tsv') }}

),

decoded as (

    {{ snowplow_decoded_lines('source') }}

),

split as (

    select
        source_file,
        raw_line,
        is_invalid_utf8,
        {{ split_on_tab("raw_line") }} as field_values

    from decoded

),

renamed as (

    select
        -- lineage of the raw line
        source_file,
        {{ snowplow_file_load_tstamp('source_file') }} as load_tstamp,
        source_file as load_partition,
        raw_line,
        is_invalid_utf8,
        {{ array_size("field_values") }} as field_count,
        false as is_invalid_json,

        -- the 131 enriched fields, as text
        {%- for name, data_type in fields %}
        nullif({{ array_element("field_values", loop.index) }}, '') as {{ name }},
        {%- endfor %}

        -- contexts shredded into tables (warehouse sources only)
        cast(null as {{ dbt.type_string() }}) as context_page_view_id,
        cast(null as {{ dbt.type_string() }}) as context_device_class

    from split

)

select * from renamed

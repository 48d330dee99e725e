{{ config(enabled=var("article_recs__events_source") == "jsonl") }}

{#- Enriched JSON lines (one object per line, the enriched field names as keys) split into the 131 named fields,
    all as text, with the file and its load hour. Lines are read as text (like the TSV files) and parsed here:
    a line that is not a JSON object is kept and flagged (quarantined as invalid_json), it never fails the
    read. Values may be strings, numbers or nested JSON (contexts as an object): all come out as text. -#}
{%- set fields = snowplow_enriched_fields() -%}

with

source as (

    select * from {{ source('snowplow_files', 'events_jsonl') }}

),

decoded as (

    {{ snowplow_decoded_lines('source') }}

),

parsed as (

    select
        source_file,
        raw_line,
        is_invalid_utf8,
        -- a CASE, not AND: json_type raises on malformed JSON and DuckDB does not short-circuit AND
        case when json_valid(raw_line) then json_type(raw_line) = 'OBJECT' else false end as is_json_object

    from decoded

),

extracted as (

    select
        *,
        case
            when is_json_object then json_extract_string(raw_line, [
                {%- for name, data_type in fields %}
                '$.{{ name }}'{{ ',' if not loop.last }}
                {%- endfor %}
            ])
        end as field_values

    from parsed

),

renamed as (

    select
        -- lineage of the raw line
        source_file,
        {{ snowplow_file_load_tstamp('source_file') }} as load_tstamp,
        source_file as load_partition,
        raw_line,
        is_invalid_utf8,
        cast(null as integer) as field_count,
        not is_json_object as is_invalid_json,

        -- the 131 enriched fields, as text
        {%- for name, data_type in fields %}
        nullif(field_values[{{ loop.index }}], '') as {{ name }},
        {%- endfor %}

        -- contexts shredded into tables (warehouse sources only)
        cast(null as {{ dbt.type_string() }}) as context_page_view_id,
        cast(null as {{ dbt.type_string() }}) as context_device_class

    from extracted

)

select * from renamed

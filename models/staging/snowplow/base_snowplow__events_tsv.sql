{{ config(enabled=var("article_recs__events_source") == "tsv") }}

{#- Enriched TSV lines split into the 131 named fields, all still text. Lines are read as latin-1 so that
    no byte sequence can fail the read; lines with bytes >= 0x80 are re-decoded as UTF-8 here and come out
    NULL (quarantined as invalid_utf8) when they are not valid UTF-8. -#}
{%- set fields = snowplow_enriched_fields() -%}

with

source as (

    select * from {{ source('snowplow_files', 'events_tsv') }}

),

decoded as (

    select
        filename as source_file,
        raw_line as raw_line_latin1,
        case
            when not regexp_matches(raw_line, '[\x80-\xff]') then raw_line
            else try(decode(unhex(list_aggr(
                list_transform(string_split(raw_line, ''), byte_char -> printf('%02x', ord(byte_char))),
                'string_agg',
                ''
            ))))
        end as raw_line

    from source

),

split as (

    select
        source_file,
        coalesce(raw_line, raw_line_latin1) as raw_line,
        raw_line is null as is_invalid_utf8,
        string_split(coalesce(raw_line, raw_line_latin1), chr(9)) as field_values

    from decoded

),

renamed as (

    select
        source_file,
        raw_line,
        is_invalid_utf8,
        {%- for name, data_type in fields %}
        nullif(field_values[{{ loop.index }}], '') as {{ name }},
        {%- endfor %}
        len(field_values) as field_count

    from split

)

select * from renamed

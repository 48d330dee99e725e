{#- The compressed event files this run reads (the same files as int_events_validated: the load hours from the
    run window's window_start on, files written late into older folders, every file in a full run), one row
    each, checked before any line is read: a .gz file that is empty or is not a gzip stream would fail the
    whole read (DuckDB: "Input is not a GZIP stream"), so int_events_validated leaves it out and quarantines it
    as a file (unreadable_reason); declared_bytes, the uncompressed size the gzip trailer states, lets the
    quarantine find a truncated file (fewer bytes decompressed than declared: its tail is lost).
    Files only (DuckDB and Spark read them: snowplow_event_file_blobs); no rows for atomic.events, nor on
    PostgreSQL. -#}
{%- set is_files = snowplow_file_checks_enabled() -%}
{%- set window_start = snowplow_window_start_literal() if is_files else none -%}
{%- set unread_old_files = snowplow_unread_old_files(window_start) if is_files else [] -%}
-- depends_on: {{ ref('int_run_window') }}

{% if is_files -%}
with

blobs as (

    -- the bytes as they are (no decompression); the window is a constant filter on the file name, so DuckDB
    -- does not open the files outside it
    select
        filename as source_file,
        size as file_bytes,
        {{ blob_hex_head('content', 2) }} as magic,
        {{ blob_hex_tail('content', 4) }} as trailer

    from {{ snowplow_event_file_blobs() }}
    {% if window_start is none -%}
    where filename like '%.gz' or filename like '%.gzip'
    {%- else -%}
    where
        (filename like '%.gz' or filename like '%.gzip')
        and (
            {{ snowplow_file_load_tstamp('filename') }} is null
            or {{ snowplow_file_load_tstamp('filename') }} >= {{ window_start }}
            {%- for file in unread_old_files %}
            or filename = '{{ file | replace("'", "''") }}'
            {%- endfor %}
        )
    {%- endif %}

),

decoded as (

    select
        source_file,
        file_bytes,
        magic,
        -- ISIZE, the last 4 bytes of a gzip file: the uncompressed size mod 2^32, little-endian
        substr(trailer, 7, 2) || substr(trailer, 5, 2) || substr(trailer, 3, 2) || substr(trailer, 1, 2)
            as isize_hex

    from blobs

),

final as (

    select
        source_file,
        file_bytes,
        case
            when file_bytes = 0 then 'empty_file'
            when magic <> '1F8B' then 'not_gzip'
        end as unreadable_reason,
        case
            when file_bytes >= 18 and magic = '1F8B' then {{ hex_to_bigint('isize_hex') }}
        end as declared_bytes

    from decoded

)

select * from final
{%- else -%}
select
    cast(null as {{ dbt.type_string() }}) as source_file,
    cast(null as {{ dbt.type_bigint() }}) as file_bytes,
    cast(null as {{ dbt.type_string() }}) as unreadable_reason,
    cast(null as {{ dbt.type_bigint() }}) as declared_bytes
where 1 = 0
{%- endif %}

{{ config(
    schema='staging',
    materialized=stateful_materialization(),
    unique_key='load_partition',
    incremental_strategy='delete+insert',
    indexes=[{'columns': ['load_partition']}] if target.type == 'postgres' else [],
    on_schema_change='sync_all_columns',
    pre_hook={"sql": "{{ snowplow_full_run_truncate() }}", "transaction": false},
) }}
{{ snowplow_guard_full_refresh() }}

{#- Lines that could not be used, each with the reason, the file it came from and the raw line - nothing
    is silently dropped. Holds raw lines (IP addresses, user agents), so it lives in the staging schema.
    A file that could not be read whole is one row (empty_file, not_gzip, truncated_gzip) with its size
    (file_bytes) and the lines read from it (lines_recovered: 0, or a truncated file's lines up to the break,
    which are used). Incremental: the load partitions (files; hours of atomic.events) read in this run replace
    their rows. -#}

with

events as (

    select * from {{ ref('int_events_validated') }}
    where quarantine_reason is not null

),

files as (

    select * from {{ ref('int_event_files') }}

),

lines_read as (

    select
        source_file,
        count(*) as file_lines

    from {{ ref('int_events_validated') }}
    where source_file in (select files.source_file from files)
    group by source_file

),

numbered as (

    select
        *,
        row_number() over (
            partition by load_partition, line_hash order by line_hash
        ) as line_occurrence

    from events

),

with_files as (

    select
        numbered.*,
        files.file_bytes,
        -- the file's own row is not a line read from it
        case when files.source_file is not null then coalesce(lines_read.file_lines, 0) - 1 end as lines_recovered

    from numbered
    left join files
        on
            numbered.source_file = files.source_file
            and numbered.quarantine_reason in ('empty_file', 'not_gzip', 'truncated_gzip')
    left join lines_read
        on files.source_file = lines_read.source_file

),

final as (

    select
        md5(load_partition || '|' || line_hash || '|' || cast(line_occurrence as {{ dbt.type_string() }}))
            as quarantine_id,
        quarantine_reason,
        events_source,
        load_partition,
        source_file,
        event_id,
        app_id,
        event,
        collector_tstamp_raw,
        field_count,
        raw_line,
        file_bytes,
        lines_recovered

    from with_files

)

{{ snowplow_stateful_rows('final', 'quarantine_reason') }}

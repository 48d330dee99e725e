{{ config(
    schema='staging',
    materialized='incremental',
    unique_key='load_partition',
    incremental_strategy='delete+insert',
    indexes=[{'columns': ['load_partition']}] if target.type == 'postgres' else [],
    on_schema_change='sync_all_columns',
    pre_hook={"sql": "{{ snowplow_full_run_truncate() }}", "transaction": false},
) }}
{{ snowplow_guard_full_refresh() }}

{#- Lines that could not be used, each with the reason, the file it came from and the raw line - nothing
    is silently dropped. Holds raw lines (IP addresses, user agents), so it lives in the staging schema.
    Incremental: the load partitions (files; hours of atomic.events) read in this run replace their rows. -#}

with

events as (

    select * from {{ ref('int_events_validated') }}
    where quarantine_reason is not null

),

numbered as (

    select
        *,
        row_number() over (
            partition by load_partition, line_hash order by line_hash
        ) as line_occurrence

    from events

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
        raw_line

    from numbered

)

select * from final

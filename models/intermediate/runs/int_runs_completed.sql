{{ config(
    materialized='incremental',
    incremental_strategy='append',
    full_refresh=false,
    on_schema_change='append_new_columns',
) }}

{#- The run manifest (dbt-snowplow-web's incremental manifest): one row per run of the Snowplow models that
    completed - every stateful Snowplow model built without error in that invocation. The on-run-end hook
    snowplow_record_completed_run writes the rows; the model itself only creates the table (no rows) and is
    built before int_run_window, which reads it: a run that was killed or failed part-way leaves no row, so the
    next run reprocesses every event stored since the last completed run and reads from that run's
    high-water mark. Never rebuilt by --full-refresh: it is a log. -#}

with

empty as (

    select
        cast(null as {{ dbt.type_string() }}) as run_id,
        cast(null as {{ dbt.type_int() }}) as run_seq,
        cast(null as {{ dbt.type_boolean() }}) as is_full_refresh,
        cast(null as {{ dbt.type_timestamp() }}) as high_water_mark,
        cast(null as {{ dbt.type_timestamp() }}) as completed_at

)

select * from empty
where run_id is not null

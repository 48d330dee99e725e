{#- Lines that could not be used, each with the reason, the file it came from and the raw line - nothing
    is silently dropped. Holds raw lines (IP addresses, user agents), so it lives in the staging schema. -#}
{{ config(schema='staging') }}

with

events as (

    select * from {{ ref('int_events_validated') }}
    where quarantine_reason is not null

),

final as (

    select
        quarantine_reason,
        source_file,
        event_id,
        app_id,
        event,
        collector_tstamp_raw,
        field_count,
        raw_line

    from events

)

select * from final

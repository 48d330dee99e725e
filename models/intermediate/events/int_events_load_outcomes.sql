{{ config(
    materialized=stateful_materialization(),
    unique_key='load_partition',
    incremental_strategy='delete+insert',
    indexes=[{'columns': ['load_partition']}] if target.type == 'postgres' else [],
    on_schema_change='sync_all_columns',
    pre_hook={"sql": "{{ snowplow_full_run_truncate() }}", "transaction": false},
) }}
{{ snowplow_guard_full_refresh() }}

{#- What happened to the lines of each load partition (file, or load batch of atomic.events), as counts per outcome:
    used (the copy of its event_id that the event store kept), duplicate, bot, excluded_app, other_event,
    too_late or quarantined:<reason>. Incremental: the partitions read in this run replace their counts, so
    event_load_stats adds up every line ever read without rereading old partitions. new_events is what the
    counts grew by against the previous run's (a file re-read in the lookback adds nothing): each line is new
    once, and the quarantine share of a run (snowplow_run_stats) judges only its new lines. -#}

with

lines as (

    -- read twice below (materialized once): only the two columns used
    select
        load_partition,
        outcome

    from {{ ref('int_events_validated') }}

),

events as (

    select * from {{ ref('int_events_deduplicated') }}

),

run_window as (

    select * from {{ ref('int_run_window') }}

),

partitions as (

    select
        load_partition,
        sum(case when outcome = 'eligible' then 1 else 0 end) as eligible_lines

    from lines
    group by load_partition

),

used as (

    select
        events.load_partition,
        count(*) as used_events

    from events
    cross join run_window
    where
        (
            run_window.window_start is null
            or events.load_tstamp is null
            or events.load_tstamp >= run_window.window_start
            or events.loaded_in_run > run_window.last_completed_run_seq
        )
        and events.load_partition in (select partitions.load_partition from partitions)
    group by events.load_partition

),

outcomes as (

    select
        load_partition,
        outcome,
        count(*) as events

    from lines
    where outcome <> 'eligible'
    group by load_partition, outcome

    union all

    select
        partitions.load_partition,
        'used' as outcome,
        coalesce(used.used_events, 0) as events

    from partitions
    left join used
        on partitions.load_partition = used.load_partition
    where partitions.eligible_lines > 0

    union all

    select
        partitions.load_partition,
        'duplicate' as outcome,
        partitions.eligible_lines - coalesce(used.used_events, 0) as events

    from partitions
    left join used
        on partitions.load_partition = used.load_partition
    where partitions.eligible_lines > coalesce(used.used_events, 0)

),

{% if snowplow_is_incremental() -%}
previous as (

    select
        load_partition,
        outcome,
        events

    from {{ this }}
    where load_partition in (select partitions.load_partition from partitions)

),
{%- else -%}
previous as (

    select
        cast(null as {{ dbt.type_string() }}) as load_partition,
        cast(null as {{ dbt.type_string() }}) as outcome,
        cast(null as {{ dbt.type_bigint() }}) as events

    where 1 = 0

),
{%- endif %}

final as (

    select
        outcomes.load_partition,
        outcomes.outcome,
        outcomes.events,
        case
            when outcomes.events > coalesce(previous.events, 0) then outcomes.events - coalesce(previous.events, 0)
            else 0
        end as new_events,
        run_window.run_seq as counted_in_run

    from outcomes
    cross join run_window
    left join previous
        on
            outcomes.load_partition = previous.load_partition
            and outcomes.outcome = previous.outcome

)

{{ snowplow_stateful_rows('final', 'counted_in_run') }}

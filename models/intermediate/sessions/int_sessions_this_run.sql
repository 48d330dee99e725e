{#- What this run rebuilds (dbt-snowplow-web's sessions_this_run): every tracker session with an event stored
    since the last completed run (this run, or a run killed part-way: int_run_window.last_completed_run_seq)
    before the session's cap (a quarantined session's new events past the cap rebuild nothing), and
    every reader with a new event that has no domain_sessionid - that reader's derived sessions are recomputed.
    In a full run: all of them. -#}

with

run_window as (

    select * from {{ ref('int_run_window') }}

),

lifecycle as (

    select * from {{ ref('int_sessions_lifecycle') }}

),

events as (

    select * from {{ ref('int_events_deduplicated') }}

),

new_events as (

    select events.*

    from events
    cross join run_window
    where run_window.is_full_refresh or events.loaded_in_run > run_window.last_completed_run_seq

),

tracker_sessions as (

    select
        lifecycle.session_key,
        lifecycle.domain_userid,
        false as is_derived_session,
        lifecycle.start_tstamp,
        lifecycle.cap_tstamp

    from lifecycle
    cross join run_window
    where
        (run_window.is_full_refresh or lifecycle.updated_in_run > run_window.last_completed_run_seq)
        and exists (
            select new_events.event_id
            from new_events
            where
                new_events.domain_sessionid = lifecycle.session_key
                and new_events.collector_tstamp <= lifecycle.cap_tstamp
        )

),

derived_session_readers as (

    select
        cast(null as {{ dbt.type_string() }}) as session_key,
        domain_userid,
        true as is_derived_session,
        min(collector_tstamp) as start_tstamp,
        cast(null as {{ dbt.type_timestamp() }}) as cap_tstamp

    from new_events
    where domain_sessionid is null and domain_userid is not null
    group by domain_userid

),

final as (

    select * from tracker_sessions
    union all
    select * from derived_session_readers

)

select * from final

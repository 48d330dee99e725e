{{ config(
    materialized=stateful_materialization(),
    unique_key='session_key',
    incremental_strategy='delete+insert',
    on_schema_change='sync_all_columns',
    pre_hook={"sql": "{{ snowplow_full_run_truncate() }}", "transaction": false},
    indexes=[{'columns': ['session_key']}] if target.type == 'postgres' else [],
) }}
{{ snowplow_guard_full_refresh() }}

{#- One row per tracker session (domain_sessionid) ever seen: first and last collector_tstamp of its stored
    events, and whether it is longer than article_recs__max_session_days (quarantined: its events after
    start + N days are left out of the models, and new events past that cap no longer rebuild it).
    As dbt-snowplow-web's sessions lifecycle manifest: a run updates the sessions with events stored since
    the last completed run (its own, and those of a run killed part-way), so it never rescans history to find where a session started. -#}
{%- set max_session_days = var('article_recs__max_session_days') -%}

with

events as (

    select * from {{ ref('int_events_deduplicated') }}
    where domain_sessionid is not null

),

run_window as (

    select * from {{ ref('int_run_window') }}

),

new_events as (

    select events.*

    from events
    cross join run_window
    where run_window.is_full_refresh or events.loaded_in_run > run_window.last_completed_run_seq

),

new_sessions as (

    select
        domain_sessionid as session_key,
        min(domain_userid) as domain_userid,
        min(collector_tstamp) as start_tstamp,
        max(collector_tstamp) as end_tstamp

    from new_events
    group by domain_sessionid

),

{% if snowplow_is_incremental() -%}
combined as (

    select
        new_sessions.session_key,
        case
            when previous.domain_userid is null then new_sessions.domain_userid
            when new_sessions.domain_userid is null then previous.domain_userid
            when previous.domain_userid < new_sessions.domain_userid then previous.domain_userid
            else new_sessions.domain_userid
        end as domain_userid,
        case
            when previous.start_tstamp < new_sessions.start_tstamp then previous.start_tstamp
            else new_sessions.start_tstamp
        end as start_tstamp,
        case
            when previous.end_tstamp > new_sessions.end_tstamp then previous.end_tstamp
            else new_sessions.end_tstamp
        end as end_tstamp

    from new_sessions
    left join {{ this }} as previous
        on new_sessions.session_key = previous.session_key

),
{%- else -%}
combined as (

    select * from new_sessions

),
{%- endif %}

final as (

    select
        combined.session_key,
        combined.domain_userid,
        combined.start_tstamp,
        combined.end_tstamp,
        {{ dbt.dateadd('day', max_session_days, 'combined.start_tstamp') }} as cap_tstamp,
        combined.end_tstamp > {{ dbt.dateadd('day', max_session_days, 'combined.start_tstamp') }}
            as is_quarantined,
        run_window.run_seq as updated_in_run

    from combined
    cross join run_window

)

{{ snowplow_stateful_rows('final', 'updated_in_run') }}

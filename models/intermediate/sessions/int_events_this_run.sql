{#- The events of what this run rebuilds, each with its session (dbt-snowplow-web's events_this_run):
    - for a tracker session, all its stored events from its start to its cap (start + max_session_days), each
      with the session's domain_userid (as dbt-snowplow-web: one reader per session, so page views, sessions
      and users agree even when the cookie id rotates within a session);
    - for a reader with cookie-only events (no domain_sessionid), all those events, cut into sessions by
      article_recs__session_timeout_minutes of inactivity (derived_tstamp); a derived session's id is
      'derived-' || md5(domain_userid || '|' || its first derived_tstamp), and it is capped the same way.
    Only the stored events from the earliest session start on are read. -#}
{%- set timeout_minutes = var('article_recs__session_timeout_minutes') -%}
{%- set max_session_days = var('article_recs__max_session_days') -%}

with

sessions_this_run as (

    select * from {{ ref('int_sessions_this_run') }}

),

tracker_store as (

    -- the event store, imported twice: each CTE is read once, so it is inlined and each scan keeps its
    -- filters (a CTE read twice is materialized by DuckDB - the whole store, every run)
    select * from {{ ref('int_events_deduplicated') }}

),

cookie_only_store as (

    select * from {{ ref('int_events_deduplicated') }}

),

tracker_sessions as (

    select * from sessions_this_run
    where not is_derived_session

),

tracker_bounds as (

    -- the earliest start: DuckDB skips the row groups of the store before it (zone maps on collector_tstamp)
    select min(start_tstamp) as min_start_tstamp
    from tracker_sessions

),

tracker_events as (

    select
        {%- for column in snowplow_stored_event_columns() %}
        {%- if column == 'domain_userid' %}
        -- one reader per session: the session's id (int_sessions_lifecycle), whatever the event carried
        tracker_sessions.domain_userid,
        {%- else %}
        tracker_store.{{ column }},
        {%- endif %}
        {%- endfor %}
        false as is_derived_session

    from tracker_store
    inner join tracker_sessions
        on tracker_store.domain_sessionid = tracker_sessions.session_key
    cross join tracker_bounds
    where
        tracker_store.collector_tstamp >= tracker_bounds.min_start_tstamp
        and tracker_store.collector_tstamp >= tracker_sessions.start_tstamp
        and tracker_store.collector_tstamp <= tracker_sessions.cap_tstamp

),

cookie_only_events as (

    select cookie_only_store.*

    from cookie_only_store
    where
        cookie_only_store.domain_sessionid is null
        and cookie_only_store.domain_userid in (
            select derived_readers.domain_userid
            from sessions_this_run as derived_readers
            where derived_readers.is_derived_session
        )

),

cookie_only_gaps as (

    select
        *,
        case
            when
                lag(derived_tstamp) over (
                    partition by domain_userid order by derived_tstamp, event_id
                ) is null
                or derived_tstamp > {{ dbt.dateadd(
                    'minute',
                    timeout_minutes,
                    'lag(derived_tstamp) over (partition by domain_userid order by derived_tstamp, event_id)'
                ) }}
                then 1
            else 0
        end as starts_session

    from cookie_only_events

),

cookie_only_numbered as (

    select
        *,
        sum(starts_session) over (
            partition by domain_userid order by derived_tstamp, event_id
            rows between unbounded preceding and current row
        ) as derived_session_number

    from cookie_only_gaps

),

cookie_only_sessionized as (

    select
        *,
        min(derived_tstamp) over (
            partition by domain_userid, derived_session_number
        ) as derived_session_start

    from cookie_only_numbered

),

derived_events as (

    select
        {%- for column in snowplow_stored_event_columns() %}
        {%- if column == 'domain_sessionid' %}
        'derived-' || md5(
            domain_userid || '|' || cast(derived_session_start as {{ dbt.type_string() }})
        ) as domain_sessionid,
        {%- else %}
        {{ column }},
        {%- endif %}
        {%- endfor %}
        true as is_derived_session

    from cookie_only_sessionized
    where derived_tstamp <= {{ dbt.dateadd('day', max_session_days, 'derived_session_start') }}

),

final as (

    select * from tracker_events
    union all
    select * from derived_events

)

select * from final

{#- Tracker sessions longer than article_recs__max_session_days (collector time): their events after
    start + N days are left out of page_views, sessions and everything after, and new events past that cap
    no longer rebuild them - so one runaway session (a bot, a kiosk) cannot make every run rescan history. -#}

with

lifecycle as (

    select * from {{ ref('int_sessions_lifecycle') }}
    where is_quarantined

),

final as (

    select
        session_key as domain_sessionid,
        domain_userid,
        start_tstamp,
        end_tstamp,
        cap_tstamp,
        {{ dbt.datediff('start_tstamp', 'end_tstamp', 'second') }} as span_s  -- noqa: LT05

    from lifecycle

)

select * from final

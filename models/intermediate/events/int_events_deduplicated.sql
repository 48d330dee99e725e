{#- The events the models use: valid, not bots, not excluded apps, page views and page pings only, and one
    row per event_id (the earliest collector_tstamp, then dvce_created_tstamp, wins - as dbt-snowplow-web).
    Personal data stops here: no IP address, user agent or user_id columns. -#}

with

events as (

    select * from {{ ref('int_events_validated') }}

),

eligible as (

    select
        event_id,
        app_id,
        event,
        page_view_id,
        domain_userid,
        domain_sessionid,
        domain_sessionidx,
        network_userid,
        collector_tstamp,
        dvce_created_tstamp,
        dvce_sent_tstamp,
        coalesce(derived_tstamp, collector_tstamp) as derived_tstamp,
        page_url,
        page_title,
        page_referrer,
        page_urlhost,
        page_urlpath,
        refr_urlhost,
        refr_medium,
        refr_source,
        pp_yoffset_max,
        doc_height,
        br_viewheight,
        dvce_ismobile,
        yauaa_device_class,
        row_number() over (
            partition by event_id
            order by collector_tstamp, dvce_created_tstamp, source_file, raw_line
        ) as event_id_rank

    from events
    where
        quarantine_reason is null
        and not is_bot
        and not is_excluded_app
        and event in ('page_view', 'page_ping')

),

deduplicated as (

    select * from eligible
    where event_id_rank = 1

)

select * from deduplicated

{#- One row per page view with engaged time, exactly as dbt-snowplow-web computes it: with heartbeat H and
    minimum visit length M, engaged_time_in_s = H * (distinct H-second buckets of the page pings'
    dvce_created_tstamp - 1) + M when the page view has at least one ping, else 0. Pings count only when
    they carry the same page_view_id AND domain_sessionid as the page view. -#}
{%- set heartbeat = var('article_recs__heartbeat') -%}
{%- set min_visit_length = var('article_recs__min_visit_length') -%}

with

events as (

    select * from {{ ref('int_events_deduplicated') }}

),

page_view_events as (

    select
        *,
        row_number() over (
            partition by page_view_id
            order by derived_tstamp, dvce_created_tstamp, event_id
        ) as page_view_event_rank

    from events
    where event = 'page_view'

),

page_pings as (

    select
        page_view_id,
        domain_sessionid,
        count(*) as page_pings,
        count(distinct floor({{ epoch_seconds('dvce_created_tstamp') }} / {{ heartbeat }})) as heartbeat_buckets,
        max(derived_tstamp) as last_ping_tstamp,
        max(pp_yoffset_max) as max_pp_yoffset_max,
        max(doc_height) as max_doc_height

    from events
    where event = 'page_ping'
    group by page_view_id, domain_sessionid

),

engaged as (

    select
        -- ids
        page_view_events.page_view_id,
        page_view_events.event_id,
        page_view_events.app_id,
        page_view_events.domain_userid,
        page_view_events.domain_sessionid,
        page_view_events.domain_sessionidx,

        -- timestamps
        page_view_events.derived_tstamp as start_tstamp,
        coalesce(page_pings.last_ping_tstamp, page_view_events.derived_tstamp) as end_tstamp,
        page_view_events.collector_tstamp,

        -- page
        page_view_events.page_url,
        page_view_events.page_urlhost,
        page_view_events.page_urlpath,
        page_view_events.page_title,
        page_view_events.refr_urlhost,
        page_view_events.refr_medium as referrer_medium,
        page_view_events.refr_source as referrer_source,

        -- engagement
        coalesce(page_pings.page_pings, 0) as page_pings,
        case
            when page_pings.page_view_id is not null
                then {{ heartbeat }} * (page_pings.heartbeat_buckets - 1) + {{ min_visit_length }}
            else 0
        end as engaged_time_in_s,
        {{ dbt.datediff(
            'page_view_events.derived_tstamp',
            'coalesce(page_pings.last_ping_tstamp, page_view_events.derived_tstamp)',
            'second'
        ) }} as absolute_time_in_s,
        case
            when coalesce(page_pings.max_doc_height, page_view_events.doc_height, 0) > 0
                then least(
                    {{ safe_divide(
                        'greatest(coalesce(page_pings.max_pp_yoffset_max, 0), 0)',
                        'coalesce(page_pings.max_doc_height, page_view_events.doc_height)'
                    ) }},
                    1.0
                )
        end as max_scroll_depth,

        -- device
        coalesce(
            page_view_events.yauaa_device_class,
            case
                when page_view_events.dvce_ismobile then 'Phone'
                when page_view_events.dvce_ismobile = false then 'Desktop'
            end,
            'Unknown'
        ) as device_class

    from page_view_events
    left join page_pings
        on
            page_view_events.page_view_id = page_pings.page_view_id
            and page_view_events.domain_sessionid = page_pings.domain_sessionid
    where page_view_events.page_view_event_rank = 1

)

select * from engaged

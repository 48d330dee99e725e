{#- One row per page view of the sessions rebuilt in this run, with engaged time exactly as dbt-snowplow-web
    computes it: with heartbeat H and minimum visit length M, engaged_time_in_s = H * (distinct H-second
    buckets of the page pings' dvce_created_tstamp - 1) + M when the page view has at least one ping, else 0.
    Pings count only when they carry the same page_view_id AND session as the page view. Scroll depth as
    dbt-snowplow-web's vertical_percentage_scrolled (the bottom of the viewport at the deepest ping) and as
    max_scroll_depth (pp_yoffset_max / doc_height). -#}
{%- set heartbeat = var('article_recs__heartbeat') -%}
{%- set min_visit_length = var('article_recs__min_visit_length') -%}

with

events as (

    select * from {{ ref('int_events_this_run') }}

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
        max(doc_height) as max_doc_height,
        max(br_viewheight) as max_br_viewheight

    from events
    where event = 'page_ping'
    group by page_view_id, domain_sessionid

),

joined as (

    select
        page_view_events.*,
        page_pings.page_view_id is not null as has_pings,
        coalesce(page_pings.page_pings, 0) as page_pings,
        page_pings.heartbeat_buckets,
        coalesce(page_pings.last_ping_tstamp, page_view_events.derived_tstamp) as end_tstamp,
        greatest(coalesce(page_pings.max_pp_yoffset_max, 0), 0) as vmax,
        greatest(
            coalesce(page_pings.max_doc_height, 0), coalesce(page_view_events.doc_height, 0)
        ) as scroll_doc_height,
        greatest(
            coalesce(page_pings.max_br_viewheight, 0), coalesce(page_view_events.br_viewheight, 0)
        ) as scroll_viewheight

    from page_view_events
    left join page_pings
        on
            page_view_events.page_view_id = page_pings.page_view_id
            and page_view_events.domain_sessionid = page_pings.domain_sessionid
    where page_view_events.page_view_event_rank = 1

),

engaged as (

    select
        -- ids
        page_view_id,
        event_id,
        app_id,
        domain_userid,
        domain_sessionid,
        domain_sessionidx,
        is_derived_session,

        -- timestamps
        derived_tstamp as start_tstamp,
        end_tstamp,
        collector_tstamp,

        -- page
        page_url,
        page_urlhost,
        page_urlpath,
        page_title,
        refr_urlhost,
        -- the referer parser's media; any other value (a broken or hostile tracker) is unknown, not a failed test
        case
            when refr_medium in ('internal', 'search', 'social', 'email', 'paid', 'unknown') then refr_medium
            when refr_medium is not null then 'unknown'
        end as referrer_medium,
        refr_source as referrer_source,

        -- engagement
        page_pings,
        case
            when has_pings then {{ heartbeat }} * (heartbeat_buckets - 1) + {{ min_visit_length }}
            else 0
        end as engaged_time_in_s,
        {{ dbt.datediff('derived_tstamp', 'end_tstamp', 'second') }} as absolute_time_in_s,  -- noqa: LT05
        case
            when scroll_doc_height > 0
                then least({{ safe_divide('least(vmax, scroll_doc_height)', 'scroll_doc_height') }}, 1.0)
        end as max_scroll_depth,
        case
            when scroll_doc_height > 0
                then cast(round(
                    100 * {{ safe_divide(
                        'least(least(vmax, scroll_doc_height) + scroll_viewheight, scroll_doc_height)',
                        'scroll_doc_height'
                    ) }}
                ) as integer)
        end as vertical_percentage_scrolled,

        -- device
        coalesce(
            yauaa_device_class,
            case
                when dvce_ismobile then 'Phone'
                when dvce_ismobile = false then 'Desktop'
            end,
            'Unknown'
        ) as device_class

    from joined

)

select * from engaged

{#- One row per page view: engaged time, scroll depth, referrer, device, and the article it shows. -#}

with

page_views as (

    select * from {{ ref('int_page_views_classified') }}

),

final as (

    select
        -- ids
        page_view_id,
        site_id,
        app_id,
        domain_userid,
        domain_sessionid,
        domain_sessionidx,
        event_id,
        article_id,

        -- timestamps
        start_tstamp,
        end_tstamp,

        -- page
        page_url,
        page_urlpath,
        page_title,
        referrer_medium,
        referrer_source,

        -- engagement
        engaged_time_in_s,
        absolute_time_in_s,
        page_pings,
        max_scroll_depth,

        -- device
        device_class

    from page_views

)

select * from final

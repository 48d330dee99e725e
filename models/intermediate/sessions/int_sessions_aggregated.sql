{#- One row per session rebuilt in this run (domain_sessionid): its page views, engaged time, landing and exit
    pages, and dbt-snowplow-web's is_engaged (2+ page views, or engaged time of at least 2 heartbeats). -#}
{%- set heartbeat = var('article_recs__heartbeat') -%}

with

page_views as (

    select * from {{ ref('int_page_views_classified') }}

),

ordered as (

    select
        *,
        row_number() over (
            partition by domain_sessionid order by start_tstamp, page_view_id
        ) as page_view_in_session,
        row_number() over (
            partition by domain_sessionid order by start_tstamp desc, page_view_id desc
        ) as page_view_from_end

    from page_views

),

aggregated as (

    select
        domain_sessionid,
        min(site_id) as site_id,
        min(domain_userid) as domain_userid,
        min(domain_sessionidx) as domain_sessionidx,
        {{ dbt.bool_or('is_derived_session') }} as is_derived_session,
        min(start_tstamp) as start_tstamp,
        max(end_tstamp) as end_tstamp,
        count(*) as page_views,
        count(article_id) as article_page_views,
        sum(engaged_time_in_s) as engaged_time_in_s,
        max(case when page_view_in_session = 1 then page_urlpath end) as landing_page_urlpath,
        max(case when page_view_from_end = 1 then page_urlpath end) as exit_page_urlpath

    from ordered
    group by domain_sessionid

),

final as (

    select
        domain_sessionid,
        site_id,
        domain_userid,
        domain_sessionidx,
        is_derived_session,
        start_tstamp,
        end_tstamp,
        page_views,
        article_page_views,
        engaged_time_in_s,
        {{ dbt.datediff('start_tstamp', 'end_tstamp', 'second') }} as absolute_time_in_s,  -- noqa: LT05
        landing_page_urlpath,
        exit_page_urlpath,
        coalesce(page_views >= 2 or engaged_time_in_s / {{ heartbeat }} >= 2, false) as is_engaged

    from aggregated

)

select * from final

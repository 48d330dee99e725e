{#- Online evaluation: what readers did with the lists the widgets showed, per site, strategy, A/B arm and day
    (the day of the impression). An impression is one list shown (one rec_id); a click counts for the day,
    strategy and arm of the list it was clicked in. ctr = impressions with a click / impressions, with its
    95% Wilson interval; a click "led to an engaged read" when the reader's page view of the clicked article
    starts within article_recs__click_read_window_minutes after it and has at least
    article_recs__engaged_read_seconds of engaged time. -#}

with

impressions as (

    select * from {{ ref('rec_impressions') }}

),

clicks as (

    select * from {{ ref('rec_clicks') }}

),

page_views as (

    select * from {{ ref('page_views') }}

),

lists as (

    select
        rec_id,
        site_id,
        strategy,
        arm,
        impression_date,
        max(domain_userid) as domain_userid,
        max(n_shown) as n_shown
    from impressions
    group by rec_id, site_id, strategy, arm, impression_date

),

click_reads as (

    select
        clicks.event_id,
        max(
            case
                when page_views.engaged_time_in_s >= {{ var('article_recs__engaged_read_seconds') }} then 1
                else 0
            end
        ) as is_engaged_read
    from clicks
    left join page_views
        on
            clicks.site_id = page_views.site_id
            and clicks.domain_userid = page_views.domain_userid
            and clicks.article_id = page_views.article_id
            and page_views.start_tstamp >= {{ dbt.dateadd('minute', -1, 'clicks.click_tstamp') }}
            and page_views.start_tstamp <= {{ dbt.dateadd(
                'minute', var('article_recs__click_read_window_minutes'), 'clicks.click_tstamp'
            ) }}
    group by clicks.event_id

),

clicked_lists as (

    select
        clicks.rec_id,
        count(*) as clicks,
        sum(click_reads.is_engaged_read) as engaged_clicks
    from clicks
    inner join click_reads
        on clicks.event_id = click_reads.event_id
    group by clicks.rec_id

),

by_day as (

    select
        lists.site_id,
        lists.strategy,
        lists.arm,
        lists.impression_date,
        count(*) as impressions,
        sum(lists.n_shown) as items_shown,
        count(distinct lists.domain_userid) as readers,
        sum(case when clicked_lists.rec_id is not null then 1 else 0 end) as clicked_impressions,
        coalesce(sum(clicked_lists.clicks), 0) as clicks,
        coalesce(sum(clicked_lists.engaged_clicks), 0) as engaged_clicks
    from lists
    left join clicked_lists
        on lists.rec_id = clicked_lists.rec_id
    group by lists.site_id, lists.strategy, lists.arm, lists.impression_date

),

final as (

    select
        site_id,
        strategy,
        arm,
        impression_date,
        impressions,
        items_shown,
        readers,
        clicked_impressions,
        clicks,
        engaged_clicks,
        1.0 * clicked_impressions / impressions as ctr,
        {{ wilson_bound('clicked_impressions', 'impressions', 'low') }} as ctr_low,
        {{ wilson_bound('clicked_impressions', 'impressions', 'high') }} as ctr_high,
        {{ safe_divide('engaged_clicks', 'clicks') }} as engaged_click_share
    from by_day

)

select * from final

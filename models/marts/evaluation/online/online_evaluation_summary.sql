{#- online_evaluation over every day: one row per site, strategy and A/B arm - the table `article-recs
    summary` and the evaluation report show next to the offline metrics. -#}

with

by_day as (

    select * from {{ ref('online_evaluation') }}

),

totals as (

    select
        site_id,
        strategy,
        arm,
        min(impression_date) as first_day,
        max(impression_date) as last_day,
        count(*) as n_days,
        sum(impressions) as impressions,
        sum(items_shown) as items_shown,
        sum(clicked_impressions) as clicked_impressions,
        sum(clicks) as clicks,
        sum(engaged_clicks) as engaged_clicks
    from by_day
    group by site_id, strategy, arm

),

final as (

    select
        site_id,
        strategy,
        arm,
        first_day,
        last_day,
        n_days,
        impressions,
        items_shown,
        clicked_impressions,
        clicks,
        engaged_clicks,
        1.0 * clicked_impressions / impressions as ctr,
        {{ wilson_bound('clicked_impressions', 'impressions', 'low') }} as ctr_low,
        {{ wilson_bound('clicked_impressions', 'impressions', 'high') }} as ctr_high,
        {{ safe_divide('engaged_clicks', 'clicks') }} as engaged_click_share
    from totals

)

select * from final

{#- Click-through by position in the list, per site, strategy and A/B arm, over every day: how often the
    article shown at position p was clicked (position bias, and whether the ranking puts what readers want
    first). -#}

with

impressions as (

    select * from {{ ref('rec_impressions') }}

),

clicks as (

    select * from {{ ref('rec_clicks') }}

),

shown as (

    select
        impressions.site_id,
        impressions.strategy,
        impressions.arm,
        impressions.list_position,
        count(*) as items_shown,
        count(clicks.event_id) as clicks
    from impressions
    left join clicks
        on
            impressions.rec_id = clicks.rec_id
            and impressions.list_position = clicks.list_position
            and impressions.article_id = clicks.article_id
    group by impressions.site_id, impressions.strategy, impressions.arm, impressions.list_position

),

final as (

    select
        site_id,
        strategy,
        arm,
        list_position,
        items_shown,
        clicks,
        1.0 * clicks / items_shown as ctr,
        {{ wilson_bound('clicks', 'items_shown', 'low') }} as ctr_low,
        {{ wilson_bound('clicks', 'items_shown', 'high') }} as ctr_high
    from shown

)

select * from final

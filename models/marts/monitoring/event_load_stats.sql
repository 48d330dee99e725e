{#- What happened to the lines read: one row per outcome with its count, so nothing vanishes unseen.
    outcome: used, duplicate (another copy of the event_id was kept), bot, excluded_app, other_event (valid,
    but not a page view or page ping), too_late (sent more than article_recs__days_late_allowed days after it
    was created) or quarantined:<reason>. The counts add up to every line ever read, summed over the load
    partitions of int_events_load_outcomes. -#}

with

outcomes as (

    select * from {{ ref('int_events_load_outcomes') }}

),

final as (

    select
        outcome,
        sum(events) as events

    from outcomes
    group by outcome

)

select * from final

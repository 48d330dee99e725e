{#- What happened to the lines read: one row per outcome with its count, so nothing vanishes unseen.
    outcome: used, duplicate (same event_id seen before), bot, excluded_app, other_event (valid, but not a
    page view or page ping), or quarantined:<reason>. The counts add up to the lines read. -#}

with

events as (

    select * from {{ ref('int_events_validated') }}

),

deduplicated as (

    select * from {{ ref('int_events_deduplicated') }}

),

classified as (

    select
        case
            when quarantine_reason is not null then 'quarantined:' || quarantine_reason
            when is_bot then 'bot'
            when is_excluded_app then 'excluded_app'
            when event is null or event not in ('page_view', 'page_ping') then 'other_event'
            else 'eligible'
        end as outcome

    from events

),

counted as (

    select
        outcome,
        count(*) as events

    from classified
    group by outcome

),

used as (

    select count(*) as events from deduplicated

),

final as (

    select
        outcome,
        events

    from counted
    where outcome <> 'eligible'

    union all

    select
        'used' as outcome,
        used.events

    from used

    union all

    select
        'duplicate' as outcome,
        coalesce(max(counted.events), 0) - max(used.events) as events

    from used
    left join counted
        on counted.outcome = 'eligible'

)

select * from final

{{ config(
    materialized=stateful_materialization(),
    unique_key='event_id',
    incremental_strategy='delete+insert',
    on_schema_change='sync_all_columns',
) }}

{#- One row per click in a recommendation widget (iglu:com.article_recs/rec_click/jsonschema/1-*), from the
    lines of this run (usable, not a bot, not an excluded app, not too late), one copy per event_id; a
    re-read event replaces its row. The list it was clicked in is its rec_impression (same rec_id). -#}

with

validated as (

    select * from {{ ref('int_events_validated') }}

),

sites as (

    select * from {{ ref('sites') }}

),

click_events as (

    select
        event_id,
        app_id,
        domain_userid,
        domain_sessionid,
        page_view_id,
        collector_tstamp,
        coalesce(derived_tstamp, collector_tstamp) as click_tstamp,
        unstruct_event,
        row_number() over (
            partition by event_id order by collector_tstamp, line_hash
        ) as copy_number
    from validated
    where
        event = 'unstruct'
        and quarantine_reason is null
        and not is_bot
        and not is_excluded_app
        and not is_too_late
        and {{ json_text_at('unstruct_event', ['data', 'schema']) }}
        like 'iglu:com.article_recs/rec_click/jsonschema/1-%'

),

final as (

    select
        -- ids
        click_events.event_id,
        sites.site_id,
        click_events.domain_userid,
        click_events.domain_sessionid,
        click_events.page_view_id,

        -- the click
        {{ json_text_at('click_events.unstruct_event', ['data', 'data', 'rec_id']) }} as rec_id,
        {{ json_text_at('click_events.unstruct_event', ['data', 'data', 'article_id']) }} as article_id,
        cast({{ json_text_at('click_events.unstruct_event', ['data', 'data', 'position']) }} as integer)
            as list_position,
        {{ json_text_at('click_events.unstruct_event', ['data', 'data', 'strategy']) }} as strategy,

        -- timestamps
        click_events.click_tstamp,
        click_events.collector_tstamp

    from click_events
    inner join sites
        on click_events.app_id = sites.app_id
    where
        click_events.copy_number = 1
        and {{ json_text_at('click_events.unstruct_event', ['data', 'data', 'rec_id']) }} is not null

)

{{ snowplow_stateful_rows('final', 'site_id') }}

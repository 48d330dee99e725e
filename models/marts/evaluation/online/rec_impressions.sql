{{ config(
    materialized=stateful_materialization(),
    unique_key=['event_id', 'list_position'],
    incremental_strategy='delete+insert',
    on_schema_change='sync_all_columns',
) }}

{#- One row per article shown by a recommendation widget: each rec_impression event
    (iglu:com.article_recs/rec_impression/jsonschema/1-*) exploded into its positions. Reads the lines of
    this run (int_events_validated: usable, not a bot, not an excluded app, not too late), one copy per
    event_id; a re-read event replaces its rows. Only domain_userid identifies the reader. -#}

with

validated as (

    select * from {{ ref('int_events_validated') }}

),

sites as (

    select * from {{ ref('sites') }}

),

positions as (

    {{ dbt.generate_series(50) }}

),

impression_events as (

    select
        event_id,
        app_id,
        domain_userid,
        domain_sessionid,
        page_view_id,
        collector_tstamp,
        coalesce(derived_tstamp, collector_tstamp) as impression_tstamp,
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
        like 'iglu:com.article_recs/rec_impression/jsonschema/1-%'

),

parsed as (

    select
        -- ids
        impression_events.event_id,
        sites.site_id,
        impression_events.domain_userid,
        impression_events.domain_sessionid,
        impression_events.page_view_id,

        -- the list shown
        {{ json_text_at('impression_events.unstruct_event', ['data', 'data', 'rec_id']) }} as rec_id,
        {{ json_text_at('impression_events.unstruct_event', ['data', 'data', 'model_id']) }} as model_id,
        {{ json_text_at('impression_events.unstruct_event', ['data', 'data', 'strategy']) }} as strategy,
        {{ json_text_at('impression_events.unstruct_event', ['data', 'data', 'arm']) }} as arm,
        {{ json_text_at('impression_events.unstruct_event', ['data', 'data', 'widget']) }} as widget,
        {{ json_text_at('impression_events.unstruct_event', ['data', 'data', 'source_article_id']) }}
            as source_article_id,
        {{ json_array_length_at('impression_events.unstruct_event', ['data', 'data', 'article_ids']) }}
            as n_shown,
        impression_events.unstruct_event,

        -- timestamps
        impression_events.impression_tstamp,
        impression_events.collector_tstamp

    from impression_events
    inner join sites
        on impression_events.app_id = sites.app_id
    where impression_events.copy_number = 1

),

final as (

    select
        parsed.event_id,
        parsed.site_id,
        parsed.domain_userid,
        parsed.domain_sessionid,
        parsed.page_view_id,
        parsed.rec_id,
        parsed.model_id,
        parsed.strategy,
        coalesce(parsed.arm, 'none') as arm,
        parsed.widget,
        parsed.source_article_id,
        parsed.n_shown,
        coalesce(
            cast({{ json_array_text_at(
                'parsed.unstruct_event', ['data', 'data', 'positions'], 'positions.generated_number - 1'
            ) }} as integer),
            cast(positions.generated_number as integer)
        ) as list_position,
        {{ json_array_text_at(
            'parsed.unstruct_event', ['data', 'data', 'article_ids'], 'positions.generated_number - 1'
        ) }} as article_id,
        parsed.impression_tstamp,
        cast({{ dbt.date_trunc('day', 'parsed.impression_tstamp') }} as date) as impression_date,
        parsed.collector_tstamp

    from parsed
    inner join positions
        on parsed.n_shown >= positions.generated_number
    where parsed.rec_id is not null and parsed.strategy is not null

)

{{ snowplow_stateful_rows('final', 'site_id') }}

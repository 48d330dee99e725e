{#- Every event with the verdict staging's types allow: why it is quarantined (NULL when it is fine),
    whether it is bot traffic, whether its app_id is excluded. Personal data (IP, user agent, user_id)
    is used here and not passed on. -#}

with

events as (

    select * from {{ ref('stg_snowplow__events') }}

),

bot_patterns as (

    select {{ dbt.listagg('pattern', "'|'") }} as bot_regex
    from {{ ref('bot_useragent_patterns') }}

),

validated as (

    select
        events.*,
        case
            when events.is_invalid_utf8 then 'invalid_utf8'
            when events.field_count <> 131 then 'wrong_field_count'
            when events.event_id is null then 'missing_event_id'
            when events.collector_tstamp is null then 'unparseable_timestamp'
            when events.event in ('page_view', 'page_ping') and events.dvce_created_tstamp is null
                then 'unparseable_timestamp'
            when not events.is_contexts_valid_json then 'invalid_context_json'
            when events.event in ('page_view', 'page_ping') and events.page_view_id is null
                then 'missing_page_view_id'
        end as quarantine_reason,
        {% if var('article_recs__bot_filtering') -%}
        coalesce(
            {{ regexp_ilike('events.useragent', 'bot_patterns.bot_regex') }}
            or events.yauaa_device_class in ('Robot', 'Robot Mobile', 'Robot Imitator', 'Spy', 'Hacker'),
            false
        ) as is_bot,
        {%- else -%}
        false as is_bot,
        {%- endif %}
        {% set excluded_app_ids = var('article_recs__excluded_app_ids') -%}
        {% if excluded_app_ids | length > 0 -%}
        coalesce(events.app_id in ('{{ excluded_app_ids | join("', '") }}'), false) as is_excluded_app
        {%- else -%}
        false as is_excluded_app
        {%- endif %}

    from events
    cross join bot_patterns

)

select * from validated

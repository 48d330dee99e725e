{{ config(
    schema='staging',
    pre_hook="{{ snowplow_clear_rejected_lines() }}",
    post_hook=[
        "{{ snowplow_insert_rejected_lines(this) }}",
        "{{ snowplow_insert_quarantined_files(this, ref('int_event_files')) }}",
    ],
) }}

{#- The lines this run reads - the load partitions (files, hours of atomic.events) loaded from the run
    window's window_start on, plus files written late into older folders (never read before); everything in a
    full run - each with its verdict: why it is quarantined (NULL when it is fine), whether it is bot traffic,
    an excluded app, or sent too late, and whether it arrived beyond the lookback (event time before the
    window). It carries only what the event store, the quarantine and the run statistics read: the personal
    fields of staging (IP address, user agent, user_id, network_userid) stop at the verdicts, and the raw line
    is kept for quarantined lines only (what the quarantine shows; a usable line is its columns). Built in the
    staging schema all the same, for those raw lines.
    Bot patterns are one constant in the SQL (snowplow_bot_regex_literal(), read from the seed when the model
    runs): a pattern read from a table is compiled again for every row it meets (most of a full build's time
    once), and matching once per distinct user agent instead read the lines twice, which made DuckDB
    materialize every line of the run (1M lines, the compiled model run alone: 12.7 s against 9.9-10.1 s;
    make bench: 12.3 s against 10.4-11.5 s).
    On atomic.events with a load_tstamp, the run reads from the first load batch it has not read yet
    (snowplow_atomic_read_from). The window is a constant in the SQL (read from int_run_window when the model
    runs) because DuckDB skips files only on a constant filter on the file name: a subquery would read every
    file. -#}
{%- set window_start = snowplow_window_start_literal() -%}
{%- set read_from = snowplow_atomic_read_from(window_start) or window_start -%}
{%- set unread_old_files = snowplow_unread_old_files(window_start) -%}
{%- set days_late_allowed = var('article_recs__days_late_allowed') -%}
{%- set unreadable_files = snowplow_unreadable_files(ref('int_event_files')) -%}
{%- set bot_regex = snowplow_bot_regex_literal() if var('article_recs__bot_filtering') else none -%}
-- depends_on: {{ ref('bot_useragent_patterns') }}

with

readable_lines as (

    -- files that cannot be read at all (int_event_files: empty, not gzip) are left out by name, so DuckDB never
    -- opens them (one would fail the whole read); the post-hook quarantines them as files
    select * from {{ ref('stg_snowplow__events') }}
    {%- for file in unreadable_files %}
    {{ 'where' if loop.first else 'and' }} source_file <> '{{ file | replace("'", "''") }}'
    {%- endfor %}

),

events as (

    select * from readable_lines
    {%- if window_start is not none %}
    where
        load_tstamp is null
        or load_tstamp >= {{ read_from }}
    {%- if unread_old_files | length > 0 %}
        or source_file in (
            {%- for file in unread_old_files %}
            '{{ file | replace("'", "''") }}'{{ ',' if not loop.last }}
            {%- endfor %}
        )
    {%- endif %}
    {%- endif %}

),

run_window as (

    select * from {{ ref('int_run_window') }}

),

windowed as (

    select
        events.*,
        run_window.window_start,
        {% if bot_regex is not none -%}
        {{ regexp_ilike('events.useragent', bot_regex) }} as is_bot_agent
        {%- else -%}
        false as is_bot_agent
        {%- endif %}

    from events
    cross join run_window

),

validated as (

    select
        windowed.*,
        case
            when windowed.is_invalid_utf8 then 'invalid_utf8'
            when windowed.is_invalid_json then 'invalid_json'
            when windowed.field_count <> 131 then 'wrong_field_count'
            when windowed.event_id is null then 'missing_event_id'
            when windowed.collector_tstamp is null then 'unparseable_timestamp'
            when windowed.event in ('page_view', 'page_ping') and windowed.dvce_created_tstamp is null
                then 'unparseable_timestamp'
            when
                windowed.collector_tstamp > {{ snowplow_latest_plausible_tstamp('windowed.load_tstamp') }}
                or windowed.derived_tstamp > {{ snowplow_latest_plausible_tstamp('windowed.load_tstamp') }}
                then 'timestamp_in_future'
            when
                windowed.collector_tstamp < {{ snowplow_earliest_plausible_tstamp() }}
                or windowed.derived_tstamp < {{ snowplow_earliest_plausible_tstamp() }}
                then 'timestamp_before_floor'
            when not windowed.is_contexts_valid_json then 'invalid_context_json'
            when windowed.event in ('page_view', 'page_ping') and windowed.page_view_id is null
                then 'missing_page_view_id'
            when
                windowed.event in ('page_view', 'page_ping')
                and windowed.domain_userid is null
                and windowed.domain_sessionid is null
                then 'missing_user_and_session_id'
            -- without an app_id a page view has no site: quarantined, not a NULL site_id that fails the marts' tests
            when windowed.event in ('page_view', 'page_ping') and windowed.app_id is null then 'missing_app_id'
        end as quarantine_reason,
        {% if var('article_recs__bot_filtering') -%}
        coalesce(
            windowed.is_bot_agent
            or windowed.yauaa_device_class in ('Robot', 'Robot Mobile', 'Robot Imitator', 'Spy', 'Hacker'),
            false
        ) as is_bot,
        {%- else -%}
        false as is_bot,
        {%- endif %}
        {% set excluded_app_ids = var('article_recs__excluded_app_ids') -%}
        {% if excluded_app_ids | length > 0 -%}
        coalesce(windowed.app_id in ('{{ excluded_app_ids | join("', '") }}'), false) as is_excluded_app,
        {%- else -%}
        false as is_excluded_app,
        {%- endif %}
        coalesce(
            windowed.dvce_sent_tstamp
            > {{ dbt.dateadd('day', days_late_allowed, 'windowed.dvce_created_tstamp') }},
            false
        ) as is_too_late,
        coalesce(
            coalesce(windowed.derived_tstamp, windowed.collector_tstamp) < windowed.window_start,
            false
        ) as is_late,
        md5(
            coalesce(windowed.raw_line, '')
            || '|' || coalesce(windowed.event_id, '')
            || '|' || coalesce(windowed.collector_tstamp_raw, '')
        ) as line_hash

    from windowed

),

final as (

    select
        -- lineage
        events_source,
        source_file,
        load_tstamp,
        load_partition,
        field_count,
        case when quarantine_reason is not null then raw_line end as raw_line,
        {{ snowplow_line_bytes('raw_line') }} + 1 as line_bytes,
        collector_tstamp_raw,

        -- the event, as the event store keeps it
        {%- for column in snowplow_event_columns() %}
        {{ column }},
        {%- endfor %}
        -- self-describing events (the recommendation widget's rec_impression / rec_click) for the online
        -- evaluation; not part of the event store
        case when event = 'unstruct' then unstruct_event end as unstruct_event,

        -- the verdict
        window_start,
        quarantine_reason,
        is_bot,
        is_excluded_app,
        is_too_late,
        is_late,
        line_hash,
        case
            when quarantine_reason is not null then 'quarantined:' || quarantine_reason
            when is_bot then 'bot'
            when is_excluded_app then 'excluded_app'
            when event is null or event not in ('page_view', 'page_ping') then 'other_event'
            when is_too_late then 'too_late'
            else 'eligible'
        end as outcome

    from validated

)

select * from final

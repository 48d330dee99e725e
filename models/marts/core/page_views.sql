{{ config(
    materialized=stateful_materialization(),
    unique_key='page_view_id',
    incremental_strategy='delete+insert',
    on_schema_change='append_new_columns',
    pre_hook=[{"sql": "{{ snowplow_full_run_truncate() }}", "transaction": false}, "{{ snowplow_delete_reprocessed_sessions() }}"],
    indexes=[
        {'columns': ['page_view_id']}, {'columns': ['domain_sessionid']}, {'columns': ['domain_userid']},
        {'columns': ['site_id', 'article_id']},
    ] if target.type == 'postgres' else [],
) }}
{{ snowplow_guard_full_refresh() }}

{#- One row per page view: engaged time, scroll depth, referrer, device, and the article it shows.
    Incremental: the page views of the sessions rebuilt in this run replace what those sessions held. -#}
-- depends_on: {{ ref('int_sessions_this_run') }}
-- depends_on: {{ ref('int_articles_this_run') }}

with

page_views as (

    select * from {{ ref('int_page_views_classified') }}

),

final as (

    select
        -- ids
        page_view_id,
        site_id,
        app_id,
        domain_userid,
        domain_sessionid,
        domain_sessionidx,
        event_id,
        article_id,
        is_derived_session,

        -- timestamps
        start_tstamp,
        end_tstamp,

        -- page
        page_url,
        page_urlpath,
        page_title,
        referrer_medium,
        referrer_source,

        -- engagement
        engaged_time_in_s,
        cast(absolute_time_in_s as bigint) as absolute_time_in_s,  -- datediff: double precision on PostgreSQL
        page_pings,
        vertical_percentage_scrolled,
        max_scroll_depth,

        -- device
        device_class

    from page_views

)

{{ snowplow_stateful_rows('final', 'site_id', snowplow_reprocessed_sessions()) }}

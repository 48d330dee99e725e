{{ config(
    materialized=stateful_materialization(),
    unique_key='domain_sessionid',
    incremental_strategy='delete+insert',
    indexes=[{'columns': ['domain_sessionid']}, {'columns': ['domain_userid']}] if target.type == 'postgres' else [],
    on_schema_change='append_new_columns',
    pre_hook=[{"sql": "{{ snowplow_full_run_truncate() }}", "transaction": false}, "{{ snowplow_delete_reprocessed_sessions() }}"],
) }}
{{ snowplow_guard_full_refresh() }}

{#- One row per session (domain_sessionid, or a derived session id for cookie-only events).
    Incremental: the sessions rebuilt in this run replace their previous rows. -#}
-- depends_on: {{ ref('int_sessions_this_run') }}

with

sessions as (

    select * from {{ ref('int_sessions_aggregated') }}

),

final as (

    select
        -- ids
        domain_sessionid,
        site_id,
        domain_userid,
        domain_sessionidx,
        is_derived_session,

        -- timestamps
        start_tstamp,
        end_tstamp,

        -- activity (a sum is hugeint on DuckDB and numeric on PostgreSQL, a datediff bigint on DuckDB and
        -- double precision on PostgreSQL: cast to the contract's bigint)
        page_views,
        article_page_views,
        cast(engaged_time_in_s as bigint) as engaged_time_in_s,
        cast(absolute_time_in_s as bigint) as absolute_time_in_s,

        -- pages
        landing_page_urlpath,
        exit_page_urlpath,
        is_engaged

    from sessions

)

{{ snowplow_stateful_rows('final', 'site_id', snowplow_reprocessed_sessions()) }}

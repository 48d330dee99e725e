{{ config(
    materialized=stateful_materialization(),
    unique_key='domain_userid',
    incremental_strategy='delete+insert',
    indexes=[{'columns': ['domain_userid']}] if target.type == 'postgres' else [],
    on_schema_change='append_new_columns',
    pre_hook=[{"sql": "{{ snowplow_full_run_truncate() }}", "transaction": false}, "{{ snowplow_delete_keys(ref('int_sessions_this_run'), ['domain_userid']) }}"],
) }}
{{ snowplow_guard_full_refresh() }}

{#- One row per reader (domain_userid, the first-party cookie id: pseudonymous, per site).
    Incremental: the readers of the sessions rebuilt in this run are recomputed from all their sessions. -#}
-- depends_on: {{ ref('int_sessions_this_run') }}

with

{% if snowplow_is_incremental() -%}
sessions_this_run as (

    select * from {{ ref('int_sessions_this_run') }}

),
{%- endif %}

sessions as (

    select * from {{ ref('sessions') }}
    where domain_userid is not null

),

{% if snowplow_is_incremental() -%}
sessions_of_readers_this_run as (

    select * from sessions
    where domain_userid in (select sessions_this_run.domain_userid from sessions_this_run)

),
{%- else -%}
sessions_of_readers_this_run as (

    select * from sessions

),
{%- endif %}

final as (

    select
        domain_userid,
        min(site_id) as site_id,
        min(start_tstamp) as first_seen_at,
        max(end_tstamp) as last_seen_at,
        count(*) as sessions,
        -- sums are hugeint on DuckDB and numeric on PostgreSQL: cast to the contract's bigint
        cast(sum(page_views) as bigint) as page_views,
        cast(sum(engaged_time_in_s) as bigint) as engaged_time_in_s

    from sessions_of_readers_this_run
    group by domain_userid

)

{{ snowplow_stateful_rows('final', 'site_id', [snowplow_key_listed(ref('int_sessions_this_run'), ['domain_userid'])]) }}

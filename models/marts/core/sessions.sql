{{ config(
    materialized='incremental',
    unique_key='domain_sessionid',
    incremental_strategy='delete+insert',
    indexes=[{'columns': ['domain_sessionid']}, {'columns': ['domain_userid']}] if target.type == 'postgres' else [],
    on_schema_change='sync_all_columns',
    pre_hook=[{"sql": "{{ snowplow_full_run_truncate() }}", "transaction": false}, "{{ snowplow_delete_reprocessed_sessions() }}"],
) }}
{{ snowplow_guard_full_refresh() }}

{#- One row per session (domain_sessionid, or a derived session id for cookie-only events).
    Incremental: the sessions rebuilt in this run replace their previous rows. -#}
-- depends_on: {{ ref('int_sessions_this_run') }}

select * from {{ ref('int_sessions_aggregated') }}

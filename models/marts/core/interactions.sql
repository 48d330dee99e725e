{{ config(
    materialized=stateful_materialization(),
    unique_key='domain_userid',
    incremental_strategy='delete+insert',
    indexes=[{'columns': ['domain_userid']}] if target.type == 'postgres' else [],
    on_schema_change='append_new_columns',
    pre_hook=[{"sql": "{{ snowplow_full_run_truncate() }}", "transaction": false}, "{{ snowplow_delete_keys(ref('int_sessions_this_run'), ['domain_userid']) }}"],
) }}
{{ snowplow_guard_full_refresh() }}

{#- One row per reader x article: total dwell (engaged time) over all reads, number of reads, first and
    last read. The recommender's training data starts here. Incremental: all the rows of the readers of the
    sessions rebuilt in this run are recomputed from their page views (delete+insert on domain_userid). -#}
-- depends_on: {{ ref('int_sessions_this_run') }}

with

{% if snowplow_is_incremental() -%}
sessions_this_run as (

    select * from {{ ref('int_sessions_this_run') }}

),
{%- endif %}

page_views as (

    select * from {{ ref('page_views') }}
    where article_id is not null and domain_userid is not null

),

{% if snowplow_is_incremental() -%}
page_views_of_readers_this_run as (

    select * from page_views
    where domain_userid in (select sessions_this_run.domain_userid from sessions_this_run)

),
{%- else -%}
page_views_of_readers_this_run as (

    select * from page_views

),
{%- endif %}

final as (

    select
        site_id,
        domain_userid,
        article_id,
        cast(sum(engaged_time_in_s) as bigint) as dwell_s,  -- hugeint (DuckDB) / numeric (PostgreSQL) otherwise
        count(*) as reads,
        min(start_tstamp) as first_read_at,
        max(start_tstamp) as last_read_at

    from page_views_of_readers_this_run
    group by site_id, domain_userid, article_id

)

{{ snowplow_stateful_rows('final', 'site_id', [snowplow_key_listed(ref('int_sessions_this_run'), ['domain_userid'])]) }}

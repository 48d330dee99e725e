{{ config(
    materialized=stateful_materialization(),
    unique_key=['site_id', 'article_id'],
    incremental_strategy='delete+insert',
    indexes=[{'columns': ['site_id', 'article_id']}] if target.type == 'postgres' else [],
    on_schema_change='sync_all_columns',
    pre_hook=[{"sql": "{{ snowplow_full_run_truncate() }}", "transaction": false}, "{{ snowplow_delete_keys(ref('int_articles_this_run'), ['site_id', 'article_id']) }}"],
) }}
{{ snowplow_guard_full_refresh() }}

{#- One row per article (site_id, article_id) seen in page views: latest path and title, first and last seen,
    page views and readers. Incremental: the articles of int_articles_this_run are recomputed from all their
    page views. -#}
-- depends_on: {{ ref('int_articles_this_run') }}

with

{% if snowplow_is_incremental() -%}
articles_this_run as (

    select * from {{ ref('int_articles_this_run') }}

),
{%- endif %}

page_views as (

    select page_views.*

    from {{ ref('page_views') }} as page_views
    {% if snowplow_is_incremental() -%}
    inner join articles_this_run
        on
            page_views.site_id = articles_this_run.site_id
            and page_views.article_id = articles_this_run.article_id
    {%- endif %}
    where page_views.article_id is not null

),

latest as (

    select
        site_id,
        article_id,
        page_urlpath,
        page_title,
        row_number() over (
            partition by site_id, article_id order by start_tstamp desc, page_view_id desc
        ) as recency_rank

    from page_views

),

seen as (

    select
        site_id,
        article_id,
        min(start_tstamp) as first_seen_at,
        max(start_tstamp) as last_seen_at,
        count(*) as page_views,
        count(distinct domain_userid) as readers

    from page_views
    group by site_id, article_id

),

final as (

    select
        seen.site_id,
        seen.article_id,
        latest.page_urlpath as canonical_path,
        latest.page_title,
        seen.first_seen_at,
        seen.last_seen_at,
        seen.page_views,
        seen.readers

    from seen
    inner join latest
        on
            seen.site_id = latest.site_id
            and seen.article_id = latest.article_id
            and latest.recency_rank = 1

)

{{ snowplow_stateful_rows(
    'final', 'site_id', [snowplow_key_listed(ref('int_articles_this_run'), ['site_id', 'article_id'])]
) }}

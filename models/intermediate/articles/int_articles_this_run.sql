{#- The articles whose aggregates this run must recompute: the articles of the page views rebuilt in this run,
    and those of the page views the rebuilt sessions held before (read from page_views as the previous run left
    it: page_views is built after this model). -#}
{%- set previous_page_views = snowplow_existing_relation('page_views') -%}
-- depends_on: {{ ref('int_sessions_this_run') }}

with

page_views_this_run as (

    select * from {{ ref('int_page_views_classified') }}

),

{% if previous_page_views is not none and not snowplow_run_is_full() -%}
sessions_this_run as (

    select * from {{ ref('int_sessions_this_run') }}

),
{%- endif %}

articles as (

    select
        site_id,
        article_id

    from page_views_this_run
    where article_id is not null

    {% if previous_page_views is not none and not snowplow_run_is_full() -%}
    union

    select
        previous_page_views.site_id,
        previous_page_views.article_id

    from {{ previous_page_views }} as previous_page_views
    where
        previous_page_views.article_id is not null
        and (
            previous_page_views.domain_sessionid in (
                select sessions_this_run.session_key from sessions_this_run
                where not sessions_this_run.is_derived_session
            )
            or (
                previous_page_views.is_derived_session
                and previous_page_views.domain_userid in (
                    select sessions_this_run.domain_userid from sessions_this_run
                    where sessions_this_run.is_derived_session
                )
            )
        )
    {%- endif %}

),

final as (

    select distinct
        site_id,
        article_id

    from articles

)

select * from final

{#- What the warehouse holds now, as additive counts (one row per fact, site, strategy and outcome): the numbers
    `article-recs summary` / `make demo` print and the Dagster assets carry as metadata, read from here rather
    than queried again by each. A view: it always describes the tables as they are, also after a failed run. -#}

{{ config(materialized='view') }}

with

load_outcomes as (

    select * from {{ ref('event_load_stats') }}

),

page_views as (

    select * from {{ ref('page_views') }}

),

sessions as (

    select * from {{ ref('sessions') }}

),

readers as (

    select * from {{ ref('users') }}

),

articles as (

    select * from {{ ref('articles') }}

),

models as (

    select * from {{ ref('model_registry') }}
    where status = 'current'

),

recommendations as (

    select * from {{ ref('current_recommendations') }}

),

related_sources as (

    select distinct
        site_id,
        strategy,
        source_entity_id as article_id

    from recommendations
    where source_entity_type = 'article'

),

facts as (

    select 'lines_read' as fact, null as site_id, null as strategy, outcome, events as value
    from load_outcomes

    union all

    select 'page_views', site_id, null, null, count(*) from page_views group by site_id

    union all

    select 'article_page_views', site_id, null, null, count(article_id) from page_views group by site_id

    union all

    select 'sessions', site_id, null, null, count(*) from sessions group by site_id

    union all

    select 'readers', site_id, null, null, count(*) from readers group by site_id

    union all

    select 'articles', site_id, null, null, count(*) from articles group by site_id

    union all

    select 'current_models', site_id, strategy, null, count(*) from models group by site_id, strategy

    union all

    select 'recommendations', site_id, strategy, null, count(*) from recommendations group by site_id, strategy

    union all

    select
        'articles_covered',
        related_sources.site_id,
        related_sources.strategy,
        null,
        count(*)
    from related_sources
    inner join articles
        on
            related_sources.site_id = articles.site_id
            and related_sources.article_id = articles.article_id
    group by related_sources.site_id, related_sources.strategy

),

final as (

    select
        cast(fact as {{ dbt.type_string() }}) as fact,
        cast(site_id as {{ dbt.type_string() }}) as site_id,
        cast(strategy as {{ dbt.type_string() }}) as strategy,
        cast(outcome as {{ dbt.type_string() }}) as outcome,
        cast(value as {{ dbt.type_bigint() }}) as value

    from facts

)

select * from final

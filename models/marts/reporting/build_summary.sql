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

per_site as (

    select
        site_id,
        'page_views' as fact,
        count(*) as amount
    from page_views
    group by site_id

    union all

    select
        site_id,
        'article_page_views' as fact,
        count(article_id) as amount
    from page_views
    group by site_id

    union all

    select
        site_id,
        'sessions' as fact,
        count(*) as amount
    from sessions
    group by site_id

    union all

    select
        site_id,
        'readers' as fact,
        count(*) as amount
    from readers
    group by site_id

    union all

    select
        site_id,
        'articles' as fact,
        count(*) as amount
    from articles
    group by site_id

),

per_strategy as (

    select
        site_id,
        strategy,
        'current_models' as fact,
        count(distinct model_id) as amount
    from recommendations
    group by site_id, strategy

    union all

    select
        site_id,
        strategy,
        'recommendations' as fact,
        count(*) as amount
    from recommendations
    group by site_id, strategy

    union all

    select
        related_sources.site_id,
        related_sources.strategy,
        'articles_covered' as fact,
        count(*) as amount
    from related_sources
    inner join articles
        on
            related_sources.site_id = articles.site_id
            and related_sources.article_id = articles.article_id
    group by related_sources.site_id, related_sources.strategy

),

final as (

    select
        cast('lines_read' as {{ dbt.type_string() }}) as fact,
        cast(null as {{ dbt.type_string() }}) as site_id,
        cast(null as {{ dbt.type_string() }}) as strategy,
        cast(load_outcomes.outcome as {{ dbt.type_string() }}) as outcome,
        cast(load_outcomes.events as {{ dbt.type_bigint() }}) as amount
    from load_outcomes

    union all

    select
        per_site.fact,
        per_site.site_id,
        null as strategy,
        null as outcome,
        per_site.amount
    from per_site

    union all

    select
        per_strategy.fact,
        per_strategy.site_id,
        per_strategy.strategy,
        null as outcome,
        per_strategy.amount
    from per_strategy

)

select * from final

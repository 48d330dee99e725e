{#- Who is served at the serving cut: one row per site with reads, strategy the site must serve (every
    strategy ever registered, a failed attempt too: a strategy that never succeeded on a site is missing there)
    and article read in the serving cut's training window (recommender_list_sources). The quality suite
    `recommendations` expects every strategy served and every such article to have a related list from it. -#}

with

serving_cuts as (

    select * from {{ ref('recommender_cuts') }}
    where is_serving

),

list_sources as (

    select * from {{ ref('recommender_list_sources') }}
    where source_entity_type = 'article'

),

registry as (

    select * from {{ ref('model_registry') }}

),

recommendations as (

    select * from {{ ref('current_recommendations') }}

),

read_at_serving_cut as (

    select distinct
        list_sources.site_id,
        list_sources.source_entity_id as article_id

    from list_sources
    inner join serving_cuts
        on
            list_sources.site_id = serving_cuts.site_id
            and list_sources.cut_at = serving_cuts.cut_at

),

strategies as (

    select distinct strategy from registry

),

served as (

    select distinct
        site_id,
        strategy

    from recommendations

),

related_lists as (

    select distinct
        site_id,
        strategy,
        source_entity_id as article_id

    from recommendations
    where source_entity_type = 'article'

),

final as (

    select
        read_at_serving_cut.site_id,
        strategies.strategy,
        read_at_serving_cut.article_id,
        served.strategy is not null as is_strategy_served,
        -- null where the strategy serves nothing on the site (is_strategy_served says so once)
        case
            when served.strategy is not null then related_lists.article_id is not null
        end as has_related_list

    from read_at_serving_cut
    cross join strategies
    left join served
        on
            read_at_serving_cut.site_id = served.site_id
            and strategies.strategy = served.strategy
    left join related_lists
        on
            read_at_serving_cut.site_id = related_lists.site_id
            and strategies.strategy = related_lists.strategy
            and read_at_serving_cut.article_id = related_lists.article_id

)

select * from final

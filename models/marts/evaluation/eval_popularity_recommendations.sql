{#- Popularity trained at the evaluation cut, as the API serves it: the site's list for every source article of
    eval_next_in_session_pairs (without the source itself; task 'related') and for every reader of
    eval_reader_holdout (without what they read before the cut; task 'reader'), recs_per_source each
    (macros/recommender_fill.sql with no items of its own). -#}

with

sites as (

    select * from {{ ref('eval_sites') }}

),

articles as (

    select * from {{ ref('articles') }}

),

pairs as (

    select * from {{ ref('eval_next_in_session_pairs') }}

),

holdout as (

    select * from {{ ref('eval_reader_holdout') }}

),

{{ popularity_ctes() }},

{{ training_interactions_ctes() }},

fill_sources as (

    select distinct
        site_id,
        'article' as source_entity_type,
        source_article_id as source_entity_id

    from pairs

    union all

    select distinct
        site_id,
        'reader' as source_entity_type,
        domain_userid as source_entity_id

    from holdout

),

no_own_items as (

    select
        site_id,
        strategy,
        source_entity_type,
        source_entity_id,
        recommended_article_id,
        rank,
        score

    from popularity_recommendations
    where 1 = 0

),

{{ popularity_fill_ctes(
    'popularity_lists', 'popularity', own='no_own_items', sources='fill_sources',
    fallback='popularity_recommendations', read='windowed'
) }}

select
    site_id,
    strategy,
    source_entity_type,
    source_entity_id,
    recommended_article_id,
    rank,
    score,
    case when source_entity_type = 'article' then 'related' else 'reader' end as task  -- noqa: RF04

from popularity_lists

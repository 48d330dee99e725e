{#- Item-kNN trained at the evaluation cut (eval_sites.as_of), with the serving model's macros: related lists
    for the source articles of eval_next_in_session_pairs (task 'related') and lists for the readers of
    eval_reader_holdout (task 'reader'), padded with popularity at the cut. -#}

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

pair_sources as (

    select distinct
        site_id,
        source_article_id as article_id

    from pairs

),

holdout_readers as (

    select distinct
        site_id,
        domain_userid

    from holdout

),

{{ training_interactions_ctes() }},

{{ recommender_candidates_ctes() }},

{{ item_knn_ctes(related_sources='pair_sources', readers='holdout_readers') }},

{{ popularity_ctes() }},

fill_sources as (

    select
        site_id,
        'article' as source_entity_type,
        article_id as source_entity_id

    from pair_sources

    union all

    select
        site_id,
        'reader' as source_entity_type,
        domain_userid as source_entity_id

    from holdout_readers

),

{{ popularity_fill_ctes(
    'item_knn_filled', 'item_knn', own='item_knn_lists', sources='fill_sources',
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

from item_knn_filled

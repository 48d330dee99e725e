{#- Item-kNN (macros/recommender_item_knn.sql), portable SQL: related articles for every article read in the
    training window and a list for every reader trained on, padded with popularity where the co-reads give
    fewer than recs_per_source (macros/recommender_fill.sql). -#}

with

sites as (

    select * from {{ ref('recommender_sites') }}

),

articles as (

    select * from {{ ref('articles') }}

),

training_interactions as (

    select * from {{ ref('recommender_training_interactions') }}

),

windowed as (

    select * from {{ ref('recommender_window_reads') }}

),

{{ recommender_candidates_ctes() }},

{{ item_knn_ctes() }},

{{ serving_fill_ctes('item_knn_filled', 'item_knn', own='item_knn_lists') }}

select
    site_id,
    strategy,
    source_entity_type,
    source_entity_id,
    recommended_article_id,
    rank,
    score

from item_knn_filled

{#- ALS: the model's own lists (python_models/recommender/als_lists.py: implicit, trained per site) padded with
    popularity where they are short, as item_knn_recommendations is (macros/recommender_fill.sql): related
    articles for every article read in the training window, a list for every reader trained on. The
    site's training stats ride along as constant columns. DuckDB only (Python models). -#}

{{ config(enabled=(target.type == 'duckdb')) }}

with

sites as (

    select * from {{ ref('recommender_sites') }}

),

als_lists as (

    select * from {{ ref('als_lists') }}

),

own_lists as (

    select
        site_id,
        strategy,
        source_entity_type,
        source_entity_id,
        recommended_article_id,
        rank,
        score

    from als_lists

),

training_stats as (

    select
        site_id,
        max(trained_at) as trained_at,
        max(train_seconds) as train_seconds,
        max(n_interactions) as n_interactions,
        max(n_readers) as n_readers,
        max(n_articles) as n_articles

    from als_lists
    group by site_id

),

{{ serving_fill_ctes('als_filled', 'als', own='own_lists') }}

select
    als_filled.site_id,
    als_filled.strategy,
    als_filled.source_entity_type,
    als_filled.source_entity_id,
    als_filled.recommended_article_id,
    als_filled.rank,
    als_filled.score,
    training_stats.trained_at,
    training_stats.train_seconds,
    training_stats.n_interactions,
    training_stats.n_readers,
    training_stats.n_articles

from als_filled
left join training_stats
    on als_filled.site_id = training_stats.site_id

{#- Every reader x article read in each site's training window (as_of - training_window_days, as_of], before
    any dwell or count filter (the `windowed` step of macros/training_interactions.sql): what a reader list
    must never recommend back, and the articles that must get a related list. A table: the ALS Python model,
    item_knn_recommendations and the serving fill (macros/recommender_fill.sql) all read it. -#}

with

sites as (

    select * from {{ ref('recommender_sites') }}

),

articles as (

    select * from {{ ref('articles') }}

),

{{ training_interactions_ctes() }}

select * from windowed

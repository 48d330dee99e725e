{#- Every reader x article read in each site's training window (as_of - training_window_days, as_of], before
    any dwell or count filter (the `windowed` step of macros/training_interactions.sql): what a reader list
    must never recommend back. A view: its one reader, the ALS Python model, reads three columns of it. -#}

{{ config(materialized='view') }}

with

sites as (

    select * from {{ ref('recommender_sites') }}

),

articles as (

    select * from {{ ref('articles') }}

),

{{ training_interactions_ctes() }}

select * from windowed

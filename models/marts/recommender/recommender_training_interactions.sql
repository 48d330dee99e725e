{#- The reader x article reads the serving recommenders train on (filters: macros/training_interactions.sql). -#}

with

sites as (

    select * from {{ ref('recommender_sites') }}

),

articles as (

    select * from {{ ref('articles') }}

),

{{ training_interactions_ctes() }}

select * from training_interactions

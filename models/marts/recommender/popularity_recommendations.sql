{#- The popularity fallback per site (macros/popularity.sql): top N articles by decayed dwell, scores in [0, 1]. -#}

with

sites as (

    select * from {{ ref('recommender_sites') }}

),

articles as (

    select * from {{ ref('articles') }}

),

{{ popularity_ctes() }}

select * from popularity_recommendations

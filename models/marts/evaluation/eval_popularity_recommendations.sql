{#- Popularity trained at the evaluation cut: the same list serves every source article and every reader. -#}

with

sites as (

    select * from {{ ref('eval_sites') }}

),

articles as (

    select * from {{ ref('articles') }}

),

{{ popularity_ctes() }}

select * from popularity_recommendations

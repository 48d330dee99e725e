{#- The training reads for the offline evaluation: the same filters as serving, cut at the holdout start. -#}

with

sites as (

    select * from {{ ref('eval_sites') }}

),

articles as (

    select * from {{ ref('articles') }}

),

{{ training_interactions_ctes() }}

select * from training_interactions

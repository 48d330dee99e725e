{#- What the latest offline evaluation covered: one row per site of its run and strategy ever registered
    (model_registry), and whether the run evaluated it. The quality suite `evaluations` expects every pair. -#}

with

evaluations as (

    select * from {{ ref('model_evaluations') }}

),

registry as (

    select * from {{ ref('model_registry') }}

),

latest as (

    select max(evaluated_at) as evaluated_at from evaluations

),

latest_run as (

    select evaluations.*

    from evaluations
    inner join latest
        on evaluations.evaluated_at = latest.evaluated_at

),

sites as (

    select distinct site_id from latest_run

),

strategies as (

    select distinct strategy from registry

),

evaluated as (

    select distinct
        site_id,
        strategy

    from latest_run

),

final as (

    select
        sites.site_id,
        strategies.strategy,
        evaluated.strategy is not null as is_evaluated

    from sites
    cross join strategies
    left join evaluated
        on
            sites.site_id = evaluated.site_id
            and strategies.strategy = evaluated.strategy

)

select * from final

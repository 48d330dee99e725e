{#- Every strategy's lists at the serving cut (recommendation_lists: the very rows the evaluation scores at
    its cuts) under a new model_id per (site, strategy)
    (<site>-<strategy>-<run_started_at %Y%m%dT%H%M%S>), appended to the rows of the models kept from earlier
    runs. Rows become visible to readers when model_registry (built next) makes their model current; the
    registry's post-hook deletes the rows of models it no longer keeps. Serve what the registry says:
    join on model_id with status = 'current'. -#}

{{ config(
    materialized=stateful_materialization(),
    incremental_strategy='delete+insert',
    unique_key='model_id',
    on_schema_change='fail',
) }}

with

serving_cuts as (

    select * from {{ ref('recommender_cuts') }}
    where is_serving

),

lists as (

    select * from {{ ref('recommendation_lists') }}

),

this_run as (

    select lists.*

    from lists
    inner join serving_cuts
        on
            lists.site_id = serving_cuts.site_id
            and lists.cut_at = serving_cuts.cut_at

),

final as (

    select
        {{ recommender_model_id('site_id', 'strategy') }} as model_id,
        site_id,
        strategy,
        source_entity_type,
        source_entity_id,
        recommended_article_id,
        cast(rank as integer) as rank,
        cast(score as {{ type_double() }}) as score

    from this_run

)

select * from final

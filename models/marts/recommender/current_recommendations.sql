{#- What readers are served now: the rows of recommendations whose model is current in model_registry.
    recommendations also holds the rows of the models kept for rollback and, briefly, pending ones: read this
    view, never that join again. -#}

{{ config(materialized='view') }}

with

recommendations as (

    select * from {{ ref('recommendations') }}

),

models as (

    select * from {{ ref('model_registry') }}
    where status = 'current'

),

final as (

    select recommendations.*

    from recommendations
    inner join models
        on recommendations.model_id = models.model_id

)

select * from final

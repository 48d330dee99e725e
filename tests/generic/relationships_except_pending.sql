{#- dbt's relationships test for model ids whose last 15 characters are the training run's start
    (%Y%m%dT%H%M%S, see recommender_model_id): fails for every model id of the model that `to`.`field` does not
    have, except "pending" ids - those of a run newer than every id of `to`, written before the registry ran
    (recommendations between its own build and model_registry's, or after `dbt build -s recommendations`).
    Before `to` exists every id is pending. -#}
{% test relationships_except_pending(model, column_name, to, field) %}

{%- set registry = load_relation(to) if execute else none %}

with

model_ids as (

    select distinct {{ column_name }} as model_id
    from {{ model }}
    where {{ column_name }} is not null

),

{% if registry is not none -%}
registered as (

    select {{ field }} as model_id
    from {{ to }}

),

newest_registered as (

    select max(right(registered.model_id, 15)) as run_suffix
    from registered

)

select model_ids.model_id

from model_ids
cross join newest_registered
left join registered
    on model_ids.model_id = registered.model_id
where
    registered.model_id is null
    and right(model_ids.model_id, 15) <= newest_registered.run_suffix
{%- else -%}
nothing_registered as (

    select model_id
    from model_ids
    where false

)

select model_id from nothing_registered
{%- endif %}

{% endtest %}

{#- A foreign key over several columns, e.g. (site_id, article_id) -> articles: fails for every distinct key of
    the model (rows with a NULL in any of `columns` are skipped, as dbt's relationships test skips NULLs) that
    has no row in `to` with the same values in `to_columns` (default: the same column names, in order). -#}
{% test relationships_multi_column(model, to, columns, to_columns=none) %}

{%- set to_columns = to_columns or columns %}

with

child as (

    select distinct
        {%- for column in columns %}
        {{ column }} as key_{{ loop.index }}{{ ',' if not loop.last }}
        {%- endfor %}

    from {{ model }}
    where
        {%- for column in columns %}
        {{ 'and ' if not loop.first }}{{ column }} is not null
        {%- endfor %}

),

parent as (

    select distinct
        {%- for column in to_columns %}
        {{ column }} as key_{{ loop.index }}{{ ',' if not loop.last }}
        {%- endfor %}

    from {{ to }}

)

select child.*

from child
left join parent
    on
        {%- for column in columns %}
        {{ 'and ' if not loop.first }}child.key_{{ loop.index }} = parent.key_{{ loop.index }}
        {%- endfor %}
where parent.key_1 is null

{% endtest %}

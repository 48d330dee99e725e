{#- recommender_sites as of the evaluation cut: the latest article_recs__holdout_hours are held out, models
    are trained on what came before. as_of here is the cut; holdout_end is the serving as_of. -#}

with

sites as (

    select * from {{ ref('recommender_sites') }}

),

final as (

    select
        sites.*,
        sites.as_of as holdout_end,
        {{ dbt.dateadd('hour', -1 * var('article_recs__holdout_hours'), 'sites.as_of') }} as holdout_start

    from sites

)

select
    site_id,
    app_id,
    {%- for knob in recommender_site_knobs() + recommender_var_knobs() %}
    {{ knob }},
    {%- endfor %}
    holdout_start as as_of,
    holdout_start,
    holdout_end

from final

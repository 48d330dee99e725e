{#- One row per site with the recommender parameters in force: the per-site override from seeds/sites.csv
    when it has one, else the project var. as_of is the end of every window (var article_recs__as_of, else
    the latest event seen), so reruns over the same events give the same answers. -#}

with

sites as (

    select * from {{ ref('sites') }}

),

events as (

    select max(collector_tstamp) as latest_collector_tstamp
    from {{ ref('int_events_deduplicated') }}

),

final as (

    select
        sites.site_id,
        sites.app_id,
        {%- for knob in recommender_site_knobs() %}
        coalesce(sites.{{ knob }}, {{ var('article_recs__' ~ knob) }}) as {{ knob }},
        {%- endfor %}
        {%- for knob in recommender_var_knobs() %}
        {{ var('article_recs__' ~ knob) }} as {{ knob }},
        {%- endfor %}
        {{ as_of_expression('events.latest_collector_tstamp') }} as as_of

    from sites
    cross join events

)

select * from final

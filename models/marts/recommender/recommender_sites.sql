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
        {{ as_of_expression('events.latest_collector_tstamp') }} as as_of,
        {%- for knob in recommender_site_knobs() %}
        coalesce(sites.{{ knob }}, {{ var('article_recs__' ~ knob) }}) as {{ knob }},
        {%- endfor %}
        {{ var('article_recs__min_article_readers') }} as min_article_readers,
        {{ var('article_recs__min_reader_articles') }} as min_reader_articles,
        {{ var('article_recs__min_reader_total_dwell_s') }} as min_reader_total_dwell_s,
        {{ var('article_recs__recs_per_source') }} as recs_per_source

    from sites
    cross join events

)

select * from final

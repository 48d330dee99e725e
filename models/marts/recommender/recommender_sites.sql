{#- One row per site with the recommender parameters in force: the per-site override from seeds/sites.csv
    when it has one, else the project var. as_of is the end of every window: the var article_recs__as_of,
    else the latest event of that site (its app_id), so one site's clock never moves another's, and reruns
    over the same events give the same answers. A site with no events has no as_of (and no cuts).
    dwell_known: the site's page views carry page pings, so engaged time measures dwell; without any (a replayed
    click log) dwell is unknown: the dwell filters let such reads through and popularity counts reads. -#}

with

sites as (

    select * from {{ ref('sites') }}

),

events as (

    select * from {{ ref('int_events_deduplicated') }}

),

dwell_measured as (

    -- sites whose tracker sends page pings: only there is engaged time a measured dwell (a replayed click log,
    -- or a tracker without activity tracking, has none: its dwell is unknown, not short)
    select distinct site_id

    from {{ ref('page_views') }}
    where page_pings > 0

),

latest_events as (

    select
        app_id,
        max(collector_tstamp) as latest_collector_tstamp

    from events
    group by app_id

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
        {{ as_of_expression('latest_events.latest_collector_tstamp') }} as as_of,
        dwell_measured.site_id is not null as dwell_known

    from sites
    left join latest_events
        on sites.app_id = latest_events.app_id
    left join dwell_measured
        on sites.site_id = dwell_measured.site_id

)

select * from final

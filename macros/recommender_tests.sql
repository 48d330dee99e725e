{#- Generic data tests of the recommender marts (used in models/marts/recommender and evaluation YAML). -#}

{#- Every list of a recommendation table is well formed: ranks are 1..k without gaps (k = rows of the list),
    at most `sites_model`.recs_per_source rows ('default' lists: popularity_top_n), no article twice, never
    the source article itself, scores in (0, 1] and not increasing with rank. One row per broken list.
    `list_columns`: the columns that name a list (besides site_id, source_entity_type, source_entity_id). -#}
{% test well_formed_lists(model, sites_model, list_columns=[]) %}

{%- set keys = ['site_id', 'source_entity_type', 'source_entity_id'] + list_columns %}
{%- set list_partition -%}
    partition by {% for key in keys %}recs.{{ key }}{{ ', ' if not loop.last }}{% endfor %}
{%- endset %}

with

recs as (

    select * from {{ model }}

),

sites as (

    select * from {{ sites_model }}

),

ordered as (

    -- duplicates are counted as rows equal to the one before them in the list's order (rank; article id), not
    -- with count(distinct ...): DuckDB keeps a set per list for a distinct count, and a full build judges
    -- every list of every cut (recommendation_lists at 1M events, 11.4M rows: make bench 13.2 -> 7.5 s;
    -- README, Benchmarks)
    select
        recs.*,
        lag(recs.score) over (
            {{ list_partition }}
            order by recs.rank
        ) as previous_score,
        lag(recs.rank) over (
            {{ list_partition }}
            order by recs.rank
        ) as previous_rank,
        lag(recs.recommended_article_id) over (
            {{ list_partition }}
            order by recs.recommended_article_id
        ) as previous_article_id

    from recs

),

lists as (

    select
        {% for key in keys %}ordered.{{ key }},{% endfor %}
        count(*) as n_items,
        count(ordered.rank)
        - sum(case when ordered.rank = ordered.previous_rank then 1 else 0 end) as n_ranks,
        count(ordered.recommended_article_id)
        - sum(case when ordered.recommended_article_id = ordered.previous_article_id then 1 else 0 end)
            as n_articles,
        min(ordered.rank) as min_rank,
        max(ordered.rank) as max_rank,
        sum(
            case
                when
                    ordered.source_entity_type = 'article'
                    and ordered.recommended_article_id = ordered.source_entity_id
                    then 1
                else 0
            end
        ) as self_recommendations,
        sum(case when ordered.score <= 0 or ordered.score > 1 or ordered.score is null then 1 else 0 end)
            as scores_out_of_range,
        sum(case when ordered.score > ordered.previous_score then 1 else 0 end) as scores_increasing

    from ordered
    group by {% for key in keys %}ordered.{{ key }}{{ ', ' if not loop.last }}{% endfor %}

)

select lists.*

from lists
left join sites
    on lists.site_id = sites.site_id
where
    lists.min_rank <> 1
    or lists.max_rank <> lists.n_items
    or lists.n_ranks <> lists.n_items
    or lists.n_articles <> lists.n_items
    or lists.self_recommendations > 0
    or lists.scores_out_of_range > 0
    or lists.scores_increasing > 0
    or lists.n_items > case
        when lists.source_entity_type = 'default' then sites.popularity_top_n
        else sites.recs_per_source
    end

{% endtest %}

{#- Every article read in a site's training window (page views in (as_of - training_window_days, as_of]) has
    a related list in `model` from each of `strategies` (on the sites that strategy serves). -#}
{% test every_read_article_has_related_list(model, sites_model, strategies) %}

with

sites as (

    select * from {{ sites_model }}

),

page_views as (

    select * from {{ ref('page_views') }}
    where article_id is not null and domain_userid is not null

),

read_in_window as (

    select distinct
        page_views.site_id,
        page_views.article_id

    from page_views
    inner join sites
        on page_views.site_id = sites.site_id
    where
        page_views.start_tstamp <= sites.as_of
        and page_views.start_tstamp
        > {{ dbt.dateadd('day', '-1 * sites.training_window_days', 'sites.as_of') }}

),

served as (

    select distinct
        site_id,
        strategy

    from {{ model }}
    where strategy in ({% for s in strategies %}'{{ s }}'{{ ', ' if not loop.last }}{% endfor %})

),

related_lists as (

    select distinct
        site_id,
        strategy,
        source_entity_id

    from {{ model }}
    where source_entity_type = 'article'

)

select
    read_in_window.site_id,
    served.strategy,
    read_in_window.article_id

from read_in_window
inner join served
    on read_in_window.site_id = served.site_id
left join related_lists
    on
        read_in_window.site_id = related_lists.site_id
        and served.strategy = related_lists.strategy
        and read_in_window.article_id = related_lists.source_entity_id
where related_lists.source_entity_id is null

{% endtest %}

{#- The rows of a cut-keyed recommender table that this run computed, for a data test whose `where` is
    `__recommender_this_run__` (see get_where_subquery): the cuts of each site after the serving cut of the
    last run the registry recorded (its latest train_window_end before the site's as_of) - the run's new
    cuts, and a killed run's, which the registry never recorded. Every row on a full refresh, on a site the
    registry has not seen, when the table is rebuilt whole (not incremental, as on Spark), and when there is
    no registry yet. The cut-keyed tables only ever append the cuts they lack (macros/recommender_cuts.sql), so
    the rows of earlier cuts were judged by the run that added them; a two-hourly run no longer re-reads every
    cut of the hold-out (issue #17: at 1M, 11M rows of recommendation_lists, 40 s, every two hours). -#}
{% macro recommender_this_run_relation(relation) -%}
    {%- set found = [] -%}
    {%- if execute and graph.get('nodes') is not none -%}
        {%- for node in graph.nodes.values()
            if node.resource_type == 'model' and node.alias == relation.identifier
            and node.schema == relation.schema -%}
            {%- do found.append(node) -%}
        {%- endfor -%}
    {%- endif -%}
    {%- set tested = found[0] if found else none -%}
    {%- set registry = snowplow_existing_relation("model_registry") -%}
    {%- set sites = snowplow_existing_relation('recommender_sites') -%}
    {%- if flags.FULL_REFRESH or tested is none or tested.config.materialized != 'incremental'
        or registry is none or sites is none -%}
        {{ return(relation) }}
    {%- endif -%}
    {%- set this_run -%}
        (
            select judged.*
            from {{ relation }} as judged
            left join (
                select
                    registry.site_id,
                    max(registry.train_window_end) as previous_cut_at
                from {{ registry }} as registry
                inner join {{ sites }} as sites
                    on registry.site_id = sites.site_id and registry.train_window_end < sites.as_of
                group by registry.site_id
            ) as previous
                on judged.site_id = previous.site_id
            where previous.previous_cut_at is null or judged.cut_at > previous.previous_cut_at
        ) dbt_subquery
    {%- endset -%}
    {{ return(this_run) }}
{%- endmacro %}

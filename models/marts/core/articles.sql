{#- One row per article (site_id, article_id) seen in page views: latest title and path, first seen, and
    the publish date from the CMS metadata when it has one, else the first time it was seen. -#}
{%- set has_metadata = var('article_recs__article_metadata_path') | length > 0 -%}

with

page_views as (

    select * from {{ ref('page_views') }}
    where article_id is not null

),

{% if has_metadata -%}
metadata as (

    select * from {{ ref('stg_cms__article_metadata') }}

),
{%- endif %}

latest as (

    select
        site_id,
        article_id,
        page_urlpath,
        page_title,
        row_number() over (
            partition by site_id, article_id order by start_tstamp desc, page_view_id desc
        ) as recency_rank

    from page_views

),

seen as (

    select
        site_id,
        article_id,
        min(start_tstamp) as first_seen_at,
        max(start_tstamp) as last_seen_at,
        count(*) as page_views,
        count(distinct domain_userid) as readers

    from page_views
    group by site_id, article_id

),

final as (

    select
        seen.site_id,
        seen.article_id,
        latest.page_urlpath as canonical_path,
        {% if has_metadata -%}
        coalesce(latest.page_title, metadata.title) as title,
        metadata.section,
        metadata.author,
        {%- else -%}
        latest.page_title as title,
        cast(null as {{ dbt.type_string() }}) as section,
        cast(null as {{ dbt.type_string() }}) as author,
        {%- endif %}
        seen.first_seen_at,
        seen.last_seen_at,
        {% if has_metadata -%}
        coalesce(metadata.published_at, seen.first_seen_at) as published_at,
        case when metadata.published_at is not null then 'metadata' else 'first_seen' end
            as published_at_source,
        {%- else -%}
        seen.first_seen_at as published_at,
        'first_seen' as published_at_source,
        {%- endif %}
        seen.page_views,
        seen.readers

    from seen
    inner join latest
        on
            seen.site_id = latest.site_id
            and seen.article_id = latest.article_id
            and latest.recency_rank = 1
    {% if has_metadata -%}
    left join metadata
        on
            seen.site_id = metadata.site_id
            and seen.article_id = metadata.article_id
    {%- endif %}

)

select * from final

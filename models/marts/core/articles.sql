{#- One row per article (site_id, article_id) seen in page views: latest title and path, first seen, and
    the publish date from the CMS metadata when it has one, else the first time it was seen.
    A table over int_articles_aggregated (incremental) and the metadata, which may change between runs. -#}
{%- set has_metadata = var('article_recs__article_metadata_path') | length > 0 -%}

with

aggregated as (

    select * from {{ ref('int_articles_aggregated') }}

),

{% if has_metadata -%}
metadata as (

    select * from {{ ref('stg_cms__article_metadata') }}

),
{%- endif %}

final as (

    select
        aggregated.site_id,
        aggregated.article_id,
        aggregated.canonical_path,
        {% if has_metadata -%}
        coalesce(aggregated.page_title, metadata.title) as title,
        metadata.section,
        metadata.author,
        {%- else -%}
        aggregated.page_title as title,
        cast(null as {{ dbt.type_string() }}) as section,
        cast(null as {{ dbt.type_string() }}) as author,
        {%- endif %}
        aggregated.first_seen_at,
        aggregated.last_seen_at,
        {% if has_metadata -%}
        coalesce(metadata.published_at, aggregated.first_seen_at) as published_at,
        case when metadata.published_at is not null then 'metadata' else 'first_seen' end
            as published_at_source,
        {%- else -%}
        aggregated.first_seen_at as published_at,
        'first_seen' as published_at_source,
        {%- endif %}
        aggregated.page_views,
        aggregated.readers

    from aggregated
    {% if has_metadata -%}
    left join metadata
        on
            aggregated.site_id = metadata.site_id
            and aggregated.article_id = metadata.article_id
    {%- endif %}

)

select * from final

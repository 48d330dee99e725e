{{ config(enabled=var('article_recs__article_metadata_path') | length > 0) }}

{#- The usable rows of the CMS export (base_cms__article_metadata), one per (site_id, article_id): the
    earliest publish date wins. -#}

with

base as (

    select * from {{ ref('base_cms__article_metadata') }}
    where quarantine_reason is null

),

deduplicated as (

    select
        *,
        row_number() over (partition by site_id, article_id order by published_at) as metadata_rank

    from base

)

select
    site_id,
    article_id,
    published_at,
    section,
    author,
    title,
    url

from deduplicated
where metadata_rank = 1

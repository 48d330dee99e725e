{{ config(enabled=var('article_recs__article_metadata_path') | length > 0) }}

with

source as (

    select * from {{ source('cms', 'article_metadata') }}

),

renamed as (

    select
        -- ids
        site_id,
        article_id,

        -- timestamps
        {{ safe_cast('published_at', 'timestamp') }} as published_at,

        -- descriptive
        section,
        author,
        title,
        url

    from source
    where site_id is not null and article_id is not null

),

deduplicated as (

    select
        *,
        row_number() over (partition by site_id, article_id order by published_at) as metadata_rank

    from renamed

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

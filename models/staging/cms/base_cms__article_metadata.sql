{{ config(enabled=var('article_recs__article_metadata_path') | length > 0) }}

{#- Every row of the CMS export, typed, with why it cannot be used (NULL when it can): missing_id (no site_id
    or article_id), missing_published_at (no publish date - a short row is read with its missing fields NULL),
    unparseable_published_at. The export is read leniently (null_padding, strict_mode off: a short or long row
    never fails the build); stg_cms__article_metadata keeps the usable rows, article_metadata_quarantine lists
    the others, so none is dropped unseen. -#}

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
        published_at as published_at_raw,
        {{ safe_cast('published_at', dbt.type_timestamp()) }} as published_at,

        -- descriptive
        section,
        author,
        title,
        url

    from source

),

validated as (

    select
        *,
        case
            when site_id is null or article_id is null then 'missing_id'
            when published_at_raw is null then 'missing_published_at'
            when published_at is null then 'unparseable_published_at'
        end as quarantine_reason

    from renamed

)

select * from validated

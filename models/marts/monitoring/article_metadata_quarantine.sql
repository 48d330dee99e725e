{{ config(enabled=var('article_recs__article_metadata_path') | length > 0) }}

{#- The rows of the CMS export that cannot be used, with the reason (base_cms__article_metadata): the rest
    of the export is used; the articles of these rows take their first-seen time as publish date. -#}

with

base as (

    select * from {{ ref('base_cms__article_metadata') }}
    where quarantine_reason is not null

),

final as (

    select
        quarantine_reason,
        site_id,
        article_id,
        published_at_raw,
        section,
        author,
        title,
        url

    from base

)

select * from final

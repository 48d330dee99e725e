{#- Page views matched to their site (seeds/sites.csv, on app_id) and, when the path matches the site's
    article URL regex and no excluded prefix, to an article id. Unknown app_ids keep their app_id as site. -#}

with

page_views as (

    select * from {{ ref('int_page_views_engaged') }}

),

sites as (

    select * from {{ ref('sites') }}

),

classified as (

    select
        page_views.*,
        coalesce(sites.site_id, page_views.app_id) as site_id,
        sites.site_id is not null as is_known_site,
        case
            when sites.site_id is null then null
            when
                sites.excluded_path_prefixes is not null
                and {{ regexp_like('page_views.page_urlpath', "'^(' || sites.excluded_path_prefixes || ')'") }}
                then null
            else {{ regexp_extract_group('page_views.page_urlpath', 'sites.article_url_regex') }}
        end as article_id

    from page_views
    left join sites
        on page_views.app_id = sites.app_id

)

select * from classified

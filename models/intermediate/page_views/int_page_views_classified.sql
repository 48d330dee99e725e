{#- Page views matched to their site (seeds/sites.csv, on app_id) and, when the page is on the site's host
    and the path matches the site's article URL regex and no excluded prefix, to an article id. A page of a
    known app on another host (a proxy, a copy, a staging server) is not an article (is_known_host false,
    counted in snowplow_run_stats.page_views_unknown_host). Unknown app_ids keep their app_id as site.
    The regexes are the sites' own (a column, not a constant), so they are applied once per distinct
    (app_id, path), not once per page view: a pattern that is not a constant is compiled for every row. -#}

with

page_views as (

    select * from {{ ref('int_page_views_engaged') }}

),

sites as (

    select * from {{ ref('sites') }}

),

paths as (

    -- one row per (app_id, host, path); a missing host or path is '' here, so the join back is a plain
    -- equi-join
    select distinct
        app_id,
        coalesce(page_urlhost, '') as host_key,
        coalesce(page_urlpath, '') as path_key

    from page_views
    where app_id is not null

),

path_articles as (

    select
        paths.app_id,
        paths.host_key,
        paths.path_key,
        sites.site_id,
        coalesce(sites.host is null or lower(paths.host_key) = lower(sites.host), false) as is_known_host,
        case
            when sites.site_id is null then null
            when sites.host is not null and lower(paths.host_key) <> lower(sites.host) then null
            when
                sites.excluded_path_prefixes is not null
                and {{ regexp_like("nullif(paths.path_key, '')", "'^(' || sites.excluded_path_prefixes || ')'") }}
                then null
            else {{ regexp_extract_group("nullif(paths.path_key, '')", 'sites.article_url_regex') }}
        end as article_id

    from paths
    left join sites
        on paths.app_id = sites.app_id

),

classified as (

    select
        page_views.*,
        coalesce(path_articles.site_id, page_views.app_id) as site_id,
        path_articles.site_id is not null as is_known_site,
        coalesce(path_articles.is_known_host, false) as is_known_host,
        path_articles.article_id

    from page_views
    left join path_articles
        on
            page_views.app_id = path_articles.app_id
            and coalesce(page_views.page_urlhost, '') = path_articles.host_key
            and coalesce(page_views.page_urlpath, '') = path_articles.path_key

)

select * from classified

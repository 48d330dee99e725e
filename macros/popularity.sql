{#- The popularity fallback (CTEs ending in `popularity_recommendations`; the caller defines `sites`
    shaped like recommender_sites and `articles`), as the newsroom job computes it: per site, the top popularity_top_n articles by
    total dwell over the last popularity_window_days, each read weighted by
    0.5 ^ (age of the read in days / popularity_half_life_days), normalised to [0, 1] by the site's maximum.
    Articles older than max_article_age_days are never recommended. -#}
{% macro popularity_ctes() %}
popularity_page_views as (

    select * from {{ ref('page_views') }}
    where article_id is not null

),

popularity_decayed_dwell as (

    select
        page_views.site_id,
        page_views.article_id,
        sum(
            page_views.engaged_time_in_s
            * {{ power_of(0.5, age_in_days('page_views.start_tstamp', 'sites.as_of')
                ~ ' / sites.popularity_half_life_days') }}
        ) as popularity

    from popularity_page_views as page_views
    inner join sites
        on page_views.site_id = sites.site_id
    inner join articles
        on
            page_views.site_id = articles.site_id
            and page_views.article_id = articles.article_id
    where
        page_views.start_tstamp <= sites.as_of
        and page_views.start_tstamp
        > {{ dbt.dateadd('day', '-1 * sites.popularity_window_days', 'sites.as_of') }}
        and {{ age_in_days('articles.published_at', 'sites.as_of') }} <= sites.max_article_age_days
    group by page_views.site_id, page_views.article_id

),

popularity_ranked as (

    select
        site_id,
        article_id,
        popularity,
        row_number() over (partition by site_id order by popularity desc, article_id) as popularity_rank,
        max(popularity) over (partition by site_id) as max_popularity

    from popularity_decayed_dwell
    where popularity > 0

),

popularity_recommendations as (

    select
        ranked.site_id,
        'popularity' as strategy,
        'default' as source_entity_type,
        'default' as source_entity_id,
        ranked.article_id as recommended_article_id,
        ranked.popularity_rank as rank,
        {{ safe_divide('ranked.popularity', 'ranked.max_popularity') }} as score

    from popularity_ranked as ranked
    inner join sites
        on ranked.site_id = sites.site_id
    where ranked.popularity_rank <= sites.popularity_top_n

)
{% endmacro %}

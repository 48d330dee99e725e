{#- The reader x article reads a recommender trains on, with the newsroom job's filters, per site:
    reads in the last training_window_days before `sites.as_of`; dwell between min_dwell_s and max_dwell_s;
    articles no older than max_article_age_days; then articles read by more than min_article_readers
    readers, and readers with more than min_reader_articles articles and over min_reader_total_dwell_s.
    The caller defines CTEs `sites` (shaped like recommender_sites; its as_of may be an evaluation cut)
    and `articles`.
    The CTEs end in `training_interactions`. -#}
{% macro training_interactions_ctes() %}
training_page_views as (

    select * from {{ ref('page_views') }}
    where article_id is not null and domain_userid is not null

),

windowed as (

    select
        page_views.site_id,
        page_views.domain_userid,
        page_views.article_id,
        sum(page_views.engaged_time_in_s) as dwell_s,
        count(*) as reads,
        min(page_views.start_tstamp) as first_read_at,
        max(page_views.start_tstamp) as last_read_at

    from training_page_views as page_views
    inner join sites
        on page_views.site_id = sites.site_id
    where
        page_views.start_tstamp <= sites.as_of
        and page_views.start_tstamp
        > {{ dbt.dateadd('day', '-1 * sites.training_window_days', 'sites.as_of') }}
    group by page_views.site_id, page_views.domain_userid, page_views.article_id

),

read_filtered as (

    select windowed.*

    from windowed
    inner join sites
        on windowed.site_id = sites.site_id
    inner join articles
        on
            windowed.site_id = articles.site_id
            and windowed.article_id = articles.article_id
    where
        windowed.dwell_s >= sites.min_dwell_s
        and windowed.dwell_s <= sites.max_dwell_s
        and {{ age_in_days('articles.published_at', 'sites.as_of') }} <= sites.max_article_age_days

),

popular_enough as (

    select
        read_filtered.site_id,
        read_filtered.article_id

    from read_filtered
    inner join sites
        on read_filtered.site_id = sites.site_id
    group by read_filtered.site_id, read_filtered.article_id, sites.min_article_readers
    having count(*) > sites.min_article_readers

),

article_filtered as (

    select read_filtered.*

    from read_filtered
    inner join popular_enough
        on
            read_filtered.site_id = popular_enough.site_id
            and read_filtered.article_id = popular_enough.article_id

),

active_enough as (

    select
        article_filtered.site_id,
        article_filtered.domain_userid

    from article_filtered
    inner join sites
        on article_filtered.site_id = sites.site_id
    group by
        article_filtered.site_id,
        article_filtered.domain_userid,
        sites.min_reader_articles,
        sites.min_reader_total_dwell_s
    having
        count(*) > sites.min_reader_articles
        and sum(article_filtered.dwell_s) > sites.min_reader_total_dwell_s

),

training_interactions as (

    select article_filtered.*

    from article_filtered
    inner join active_enough
        on
            article_filtered.site_id = active_enough.site_id
            and article_filtered.domain_userid = active_enough.domain_userid

)
{% endmacro %}

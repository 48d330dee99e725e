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

    select
        windowed.*,
        sites.min_article_readers,
        sites.min_reader_articles,
        sites.min_reader_total_dwell_s

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

{#- The reader and article thresholds are window counts over the filtered reads, not joins back to grouped
    copies of them: Postgres misestimates such self-joins as one row and plans nested loops that take
    minutes on the demo data. -#}
article_counted as (

    select
        read_filtered.*,
        count(*) over (partition by read_filtered.site_id, read_filtered.article_id) as article_readers

    from read_filtered

),

article_filtered as (

    select * from article_counted
    where article_readers > min_article_readers

),

reader_counted as (

    select
        article_filtered.*,
        count(*) over (
            partition by article_filtered.site_id, article_filtered.domain_userid
        ) as reader_articles,
        sum(article_filtered.dwell_s) over (
            partition by article_filtered.site_id, article_filtered.domain_userid
        ) as reader_dwell_s

    from article_filtered

),

training_interactions as (

    select
        site_id,
        domain_userid,
        article_id,
        dwell_s,
        reads,
        first_read_at,
        last_read_at

    from reader_counted
    where
        reader_articles > min_reader_articles
        and reader_dwell_s > min_reader_total_dwell_s

)
{% endmacro %}

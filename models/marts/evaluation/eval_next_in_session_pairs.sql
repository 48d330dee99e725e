{#- The related-articles test cases: within each session of the holdout window, every article page view
    followed by a page view of a different article gives (source_article_id -> next_article_id). -#}

with

page_views as (

    select * from {{ ref('page_views') }}
    where article_id is not null and domain_userid is not null

),

sites as (

    select * from {{ ref('eval_sites') }}

),

holdout as (

    select page_views.*

    from page_views
    inner join sites
        on page_views.site_id = sites.site_id
    where
        page_views.start_tstamp > sites.holdout_start
        and page_views.start_tstamp <= sites.holdout_end

),

sequenced as (

    select
        site_id,
        domain_userid,
        domain_sessionid,
        article_id as source_article_id,
        lead(article_id) over (
            partition by domain_sessionid order by start_tstamp, page_view_id
        ) as next_article_id,
        lead(start_tstamp) over (
            partition by domain_sessionid order by start_tstamp, page_view_id
        ) as next_read_at

    from holdout

),

final as (

    select
        site_id,
        domain_userid,
        domain_sessionid,
        source_article_id,
        next_article_id,
        next_read_at

    from sequenced
    where next_article_id is not null and next_article_id <> source_article_id

)

select * from final

{#- The related-articles test cases of the rolling evaluation: in each session, every article page view
    followed by a page view of a different article gives a case (source_article_id -> target_article_id).
    A case belongs to the evaluation cut whose window [cut_at, eval_window_end) holds the source read - the
    moment a widget would have shown the related list - and is scored against that cut's lists, i.e. the
    model that was being served then. Every cut whose window has passed (recommender_cuts.is_labelled): the
    hold-out's cuts are scored on them (eval_case_hits), and the ranker learns from them (ranker_training_rows),
    the training tail's cuts included. is_cold_start: nobody had read the target article before the cut. -#}

with

cuts as (

    select * from {{ ref('recommender_cuts') }}
    where is_labelled

),

page_views as (

    select * from {{ ref('page_views') }}
    where article_id is not null and domain_userid is not null

),

articles as (

    select * from {{ ref('articles') }}

),

first_cuts as (

    select
        site_id,
        min(cut_at) as first_cut_at

    from cuts
    group by site_id

),

sequenced as (

    select
        page_views.site_id,
        page_views.page_view_id,
        page_views.domain_userid,
        page_views.domain_sessionid,
        page_views.article_id as source_article_id,
        page_views.start_tstamp as source_read_at,
        lead(page_views.article_id) over (
            partition by page_views.domain_sessionid order by page_views.start_tstamp, page_views.page_view_id
        ) as target_article_id,
        lead(page_views.start_tstamp) over (
            partition by page_views.domain_sessionid order by page_views.start_tstamp, page_views.page_view_id
        ) as target_read_at

    from page_views
    inner join first_cuts
        on page_views.site_id = first_cuts.site_id
    where page_views.start_tstamp >= first_cuts.first_cut_at

),

final as (

    select
        sequenced.site_id,
        cuts.cut_at,
        sequenced.page_view_id as case_id,
        sequenced.domain_userid,
        sequenced.domain_sessionid,
        sequenced.source_article_id,
        sequenced.target_article_id,
        sequenced.source_read_at,
        sequenced.target_read_at,
        coalesce(articles.first_seen_at >= cuts.cut_at, true) as is_cold_start

    from sequenced
    inner join cuts
        on
            sequenced.site_id = cuts.site_id
            and sequenced.source_read_at >= cuts.cut_at
            and sequenced.source_read_at < cuts.eval_window_end
    left join articles
        on
            sequenced.site_id = articles.site_id
            and sequenced.target_article_id = articles.article_id
    where
        sequenced.target_article_id is not null
        and sequenced.target_article_id <> sequenced.source_article_id

)

select * from final

{#- The per-reader test cases of the rolling evaluation: at each cut whose window has passed
    (recommender_cuts.is_labelled: scored at the hold-out's cuts, the ranker's labels at every one), every reader the cut's models were trained on
    (recommender_training_interactions) and each article they read in the window [cut_at, eval_window_end)
    and had not read before the cut. One row per (cut, reader, article); the reader's list at the cut is
    scored on them. is_cold_start: nobody had read the article before the cut. -#}

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

known_readers as (

    select distinct
        training_interactions.site_id,
        training_interactions.cut_at,
        training_interactions.domain_userid

    from {{ ref('recommender_training_interactions') }} as training_interactions
    inner join cuts
        on
            training_interactions.site_id = cuts.site_id
            and training_interactions.cut_at = cuts.cut_at

),

read_in_window as (

    select distinct
        known_readers.site_id,
        known_readers.cut_at,
        known_readers.domain_userid,
        page_views.article_id

    from known_readers
    inner join cuts
        on
            known_readers.site_id = cuts.site_id
            and known_readers.cut_at = cuts.cut_at
    inner join page_views
        on
            known_readers.site_id = page_views.site_id
            and known_readers.domain_userid = page_views.domain_userid
            and cuts.cut_at <= page_views.start_tstamp
            and cuts.eval_window_end > page_views.start_tstamp

),

read_before as (

    select distinct
        read_in_window.site_id,
        read_in_window.cut_at,
        read_in_window.domain_userid,
        read_in_window.article_id

    from read_in_window
    inner join page_views
        on
            read_in_window.site_id = page_views.site_id
            and read_in_window.domain_userid = page_views.domain_userid
            and read_in_window.article_id = page_views.article_id
            and read_in_window.cut_at > page_views.start_tstamp

),

final as (

    select
        read_in_window.site_id,
        read_in_window.cut_at,
        read_in_window.domain_userid,
        read_in_window.article_id,
        coalesce(articles.first_seen_at >= read_in_window.cut_at, true) as is_cold_start

    from read_in_window
    left join read_before
        on
            read_in_window.site_id = read_before.site_id
            and read_in_window.cut_at = read_before.cut_at
            and read_in_window.domain_userid = read_before.domain_userid
            and read_in_window.article_id = read_before.article_id
    left join articles
        on
            read_in_window.site_id = articles.site_id
            and read_in_window.article_id = articles.article_id
    where read_before.article_id is null

)

select * from final

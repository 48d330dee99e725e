{#- The per-reader test cases: for readers the evaluation models were trained on, the articles they read in
    the holdout window and had not read before it. -#}

with

page_views as (

    select * from {{ ref('page_views') }}
    where article_id is not null and domain_userid is not null

),

sites as (

    select * from {{ ref('eval_sites') }}

),

train as (

    select * from {{ ref('eval_train_interactions') }}

),

known_readers as (

    select distinct
        site_id,
        domain_userid

    from train

),

read_before as (

    select distinct
        page_views.site_id,
        page_views.domain_userid,
        page_views.article_id

    from page_views
    inner join sites
        on page_views.site_id = sites.site_id
    where page_views.start_tstamp <= sites.holdout_start

),

read_in_holdout as (

    select distinct
        page_views.site_id,
        page_views.domain_userid,
        page_views.article_id

    from page_views
    inner join sites
        on page_views.site_id = sites.site_id
    where
        page_views.start_tstamp > sites.holdout_start
        and page_views.start_tstamp <= sites.holdout_end

),

final as (

    select
        read_in_holdout.site_id,
        read_in_holdout.domain_userid,
        read_in_holdout.article_id

    from read_in_holdout
    inner join known_readers
        on
            read_in_holdout.site_id = known_readers.site_id
            and read_in_holdout.domain_userid = known_readers.domain_userid
    left join read_before
        on
            read_in_holdout.site_id = read_before.site_id
            and read_in_holdout.domain_userid = read_before.domain_userid
            and read_in_holdout.article_id = read_before.article_id
    where read_before.article_id is null

)

select * from final

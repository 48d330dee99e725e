{#- One row per reader x article: total dwell (engaged time) over all reads, number of reads, first and
    last read. The recommender's training data starts here. -#}

with

page_views as (

    select * from {{ ref('page_views') }}
    where article_id is not null and domain_userid is not null

),

final as (

    select
        site_id,
        domain_userid,
        article_id,
        sum(engaged_time_in_s) as dwell_s,
        count(*) as reads,
        min(start_tstamp) as first_read_at,
        max(start_tstamp) as last_read_at

    from page_views
    group by site_id, domain_userid, article_id

)

select * from final

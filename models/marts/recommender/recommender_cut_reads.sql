{#- Every reader x article read in each cut's training window [cut_at - training_window_days, cut_at), before
    any count filter (dwell_s null where the site's dwell is unknown: recommender_sites.dwell_known), with the
    per-read training filters as flags (is_dwell_in_range, is_article_in_age), so their effect can be counted: what a reader list must never recommend back, the articles that get a related
    list, and the input of the training filters (recommender_training_interactions). Keyed by
    (site_id, cut_at), incremental by cut (macros/recommender_cuts.sql). -#}

{{ cut_keyed_config() }}

with

cuts as (

    {{ cuts_to_build() }}

),

articles as (

    select * from {{ ref('articles') }}

),

page_views as (

    select * from {{ ref('page_views') }}
    where article_id is not null and domain_userid is not null

),

reads as (

    select
        cuts.site_id,
        cuts.cut_at,
        page_views.domain_userid,
        page_views.article_id,
        case when cuts.dwell_known then sum(page_views.engaged_time_in_s) end as dwell_s,
        count(*) as reads,
        min(page_views.start_tstamp) as first_read_at,
        max(page_views.start_tstamp) as last_read_at

    from page_views
    inner join cuts
        on page_views.site_id = cuts.site_id
    where
        page_views.start_tstamp < cuts.cut_at
        and page_views.start_tstamp
        >= {{ dbt.dateadd('day', '-1 * cuts.training_window_days', 'cuts.cut_at') }}
    group by cuts.site_id, cuts.cut_at, cuts.dwell_known, page_views.domain_userid, page_views.article_id

),

final as (

    select
        reads.*,
        -- the newsroom job's per-read training filters (recommender_training_interactions applies them, and the
        -- minimum readers / articles after them); an unknown dwell (null) is not short
        coalesce(reads.dwell_s between cuts.min_dwell_s and cuts.max_dwell_s, true) as is_dwell_in_range,
        coalesce(
            {{ age_in_days('articles.published_at', 'cuts.cut_at') }} <= cuts.max_article_age_days, false
        ) as is_article_in_age

    from reads
    inner join cuts
        on
            reads.site_id = cuts.site_id
            and reads.cut_at = cuts.cut_at
    left join articles
        on
            reads.site_id = articles.site_id
            and reads.article_id = articles.article_id

)

select * from final

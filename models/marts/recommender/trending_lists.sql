{#- Trending at each cut: what readers open right now. Per site, every read (article page view) in
    [cut_at - trending_window_hours, cut_at) counts 0.5 ^ (hours before the cut / trending_half_life_hours),
    one read per reader and article (a reader reloading a page is not a trend); the top popularity_top_n
    candidates (recommender_candidates: never older than max_article_age_days) by that sum, scores divided by
    the top one. One 'default' list per (site, cut): the site's fallback that pads every strategy's lists and
    answers for an unknown article (macros/recommender_strategies.sql). Counts, not dwell: a replayed log
    without dwell trends the same. Incremental by cut. -#}

{{ cut_keyed_config() }}

with

cuts as (

    {{ cuts_to_build() }}

),

candidates as (

    select * from {{ ref('recommender_candidates') }}

),

page_views as (

    select * from {{ ref('page_views') }}
    where article_id is not null

),

recent_reads as (

    select
        cuts.site_id,
        cuts.cut_at,
        page_views.article_id,
        coalesce(page_views.domain_userid, page_views.page_view_id) as reader_id,
        max(page_views.start_tstamp) as read_at,
        max(cuts.trending_half_life_hours) as half_life_hours

    from page_views
    inner join cuts
        on page_views.site_id = cuts.site_id
    where
        page_views.start_tstamp < cuts.cut_at
        and page_views.start_tstamp
        >= {{ dbt.dateadd('hour', '-1 * cuts.trending_window_hours', 'cuts.cut_at') }}
    group by
        cuts.site_id,
        cuts.cut_at,
        page_views.article_id,
        coalesce(page_views.domain_userid, page_views.page_view_id)

),

decayed as (

    select
        site_id,
        cut_at,
        article_id,
        sum(
            {{ power_of(0.5, '24.0 * ' ~ age_in_days('read_at', 'cut_at') ~ ' / half_life_hours') }}
        ) as trend

    from recent_reads
    group by site_id, cut_at, article_id

),

ranked as (

    select
        decayed.site_id,
        decayed.cut_at,
        decayed.article_id,
        decayed.trend,
        row_number() over (
            partition by decayed.site_id, decayed.cut_at
            order by decayed.trend desc, decayed.article_id asc
        ) as trend_rank,
        max(decayed.trend) over (partition by decayed.site_id, decayed.cut_at) as max_trend

    from decayed
    inner join candidates
        on
            decayed.site_id = candidates.site_id
            and decayed.cut_at = candidates.cut_at
            and decayed.article_id = candidates.article_id

),

final as (

    select
        ranked.site_id,
        ranked.cut_at,
        'trending' as strategy,
        'default' as source_entity_type,
        'default' as source_entity_id,
        ranked.article_id as recommended_article_id,
        ranked.trend_rank as rank,
        {{ safe_divide('ranked.trend', 'ranked.max_trend') }} as score

    from ranked
    inner join cuts
        on
            ranked.site_id = cuts.site_id
            and ranked.cut_at = cuts.cut_at
    where ranked.trend_rank <= cuts.popularity_top_n

)

select * from final

{#- Popularity at each cut, as the newsroom job computes it: per site, the top popularity_top_n articles by
    total dwell over [cut_at - popularity_window_days, cut_at), each read weighted by
    0.5 ^ (age of the read in days at the cut / popularity_half_life_days), scores normalised to [0, 1] by the
    site's maximum (where dwell is unknown, recommender_sites.dwell_known, each read counts 1). One 'default'
    list per (site, cut); only candidates (recommender_candidates) are listed.
    Incremental by cut. -#}

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

decayed_dwell as (

    select
        cuts.site_id,
        cuts.cut_at,
        page_views.article_id,
        sum(
            case when cuts.dwell_known then page_views.engaged_time_in_s else 1.0 end
            * {{ power_of(0.5, age_in_days('page_views.start_tstamp', 'cuts.cut_at')
                ~ ' / cuts.popularity_half_life_days') }}
        ) as popularity

    from page_views
    inner join cuts
        on page_views.site_id = cuts.site_id
    where
        page_views.start_tstamp < cuts.cut_at
        and page_views.start_tstamp
        >= {{ dbt.dateadd('day', '-1 * cuts.popularity_window_days', 'cuts.cut_at') }}
    group by cuts.site_id, cuts.cut_at, page_views.article_id

),

ranked as (

    select
        decayed_dwell.site_id,
        decayed_dwell.cut_at,
        decayed_dwell.article_id,
        decayed_dwell.popularity,
        row_number() over (
            partition by decayed_dwell.site_id, decayed_dwell.cut_at
            order by decayed_dwell.popularity desc, decayed_dwell.article_id asc
        ) as popularity_rank,
        max(decayed_dwell.popularity) over (
            partition by decayed_dwell.site_id, decayed_dwell.cut_at
        ) as max_popularity

    from decayed_dwell
    inner join candidates
        on
            decayed_dwell.site_id = candidates.site_id
            and decayed_dwell.cut_at = candidates.cut_at
            and decayed_dwell.article_id = candidates.article_id
    where decayed_dwell.popularity > 0

),

final as (

    select
        ranked.site_id,
        ranked.cut_at,
        'popularity' as strategy,
        'default' as source_entity_type,
        'default' as source_entity_id,
        ranked.article_id as recommended_article_id,
        ranked.popularity_rank as rank,
        {{ safe_divide('ranked.popularity', 'ranked.max_popularity') }} as score

    from ranked
    inner join cuts
        on
            ranked.site_id = cuts.site_id
            and ranked.cut_at = cuts.cut_at
    where ranked.popularity_rank <= cuts.popularity_top_n

)

select * from final

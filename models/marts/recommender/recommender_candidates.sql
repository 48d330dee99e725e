{#- The articles every strategy may recommend at each cut, with their publish-date decay: the candidate rules
    all strategies share (SQL ones join this model; ALS reads it).

    A candidate of a site at a cut:
    - is in the articles mart of the site;
    - had appeared before the cut: min(published_at, first_seen_at) < cut_at (a past cut never recommends an
      article that appeared after it);
    - is at most max_article_age_days old at the cut (age from published_at, else first_seen_at, clipped at 0);
    and carries its decay 0.5 ^ (age_days / decay_half_life_days) (1 when the half-life is not positive).
    "Not the source" and "not read by the reader" are list rules, applied where the lists are built. -#}

with

cuts as (

    select * from {{ ref('recommender_cuts') }}

),

articles as (

    select * from {{ ref('articles') }}
    where coalesce(published_at, first_seen_at) is not null

),

aged as (

    select
        cuts.site_id,
        cuts.cut_at,
        articles.article_id,
        {{ age_in_days('coalesce(articles.published_at, articles.first_seen_at)', 'cuts.cut_at') }} as raw_age_days,
        {{ age_in_days(
            'least(coalesce(articles.published_at, articles.first_seen_at), '
            ~ 'coalesce(articles.first_seen_at, articles.published_at))',
            'cuts.cut_at'
        ) }} as appeared_days_ago,
        cuts.max_article_age_days,
        cuts.decay_half_life_days

    from articles
    inner join cuts
        on articles.site_id = cuts.site_id

),

final as (

    select
        site_id,
        cut_at,
        article_id,
        case when raw_age_days > 0 then raw_age_days else 0 end as age_days,
        case
            when decay_half_life_days > 0
                then {{ power_of(0.5, '(case when raw_age_days > 0 then raw_age_days else 0 end)'
                    ~ ' / decay_half_life_days') }}
            else 1.0
        end as decay

    from aged
    where
        appeared_days_ago > 0
        and raw_age_days <= max_article_age_days

)

select * from final

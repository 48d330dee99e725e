{#- The candidate rules every SQL strategy applies to the articles it recommends (the SQL twin of
    article_recs.recommend.candidates.candidate_articles). The caller defines CTEs `sites` (shaped like
    recommender_sites; its as_of may be the evaluation cut) and `articles` (the articles mart).

    A candidate of a site at as_of:
    - is in the articles mart of the site;
    - exists at as_of: min(published_at, first_seen_at) <= as_of (an evaluation at a past cut never
      recommends an article that appeared after it);
    - is at most max_article_age_days old at as_of (age from published_at, else first_seen_at, clipped at 0);
    and carries its publish-date decay 0.5 ^ (age_days / decay_half_life_days) (1 when the half-life is not
    positive). "Not the source" and "not read by the reader" are list rules, applied where the lists are built.
    The CTEs end in `candidate_articles` (site_id, article_id, age_days, decay). -#}
{% macro recommender_candidates_ctes() %}
candidate_ages as (

    select
        articles.site_id,
        articles.article_id,
        {{ age_in_days(
            'coalesce(articles.published_at, articles.first_seen_at)', 'sites.as_of'
        ) }} as raw_age_days,
        {{ age_in_days(
            'least(coalesce(articles.published_at, articles.first_seen_at), '
            ~ 'coalesce(articles.first_seen_at, articles.published_at))',
            'sites.as_of'
        ) }} as appeared_days_ago,
        sites.max_article_age_days,
        sites.decay_half_life_days

    from articles
    inner join sites
        on articles.site_id = sites.site_id
    where coalesce(articles.published_at, articles.first_seen_at) is not null

),

candidate_articles as (

    select
        site_id,
        article_id,
        case when raw_age_days > 0 then raw_age_days else 0 end as age_days,
        case
            when decay_half_life_days > 0
                then {{ power_of(0.5, '(case when raw_age_days > 0 then raw_age_days else 0 end)'
                    ~ ' / decay_half_life_days') }}
            else 1.0
        end as decay

    from candidate_ages
    where
        appeared_days_ago >= 0
        and raw_age_days <= max_article_age_days

)
{% endmacro %}

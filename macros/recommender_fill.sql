{#- Gap filling with popularity, the SQL twin of article_recs.recommend.candidates.fill_gaps (the ALS
    evaluation model does the same in Python; tests/python/test_recommender_e2e.py pins the two together
    on item-kNN).

    Every list named in `sources` (site_id, source_entity_type 'article' | 'reader', source_entity_id) ends
    with recs_per_source items (from `sites`), when the fallback has enough articles:
    - the strategy's own items (`own`: the recommendation shape) keep their ranks and scores;
    - the list is padded with `fallback` articles (site_id, recommended_article_id, rank, score: popularity)
      in fallback order, skipping the source itself, articles already in the list and, for reader lists,
      articles the reader read (`read`: site_id, domain_userid, article_id);
    - a padded item scores ceiling * fallback score, ceiling = 0.5 * the lowest own score of the list (1 when
      the strategy had nothing for it): padded items always rank and score below the strategy's own items,
      keep the fallback's order and stay in (0, 1].
    Own lists not named in `sources` are kept as they are. The CTEs end in `name`. -#}
{% macro popularity_fill_ctes(name, strategy, own, sources, fallback, read) %}
{{ name }}_lists as (

    select
        sources.site_id,
        sources.source_entity_type,
        sources.source_entity_id,
        sites.recs_per_source,
        count(own.rank) as n_own,
        coalesce(max(own.rank), 0) as max_rank,
        coalesce(0.5 * min(own.score), 1.0) as ceiling

    from (
        select distinct site_id, source_entity_type, source_entity_id from {{ sources }}
    ) as sources
    inner join sites
        on sources.site_id = sites.site_id
    left join {{ own }} as own
        on
            sources.site_id = own.site_id
            and sources.source_entity_type = own.source_entity_type
            and sources.source_entity_id = own.source_entity_id
    group by sources.site_id, sources.source_entity_type, sources.source_entity_id, sites.recs_per_source

),

{{ name }}_read as (

    select distinct
        site_id,
        'reader' as source_entity_type,
        domain_userid as source_entity_id,
        article_id

    from {{ read }}

),

{{ name }}_padding_candidates as (

    select
        lists.site_id,
        lists.source_entity_type,
        lists.source_entity_id,
        lists.recs_per_source,
        lists.n_own,
        lists.max_rank,
        lists.ceiling,
        fallback.recommended_article_id,
        fallback.score as fallback_score,
        fallback.rank as fallback_rank

    from {{ name }}_lists as lists
    inner join {{ fallback }} as fallback
        on lists.site_id = fallback.site_id
    left join {{ own }} as own
        on
            lists.site_id = own.site_id
            and lists.source_entity_type = own.source_entity_type
            and lists.source_entity_id = own.source_entity_id
            and fallback.recommended_article_id = own.recommended_article_id
    left join {{ name }}_read as already_read
        on
            lists.site_id = already_read.site_id
            and lists.source_entity_type = already_read.source_entity_type
            and lists.source_entity_id = already_read.source_entity_id
            and fallback.recommended_article_id = already_read.article_id
    where
        lists.n_own < lists.recs_per_source
        and fallback.score > 0
        and own.recommended_article_id is null
        and already_read.article_id is null
        and not (
            lists.source_entity_type = 'article'
            and fallback.recommended_article_id = lists.source_entity_id
        )

),

{{ name }}_padding as (

    select
        padding.*,
        row_number() over (
            partition by padding.site_id, padding.source_entity_type, padding.source_entity_id
            order by padding.fallback_rank, padding.recommended_article_id
        ) as fill_position

    from {{ name }}_padding_candidates as padding

),

{{ name }} as (

    select
        own.site_id,
        own.strategy,
        own.source_entity_type,
        own.source_entity_id,
        own.recommended_article_id,
        own.rank,
        own.score

    from {{ own }} as own

    union all

    select
        padding.site_id,
        '{{ strategy }}' as strategy,
        padding.source_entity_type,
        padding.source_entity_id,
        padding.recommended_article_id,
        padding.max_rank + padding.fill_position as rank,
        padding.ceiling * padding.fallback_score as score

    from {{ name }}_padding as padding
    where padding.fill_position <= padding.recs_per_source - padding.n_own

)
{% endmacro %}

{#- The padded serving lists of a strategy (item_knn_recommendations, als_recommendations): a related list for
    every article read in the training window (recommender_window_reads) and a list for every reader trained
    on (recommender_training_interactions), each padded with the site's popularity_recommendations and never
    with what the reader read in the window. The caller defines `sites` (recommender_sites); `own` holds the
    strategy's own lists. Reads the models, so the window and popularity are computed once per run, not once
    per strategy. The CTEs end in `name`. -#}
{% macro serving_fill_ctes(name, strategy, own) %}
{{ name }}_window_reads as (

    select * from {{ ref('recommender_window_reads') }}

),

{{ name }}_popularity as (

    select * from {{ ref('popularity_recommendations') }}

),

{{ name }}_sources as (

    select distinct
        site_id,
        'article' as source_entity_type,
        article_id as source_entity_id

    from {{ name }}_window_reads

    union all

    select distinct
        site_id,
        'reader' as source_entity_type,
        domain_userid as source_entity_id

    from {{ ref('recommender_training_interactions') }}

),

{{ popularity_fill_ctes(
    name, strategy, own=own, sources=name ~ '_sources',
    fallback=name ~ '_popularity', read=name ~ '_window_reads'
) }}
{% endmacro %}

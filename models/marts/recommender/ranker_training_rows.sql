{#- The labelled candidates the ranked strategy learns from: ranker_candidates of every labelled cut (its
    evaluation window has passed: recommender_cuts.is_labelled, the ranker's training tail before the hold-out
    included) with the next clicks of that window as labels.
    - an article source: relevance = the related cases at the cut (eval_related_cases) whose source read is
      this article and whose next article in the session is the candidate (a count: two sessions going on to
      the same article weigh two);
    - a reader: relevance = 1 when the reader went on to read the candidate in the window (eval_reader_cases).
    Only groups (site, cut, source) with at least one positive candidate: a group without one teaches a
    ranker nothing. eval_window_end is when the labels were complete: ranked_lists trains a cut only on rows
    whose eval_window_end is at or before that cut, of the cuts in the article_recs__ranker_training_hours
    before it. Incremental by cut, a cut once it is labelled. -#}

{{ cut_keyed_config() }}

with

cuts as (

    {{ cuts_to_build('cuts.is_labelled') }}

),

candidates as (

    select candidates.*

    from {{ ref('ranker_candidates') }} as candidates
    inner join cuts
        on
            candidates.site_id = cuts.site_id
            and candidates.cut_at = cuts.cut_at

),

related_cases as (

    select * from {{ ref('eval_related_cases') }}

),

reader_cases as (

    select * from {{ ref('eval_reader_cases') }}

),

labels as (

    select
        site_id,
        cut_at,
        'article' as source_entity_type,
        source_article_id as source_entity_id,
        target_article_id as recommended_article_id,
        count(*) as relevance

    from related_cases
    group by site_id, cut_at, source_article_id, target_article_id

    union all

    select
        site_id,
        cut_at,
        'reader' as source_entity_type,
        domain_userid as source_entity_id,
        article_id as recommended_article_id,
        1 as relevance

    from reader_cases

),

labelled as (

    select
        candidates.*,
        coalesce(labels.relevance, 0) as relevance

    from candidates
    left join labels
        on
            candidates.site_id = labels.site_id
            and candidates.cut_at = labels.cut_at
            and candidates.source_entity_type = labels.source_entity_type
            and candidates.source_entity_id = labels.source_entity_id
            and candidates.recommended_article_id = labels.recommended_article_id

),

labelled_groups as (

    select distinct
        site_id,
        cut_at,
        source_entity_type,
        source_entity_id

    from labelled
    where relevance > 0

),

final as (

    select
        labelled.*,
        cuts.eval_window_end

    from labelled
    inner join labelled_groups
        on
            labelled.site_id = labelled_groups.site_id
            and labelled.cut_at = labelled_groups.cut_at
            and labelled.source_entity_type = labelled_groups.source_entity_type
            and labelled.source_entity_id = labelled_groups.source_entity_id
    inner join cuts
        on
            labelled.site_id = cuts.site_id
            and labelled.cut_at = cuts.cut_at

)

select * from final

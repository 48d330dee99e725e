{#- Session co-visitation at each cut, in portable SQL: sequence-aware item-to-item for news. In every session
    of the last covisitation_window_days before the cut, each article page view A and each different article B
    read at most covisitation_max_gap article views after it form a pair weighing
    1 / gap * 0.5 ^ (hours from B's read to the cut / covisitation_half_life_hours): what readers open next,
    soon after, lately. No training filter: an article has co-visits from its first few reads, where item-kNN
    and ALS wait for enough readers. Related list of A: its top recs_per_source candidates B by the summed
    weight, score = weight / the list's top weight * B's publish-date decay. Reader lists: the summed scores of
    the knn_reader_neighbours best related articles of each of the reader's 5 most recent reads in the cut's
    window (as item-kNN and content do), divided by 5, without what they read. Own lists, unpadded; incremental
    by cut.

    The pairs are found once per session over the union of the cuts' windows and summed per cut over those
    inside its window, not found again for every cut (a full build's cuts are hours apart, their windows days
    long). What bounds the cost at scale is the reader side's knn_reader_neighbours (README, Benchmarks). -#}

{{ cut_keyed_config() }}

with

cuts as (

    {{ cuts_to_build() }}

),

candidates as (

    select * from {{ ref('recommender_candidates') }}

),

cut_reads as (

    select * from {{ ref('recommender_cut_reads') }}

),

site_windows as (

    -- the union of the cuts' windows per site (the cuts of a site in one run carry the same knobs)
    select
        site_id,
        min({{ dbt.dateadd('day', '-1 * covisitation_window_days', 'cut_at') }}) as window_start,
        max(cut_at) as window_end,
        max(covisitation_max_gap) as max_gap

    from cuts
    group by site_id

),

sequenced as (

    -- each session's article views in that union, numbered once: the views a cut sees are an unbroken stretch
    -- of them (its window is an interval of time), so two views are as many positions apart at every cut
    select
        page_views.site_id,
        page_views.domain_sessionid,
        page_views.article_id,
        page_views.start_tstamp,
        row_number() over (
            partition by page_views.site_id, page_views.domain_sessionid
            order by page_views.start_tstamp asc, page_views.page_view_id asc
        ) as view_position

    from {{ ref('page_views') }} as page_views
    inner join site_windows
        on page_views.site_id = site_windows.site_id
    where
        page_views.article_id is not null
        and page_views.domain_sessionid is not null
        and page_views.start_tstamp >= site_windows.window_start
        and page_views.start_tstamp < site_windows.window_end

),

gaps as (

    -- 1 .. max_gap, from the data (the positions every long enough session has): the self-join below is on
    -- equal positions, never a comparison of every two views of a long session
    select distinct
        sequenced.site_id,
        sequenced.view_position as gap

    from sequenced
    inner join site_windows
        on sequenced.site_id = site_windows.site_id
    where sequenced.view_position <= site_windows.max_gap

),

session_pairs as (

    -- each view and each different article read 1 .. max_gap views after it in the session, once for all cuts
    select
        source_views.site_id,
        source_views.article_id as source_article_id,
        next_views.article_id as recommended_article_id,
        gaps.gap,
        source_views.start_tstamp as source_tstamp,
        next_views.start_tstamp as next_tstamp

    from sequenced as source_views
    inner join gaps
        on source_views.site_id = gaps.site_id
    inner join sequenced as next_views
        on
            source_views.site_id = next_views.site_id
            and source_views.domain_sessionid = next_views.domain_sessionid
            and next_views.view_position = source_views.view_position + gaps.gap
    where next_views.article_id <> source_views.article_id

),

pairs as (

    -- at each cut, the pairs inside its window: the first read at or after the window's start, the next read
    -- before the cut
    select
        cuts.site_id,
        cuts.cut_at,
        session_pairs.source_article_id,
        session_pairs.recommended_article_id,
        sum(
            1.0 / session_pairs.gap
            * {{ power_of(0.5, '24.0 * ' ~ age_in_days('session_pairs.next_tstamp', 'cuts.cut_at')
                ~ ' / cuts.covisitation_half_life_hours') }}
        ) as weight

    from session_pairs
    inner join cuts
        on
            session_pairs.site_id = cuts.site_id
            and session_pairs.next_tstamp < cuts.cut_at
            and session_pairs.source_tstamp
            >= {{ dbt.dateadd('day', '-1 * cuts.covisitation_window_days', 'cuts.cut_at') }}
    where session_pairs.gap <= cuts.covisitation_max_gap
    group by cuts.site_id, cuts.cut_at, session_pairs.source_article_id, session_pairs.recommended_article_id

),

scored as (

    select
        pairs.site_id,
        pairs.cut_at,
        pairs.source_article_id,
        pairs.recommended_article_id,
        pairs.weight
        / max(pairs.weight) over (partition by pairs.site_id, pairs.cut_at, pairs.source_article_id)
        * candidates.decay as score

    from pairs
    inner join candidates
        on
            pairs.site_id = candidates.site_id
            and pairs.cut_at = candidates.cut_at
            and pairs.recommended_article_id = candidates.article_id

),

neighbours as (

    select
        scored.*,
        row_number() over (
            partition by scored.site_id, scored.cut_at, scored.source_article_id
            order by scored.score desc, scored.recommended_article_id asc
        ) as neighbour_rank

    from scored
    where scored.score > 0

),

related as (

    select
        neighbours.site_id,
        neighbours.cut_at,
        'covisitation' as strategy,
        'article' as source_entity_type,
        neighbours.source_article_id as source_entity_id,
        neighbours.recommended_article_id,
        neighbours.neighbour_rank as rank,
        neighbours.score

    from neighbours
    inner join cuts
        on
            neighbours.site_id = cuts.site_id
            and neighbours.cut_at = cuts.cut_at
    where neighbours.neighbour_rank <= cuts.recs_per_source

),

training_readers as (

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

latest_reads as (

    select
        cut_reads.site_id,
        cut_reads.cut_at,
        cut_reads.domain_userid,
        cut_reads.article_id,
        row_number() over (
            partition by cut_reads.site_id, cut_reads.cut_at, cut_reads.domain_userid
            order by cut_reads.last_read_at desc, cut_reads.article_id asc
        ) as recency

    from cut_reads
    inner join training_readers
        on
            cut_reads.site_id = training_readers.site_id
            and cut_reads.cut_at = training_readers.cut_at
            and cut_reads.domain_userid = training_readers.domain_userid

),

reader_scores as (

    select
        latest_reads.site_id,
        latest_reads.cut_at,
        latest_reads.domain_userid,
        neighbours.recommended_article_id,
        sum(neighbours.score) / 5.0 as score

    from latest_reads
    inner join cuts
        on
            latest_reads.site_id = cuts.site_id
            and latest_reads.cut_at = cuts.cut_at
    inner join neighbours
        on
            latest_reads.site_id = neighbours.site_id
            and latest_reads.cut_at = neighbours.cut_at
            and latest_reads.article_id = neighbours.source_article_id
            and cuts.knn_reader_neighbours >= neighbours.neighbour_rank
    left join cut_reads as already_read
        on
            latest_reads.site_id = already_read.site_id
            and latest_reads.cut_at = already_read.cut_at
            and latest_reads.domain_userid = already_read.domain_userid
            and neighbours.recommended_article_id = already_read.article_id
    where
        latest_reads.recency <= 5
        and already_read.article_id is null
    group by
        latest_reads.site_id,
        latest_reads.cut_at,
        latest_reads.domain_userid,
        neighbours.recommended_article_id

),

reader_ranked as (

    select
        reader_scores.*,
        row_number() over (
            partition by reader_scores.site_id, reader_scores.cut_at, reader_scores.domain_userid
            order by reader_scores.score desc, reader_scores.recommended_article_id asc
        ) as rank

    from reader_scores

),

for_readers as (

    select
        reader_ranked.site_id,
        reader_ranked.cut_at,
        'covisitation' as strategy,
        'reader' as source_entity_type,
        reader_ranked.domain_userid as source_entity_id,
        reader_ranked.recommended_article_id,
        reader_ranked.rank,
        reader_ranked.score

    from reader_ranked
    inner join cuts
        on
            reader_ranked.site_id = cuts.site_id
            and reader_ranked.cut_at = cuts.cut_at
    where reader_ranked.rank <= cuts.recs_per_source

),

final as (

    select * from related
    union all
    select * from for_readers

)

select * from final

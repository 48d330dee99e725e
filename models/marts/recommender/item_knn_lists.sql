{#- Item-kNN at each cut, in portable SQL (dbt cross-database macros only: it builds on DuckDB and PostgreSQL):
    the model's own lists, unpadded (recommendation_lists pads them). Keyed by (site_id, cut_at), incremental
    by cut.

    Weights. A read weighs w = ln(1 + dwell_s): a read of 10 minutes counts about 1.9x a read of 30 seconds
    (the dwell filters already keep reads between min_dwell_s and max_dwell_s), not 20x; every read weighs 1
    where dwell is unknown.

    Bounded cost. Each reader contributes only their knn_max_reads_per_reader most recent reads (by
    last_read_at): the self-join makes at most M * (M - 1) pairs per reader.

    Related articles. similarity(i, j) = sum_u w_ui * w_uj / (||w_i|| * ||w_j||) over the capped reads (cosine
    of the article columns of the reader x article matrix; in [0, 1] since weights are positive), for pairs
    with at least knn_min_co_readers shared readers. score = similarity * decay(j), decay the publish-date
    decay of the candidate j (recommender_candidates; never the article itself). Top recs_per_source per
    source, ties broken on the article id.

    Per-reader lists. score(u, c) = sum over the reader's capped reads j of score(j, c), for c among the
    knn_reader_neighbours best neighbours of j, divided by the number of those reads (a mean, so in [0, 1]);
    never an article the reader read in the cut's training window (recommender_cut_reads). -#}

{{ cut_keyed_config() }}

with

cuts as (

    {{ cuts_to_build() }}

),

training_interactions as (

    select * from {{ ref('recommender_training_interactions') }}

),

cut_reads as (

    select * from {{ ref('recommender_cut_reads') }}

),

candidates as (

    select * from {{ ref('recommender_candidates') }}

),

reads as (

    select
        training_interactions.site_id,
        training_interactions.cut_at,
        training_interactions.domain_userid,
        training_interactions.article_id,
        coalesce({{ log1p('training_interactions.dwell_s') }}, 1.0) as weight,
        row_number() over (
            partition by
                training_interactions.site_id, training_interactions.cut_at, training_interactions.domain_userid
            order by training_interactions.last_read_at desc, training_interactions.article_id desc
        ) as reader_recency,
        cuts.knn_max_reads_per_reader

    from training_interactions
    inner join cuts
        on
            training_interactions.site_id = cuts.site_id
            and training_interactions.cut_at = cuts.cut_at

),

capped_reads as (

    select
        site_id,
        cut_at,
        domain_userid,
        article_id,
        weight

    from reads
    where reader_recency <= knn_max_reads_per_reader

),

norms as (

    select
        site_id,
        cut_at,
        article_id,
        sqrt(sum(weight * weight)) as norm

    from capped_reads
    group by site_id, cut_at, article_id

),

co_reads as (

    select
        source_reads.site_id,
        source_reads.cut_at,
        source_reads.article_id as source_article_id,
        target_reads.article_id as recommended_article_id,
        sum(source_reads.weight * target_reads.weight) as dot,
        count(*) as co_readers

    from capped_reads as source_reads
    inner join capped_reads as target_reads
        on
            source_reads.site_id = target_reads.site_id
            and source_reads.cut_at = target_reads.cut_at
            and source_reads.domain_userid = target_reads.domain_userid
            and source_reads.article_id <> target_reads.article_id
    group by source_reads.site_id, source_reads.cut_at, source_reads.article_id, target_reads.article_id

),

similarities as (

    select
        co_reads.site_id,
        co_reads.cut_at,
        co_reads.source_article_id,
        co_reads.recommended_article_id,
        {{ safe_divide('co_reads.dot', 'source_norms.norm * target_norms.norm') }} as similarity

    from co_reads
    inner join cuts
        on
            co_reads.site_id = cuts.site_id
            and co_reads.cut_at = cuts.cut_at
    inner join norms as source_norms
        on
            co_reads.site_id = source_norms.site_id
            and co_reads.cut_at = source_norms.cut_at
            and co_reads.source_article_id = source_norms.article_id
    inner join norms as target_norms
        on
            co_reads.site_id = target_norms.site_id
            and co_reads.cut_at = target_norms.cut_at
            and co_reads.recommended_article_id = target_norms.article_id
    where co_reads.co_readers >= cuts.knn_min_co_readers

),

scored as (

    select
        similarities.site_id,
        similarities.cut_at,
        similarities.source_article_id,
        similarities.recommended_article_id,
        -- cosines of positive weights are in [0, 1]; rounding can overshoot by an ulp
        case
            when similarities.similarity * candidates.decay > 1 then 1.0
            else similarities.similarity * candidates.decay
        end as score

    from similarities
    inner join candidates
        on
            similarities.site_id = candidates.site_id
            and similarities.cut_at = candidates.cut_at
            and similarities.recommended_article_id = candidates.article_id
    where similarities.similarity > 0

),

neighbours as (

    select
        scored.*,
        row_number() over (
            partition by scored.site_id, scored.cut_at, scored.source_article_id
            order by scored.score desc, scored.recommended_article_id asc
        ) as neighbour_rank

    from scored

),

related as (

    select
        neighbours.site_id,
        neighbours.cut_at,
        'item_knn' as strategy,
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

reader_neighbours as (

    select neighbours.*

    from neighbours
    inner join cuts
        on
            neighbours.site_id = cuts.site_id
            and neighbours.cut_at = cuts.cut_at
    where neighbours.neighbour_rank <= cuts.knn_reader_neighbours

),

reader_reads as (

    select
        site_id,
        cut_at,
        domain_userid,
        count(*) as n_reads

    from capped_reads
    group by site_id, cut_at, domain_userid

),

reader_scores as (

    select
        capped_reads.site_id,
        capped_reads.cut_at,
        capped_reads.domain_userid,
        reader_neighbours.recommended_article_id,
        sum(reader_neighbours.score) / max(reader_reads.n_reads) as score

    from capped_reads
    inner join reader_reads
        on
            capped_reads.site_id = reader_reads.site_id
            and capped_reads.cut_at = reader_reads.cut_at
            and capped_reads.domain_userid = reader_reads.domain_userid
    inner join reader_neighbours
        on
            capped_reads.site_id = reader_neighbours.site_id
            and capped_reads.cut_at = reader_neighbours.cut_at
            and capped_reads.article_id = reader_neighbours.source_article_id
    left join cut_reads as already_read
        on
            capped_reads.site_id = already_read.site_id
            and capped_reads.cut_at = already_read.cut_at
            and capped_reads.domain_userid = already_read.domain_userid
            and reader_neighbours.recommended_article_id = already_read.article_id
    where already_read.article_id is null
    group by
        capped_reads.site_id,
        capped_reads.cut_at,
        capped_reads.domain_userid,
        reader_neighbours.recommended_article_id

),

reader_ranked as (

    select
        reader_scores.*,
        row_number() over (
            partition by reader_scores.site_id, reader_scores.cut_at, reader_scores.domain_userid
            order by reader_scores.score desc, reader_scores.recommended_article_id asc
        ) as rank

    from reader_scores
    where reader_scores.score > 0

),

for_readers as (

    select
        reader_ranked.site_id,
        reader_ranked.cut_at,
        'item_knn' as strategy,
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

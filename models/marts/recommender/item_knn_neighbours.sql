{#- Item-kNN's related articles at each cut, in portable SQL (dbt cross-database macros only): each article's
    greatest(recs_per_source, knn_reader_neighbours) best neighbours, which item_knn_lists lists (the first
    recs_per_source) and sums into reader lists (the first knn_reader_neighbours).

    similarity(i, j) = sum_u w_ui * w_uj / (||w_i|| * ||w_j||) over the capped, weighted reads of
    item_knn_reads (cosine of the article columns of the reader x article matrix; in [0, 1] since weights are
    positive), for pairs with at least knn_min_co_readers shared readers. score = similarity * decay(j), decay
    the publish-date decay of the candidate j (recommender_candidates; never the article itself). Ranked by
    score, ties broken on the article id.

    A table of its own: at 10M events the co-read pairs are ~200M over 25 cuts, and their aggregate, window and
    the reader side did not fit in one statement in a 3 GB memory_limit. Keyed by (site_id, cut_at),
    incremental by cut (macros/recommender_cuts.sql). Its CTEs are inlined (cte_not_materialized(),
    macros/cross_database.sql): DuckDB materializes a CTE that is used more than once, and holding the 12.5M
    capped reads of a 10M-event build in memory made this statement fail at 3 GB (inlined, it spills and
    finishes). -#}

{{ cut_keyed_config() }}

with

cuts as (

    {{ cuts_to_build() }}

),

candidates as (

    select * from {{ ref('recommender_candidates') }}

),

item_knn_reads as {{ cte_not_materialized() }} (

    select * from {{ ref('item_knn_reads') }}

),

norms as (

    select
        item_knn_reads.site_id,
        item_knn_reads.cut_at,
        item_knn_reads.article_id,
        sqrt(sum(item_knn_reads.weight * item_knn_reads.weight)) as norm

    from item_knn_reads
    where item_knn_reads.cut_at >= (select min(cuts.cut_at) as first_cut_at from cuts)
    group by item_knn_reads.site_id, item_knn_reads.cut_at, item_knn_reads.article_id

),

co_reads as (

    select
        source_reads.site_id,
        source_reads.cut_at,
        source_reads.article_id as source_article_id,
        target_reads.article_id as recommended_article_id,
        sum(source_reads.weight * target_reads.weight) as dot,
        count(*) as co_readers

    from item_knn_reads as source_reads
    inner join item_knn_reads as target_reads
        on
            source_reads.site_id = target_reads.site_id
            and source_reads.cut_at = target_reads.cut_at
            and source_reads.domain_userid = target_reads.domain_userid
            and source_reads.article_id <> target_reads.article_id
    -- only a shortcut past the cuts this table already holds (similarities keeps exactly this run's cuts): a
    -- join with cuts here made DuckDB spill over 40 GB at 10M events, against 15 GB without
    where source_reads.cut_at >= (select min(cuts.cut_at) as first_cut_at from cuts)
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

final as (

    select
        neighbours.site_id,
        neighbours.cut_at,
        neighbours.source_article_id,
        neighbours.recommended_article_id,
        neighbours.score,
        neighbours.neighbour_rank

    from neighbours
    inner join cuts
        on
            neighbours.site_id = cuts.site_id
            and neighbours.cut_at = cuts.cut_at
    where neighbours.neighbour_rank <= greatest(cuts.recs_per_source, cuts.knn_reader_neighbours)

)

select * from final

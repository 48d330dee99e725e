{#- Item-kNN in portable SQL (dbt cross-database macros only: it builds on DuckDB and PostgreSQL).

    The caller defines CTEs `sites` (shaped like recommender_sites; as_of may be the evaluation cut),
    `training_interactions` (macros/training_interactions.sql) and `candidate_articles`
    (macros/recommender_candidates.sql). Optional arguments name CTEs that restrict the output:
    `related_sources` (site_id, article_id: the articles that get a related list; default every article
    trained on) and `readers` (site_id, domain_userid; default every reader trained on).

    Weights. A read weighs w = ln(1 + dwell_s): a read of 10 minutes counts about 1.9x a read of 30 seconds
    (the dwell filters already keep reads between min_dwell_s and max_dwell_s), not 20x, so long reads do
    not swamp the co-read counts.

    Bounded cost. Each reader contributes only their knn_max_reads_per_reader most recent reads (by
    last_read_at): the self-join makes at most M * (M - 1) pairs per reader, so a heavy reader (or a bot
    that got past the filters) does not make the build quadratic in their history.

    Related articles. similarity(i, j) = sum_u w_ui * w_uj / (||w_i|| * ||w_j||) over the capped reads (cosine
    of the article columns of the reader x article matrix; in [0, 1] since weights are positive), for pairs
    with at least knn_min_co_readers shared readers. score = similarity * decay(j), decay the publish-date
    decay of the candidate j (candidate rules: candidate_articles; never the article itself). Top
    recs_per_source per source, ties broken on the article id.

    Per-reader lists. score(u, c) = sum over the reader's capped reads j of score(j, c), for c among the
    knn_reader_neighbours best neighbours of j, divided by the number of those reads (a mean, so in [0, 1]);
    never an article the reader read in the training window (`windowed`, before the dwell / popularity
    filters). Top recs_per_source per reader.

    The CTEs end in `item_knn_lists` (the recommendation shape, strategy 'item_knn', no gap filling: see
    macros/recommender_fill.sql). -#}
{% macro item_knn_ctes(related_sources=none, readers=none) %}
item_knn_reads as (

    select
        training_interactions.site_id,
        training_interactions.domain_userid,
        training_interactions.article_id,
        {{ log1p('training_interactions.dwell_s') }} as weight,
        row_number() over (
            partition by training_interactions.site_id, training_interactions.domain_userid
            order by training_interactions.last_read_at desc, training_interactions.article_id desc
        ) as reader_recency

    from training_interactions

),

item_knn_capped_reads as (

    select
        item_knn_reads.site_id,
        item_knn_reads.domain_userid,
        item_knn_reads.article_id,
        item_knn_reads.weight

    from item_knn_reads
    inner join sites
        on item_knn_reads.site_id = sites.site_id
    where item_knn_reads.reader_recency <= sites.knn_max_reads_per_reader

),

item_knn_norms as (

    select
        site_id,
        article_id,
        sqrt(sum(weight * weight)) as norm

    from item_knn_capped_reads
    group by site_id, article_id

),

item_knn_co_reads as (

    select
        source_reads.site_id,
        source_reads.article_id as source_article_id,
        target_reads.article_id as recommended_article_id,
        sum(source_reads.weight * target_reads.weight) as dot,
        count(*) as co_readers

    from item_knn_capped_reads as source_reads
    inner join item_knn_capped_reads as target_reads
        on
            source_reads.site_id = target_reads.site_id
            and source_reads.domain_userid = target_reads.domain_userid
            and source_reads.article_id <> target_reads.article_id
    group by source_reads.site_id, source_reads.article_id, target_reads.article_id

),

item_knn_similarities as (

    select
        co_reads.site_id,
        co_reads.source_article_id,
        co_reads.recommended_article_id,
        co_reads.co_readers,
        {{ safe_divide('co_reads.dot', 'source_norms.norm * target_norms.norm') }} as similarity

    from item_knn_co_reads as co_reads
    inner join sites
        on co_reads.site_id = sites.site_id
    inner join item_knn_norms as source_norms
        on
            co_reads.site_id = source_norms.site_id
            and co_reads.source_article_id = source_norms.article_id
    inner join item_knn_norms as target_norms
        on
            co_reads.site_id = target_norms.site_id
            and co_reads.recommended_article_id = target_norms.article_id
    where co_reads.co_readers >= sites.knn_min_co_readers

),

item_knn_neighbours as (

    select
        similarities.site_id,
        similarities.source_article_id,
        similarities.recommended_article_id,
        similarities.similarity,
        -- cosines of positive weights are in [0, 1]; rounding can overshoot by an ulp
        case
            when similarities.similarity * candidates.decay > 1 then 1.0
            else similarities.similarity * candidates.decay
        end as score,
        row_number() over (
            partition by similarities.site_id, similarities.source_article_id
            order by
                case
                    when similarities.similarity * candidates.decay > 1 then 1.0
                    else similarities.similarity * candidates.decay
                end desc,
                similarities.recommended_article_id
        ) as neighbour_rank

    from item_knn_similarities as similarities
    inner join candidate_articles as candidates
        on
            similarities.site_id = candidates.site_id
            and similarities.recommended_article_id = candidates.article_id
    where similarities.similarity > 0

),

item_knn_related as (

    select
        neighbours.site_id,
        'item_knn' as strategy,
        'article' as source_entity_type,
        neighbours.source_article_id as source_entity_id,
        neighbours.recommended_article_id,
        neighbours.neighbour_rank as rank,
        neighbours.score

    from item_knn_neighbours as neighbours
    inner join sites
        on neighbours.site_id = sites.site_id
    {%- if related_sources %}
    inner join (select distinct site_id, article_id from {{ related_sources }}) as wanted_sources
        on
            neighbours.site_id = wanted_sources.site_id
            and neighbours.source_article_id = wanted_sources.article_id
    {%- endif %}
    where neighbours.neighbour_rank <= sites.recs_per_source

),

item_knn_reader_neighbours as (

    select neighbours.*

    from item_knn_neighbours as neighbours
    inner join sites
        on neighbours.site_id = sites.site_id
    where neighbours.neighbour_rank <= sites.knn_reader_neighbours

),

item_knn_reader_base as (

    select
        capped.site_id,
        capped.domain_userid,
        count(*) as n_reads

    from item_knn_capped_reads as capped
    {%- if readers %}
    inner join (select distinct site_id, domain_userid from {{ readers }}) as wanted_readers
        on
            capped.site_id = wanted_readers.site_id
            and capped.domain_userid = wanted_readers.domain_userid
    {%- endif %}
    group by capped.site_id, capped.domain_userid

),

item_knn_reader_scores as (

    select
        capped.site_id,
        capped.domain_userid,
        neighbours.recommended_article_id,
        sum(neighbours.score) / max(reader_base.n_reads) as score

    from item_knn_capped_reads as capped
    inner join item_knn_reader_base as reader_base
        on
            capped.site_id = reader_base.site_id
            and capped.domain_userid = reader_base.domain_userid
    inner join item_knn_reader_neighbours as neighbours
        on
            capped.site_id = neighbours.site_id
            and capped.article_id = neighbours.source_article_id
    left join windowed as already_read
        on
            capped.site_id = already_read.site_id
            and capped.domain_userid = already_read.domain_userid
            and neighbours.recommended_article_id = already_read.article_id
    where already_read.article_id is null
    group by capped.site_id, capped.domain_userid, neighbours.recommended_article_id

),

item_knn_reader_ranked as (

    select
        site_id,
        domain_userid,
        recommended_article_id,
        score,
        row_number() over (
            partition by site_id, domain_userid
            order by score desc, recommended_article_id
        ) as rank

    from item_knn_reader_scores
    where score > 0

),

item_knn_readers as (

    select
        ranked.site_id,
        'item_knn' as strategy,
        'reader' as source_entity_type,
        ranked.domain_userid as source_entity_id,
        ranked.recommended_article_id,
        ranked.rank,
        ranked.score

    from item_knn_reader_ranked as ranked
    inner join sites
        on ranked.site_id = sites.site_id
    where ranked.rank <= sites.recs_per_source

),

item_knn_lists as (

    select * from item_knn_related
    union all
    select * from item_knn_readers

)
{% endmacro %}

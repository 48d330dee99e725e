{#- Item-kNN at each cut, in portable SQL (dbt cross-database macros only: it builds on DuckDB and PostgreSQL):
    the model's own lists, unpadded (recommendation_lists pads them). Keyed by (site_id, cut_at), incremental
    by cut. Its inputs: item_knn_reads (each reader's capped, ln(1 + dwell)-weighted reads) and
    item_knn_neighbours (each article's best neighbours by cosine times decay; the rule in their headers).

    Related articles. Each article's first recs_per_source neighbours.

    Per-reader lists. score(u, c) = sum over the reader's capped reads j of score(j, c), for c among the
    knn_reader_neighbours best neighbours of j, divided by the number of those reads (a mean, so in [0, 1]);
        never an article the reader read in the cut's training window (recommender_cut_reads).

    Cost. The heavy aggregate, anti-join and window key a reader at a cut by one integer (reader_id, numbered
    here), not by (site_id, cut_at, domain_userid), and the CTEs are inlined (cte_not_materialized(),
    macros/cross_database.sql), not materialized in memory by DuckDB (item_knn_neighbours' header):
    at 10M events the reader side sums ~170M (reader, candidate) pairs over 25 cuts, which with a 36-character
    id in every key did not fit in a 3 GB memory_limit. -#}

{{ cut_keyed_config() }}

with

cuts as (

    {{ cuts_to_build() }}

),

cut_reads as (

    select * from {{ ref('recommender_cut_reads') }}

),

item_knn_reads as {{ cte_not_materialized() }} (

    select * from {{ ref('item_knn_reads') }}

),

item_knn_neighbours as {{ cte_not_materialized() }} (

    select * from {{ ref('item_knn_neighbours') }}

),

related as (

    select
        item_knn_neighbours.site_id,
        item_knn_neighbours.cut_at,
        'item_knn' as strategy,
        'article' as source_entity_type,
        item_knn_neighbours.source_article_id as source_entity_id,
        item_knn_neighbours.recommended_article_id,
        item_knn_neighbours.neighbour_rank as rank,
        item_knn_neighbours.score

    from item_knn_neighbours
    inner join cuts
        on
            item_knn_neighbours.site_id = cuts.site_id
            and item_knn_neighbours.cut_at = cuts.cut_at
    where item_knn_neighbours.neighbour_rank <= cuts.recs_per_source

),

reader_neighbours as (

    select item_knn_neighbours.*

    from item_knn_neighbours
    inner join cuts
        on
            item_knn_neighbours.site_id = cuts.site_id
            and item_knn_neighbours.cut_at = cuts.cut_at
    where item_knn_neighbours.neighbour_rank <= cuts.knn_reader_neighbours

),

readers as (

    select
        site_id,
        cut_at,
        domain_userid,
        count(*) as n_reads,
        row_number() over (order by site_id, cut_at, domain_userid) as reader_id

    from item_knn_reads
    where cut_at >= (select min(cuts.cut_at) as first_cut_at from cuts)
    group by site_id, cut_at, domain_userid

),

already_read as (

    select
        readers.reader_id,
        cut_reads.article_id

    from cut_reads
    inner join readers
        on
            cut_reads.site_id = readers.site_id
            and cut_reads.cut_at = readers.cut_at
            and cut_reads.domain_userid = readers.domain_userid

),

reader_sums as (

    select
        readers.reader_id,
        reader_neighbours.recommended_article_id,
        sum(reader_neighbours.score) as score_sum

    from item_knn_reads as capped_reads
    inner join readers
        on
            capped_reads.site_id = readers.site_id
            and capped_reads.cut_at = readers.cut_at
            and capped_reads.domain_userid = readers.domain_userid
    inner join reader_neighbours
        on
            capped_reads.site_id = reader_neighbours.site_id
            and capped_reads.cut_at = reader_neighbours.cut_at
            and capped_reads.article_id = reader_neighbours.source_article_id
    group by readers.reader_id, reader_neighbours.recommended_article_id

),

reader_scores as (

    select
        reader_sums.reader_id,
        reader_sums.recommended_article_id,
        reader_sums.score_sum / readers.n_reads as score

    from reader_sums
    inner join readers
        on reader_sums.reader_id = readers.reader_id
    left join already_read
        on
            reader_sums.reader_id = already_read.reader_id
            and reader_sums.recommended_article_id = already_read.article_id
    where already_read.article_id is null

),

reader_ranked as (

    select
        reader_scores.*,
        row_number() over (
            partition by reader_scores.reader_id
            order by reader_scores.score desc, reader_scores.recommended_article_id asc
        ) as rank

    from reader_scores
    where reader_scores.score > 0

),

for_readers as (

    select
        readers.site_id,
        readers.cut_at,
        'item_knn' as strategy,
        'reader' as source_entity_type,
        readers.domain_userid as source_entity_id,
        reader_ranked.recommended_article_id,
        reader_ranked.rank,
        reader_ranked.score

    from reader_ranked
    inner join readers
        on reader_ranked.reader_id = readers.reader_id
    inner join cuts
        on
            readers.site_id = cuts.site_id
            and readers.cut_at = cuts.cut_at
    where reader_ranked.rank <= cuts.recs_per_source

),

final as (

    select * from related
    union all
    select * from for_readers

)

select * from final

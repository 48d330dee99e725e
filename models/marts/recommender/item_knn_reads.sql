{#- The reads item-kNN learns from at each cut (item_knn_neighbours, item_knn_lists): each reader's
    knn_max_reads_per_reader most recent training interactions (recommender_training_interactions, by
    last_read_at), each weighing w = ln(1 + dwell_s): a read of 10 minutes counts about 1.9x a read of 30 seconds
    (the dwell filters already keep reads between min_dwell_s and max_dwell_s), not 20x; every read weighs 1
    where dwell is unknown. The cap bounds the co-read self-join at M * (M - 1) pairs per reader.

    A table of its own because both item-kNN models read it and the statements that computed it inline did not
    fit at 10M. Keyed by (site_id, cut_at), incremental by cut (macros/recommender_cuts.sql). -#}

{{ cut_keyed_config() }}

with

cuts as (

    {{ cuts_to_build() }}

),

training_interactions as (

    select * from {{ ref('recommender_training_interactions') }}

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

final as (

    select
        site_id,
        cut_at,
        domain_userid,
        article_id,
        weight

    from reads
    where reader_recency <= knn_max_reads_per_reader

)

select * from final

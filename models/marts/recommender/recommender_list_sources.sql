{#- The sources that must get a list from every strategy at each cut: every article read in the cut's window
    (recommender_cut_reads: its related list) and every reader trained on (recommender_training_interactions:
    their list). recommendation_lists pads every strategy's lists of these sources; ranker_candidates ranks
    candidates for them. Keyed by (site_id, cut_at), incremental by cut. -#}

{{ cut_keyed_config() }}

with

cuts as (

    {{ cuts_to_build() }}

),

cut_reads as (

    select cut_reads.*

    from {{ ref('recommender_cut_reads') }} as cut_reads
    inner join cuts
        on
            cut_reads.site_id = cuts.site_id
            and cut_reads.cut_at = cuts.cut_at

),

training_interactions as (

    select training_interactions.*

    from {{ ref('recommender_training_interactions') }} as training_interactions
    inner join cuts
        on
            training_interactions.site_id = cuts.site_id
            and training_interactions.cut_at = cuts.cut_at

),

final as (

    select distinct
        site_id,
        cut_at,
        'article' as source_entity_type,
        article_id as source_entity_id

    from cut_reads

    union all

    select distinct
        site_id,
        cut_at,
        'reader' as source_entity_type,
        domain_userid as source_entity_id

    from training_interactions

)

select * from final

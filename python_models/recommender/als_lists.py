"""ALS (implicit) trained per (site, cut): the model's own related-article and per-reader lists, with the
cut's training stats. Incremental by cut, like every strategy model (macros/recommender_cuts.sql): a run fits
only the cuts this table does not hold yet, one cut time at a time; the post-hook retires the cuts
recommender_cuts no longer lists.

Thin: the work is article_recs.recommend.dbt_models.als_lists_table (tested with pytest). The SQL model
recommendation_lists pads these lists, as it pads every strategy's.
"""

from article_recs.recommend.dbt_models import als_lists_table, new_cut_lists


def model(dbt, session):
    dbt.config(materialized="incremental", incremental_strategy="append")
    recommender_vars = dbt.config.meta_get("recommender_vars")

    def lists_of(batch, cut_filter):
        training = (
            dbt.ref("recommender_training_interactions")
            .filter(cut_filter)
            .project("site_id, cut_at, domain_userid, article_id, dwell_s")
        )
        candidates = (
            dbt.ref("recommender_candidates").filter(cut_filter).project("site_id, cut_at, article_id, decay")
        )
        cut_reads = (
            dbt.ref("recommender_cut_reads")
            .filter(cut_filter)
            .project("site_id, cut_at, domain_userid, article_id")
        )
        return als_lists_table(batch, training.df(), candidates.df(), cut_reads.df(), recommender_vars)

    cuts, largest_input = dbt.ref("recommender_cuts"), dbt.ref("recommender_cut_reads")
    return new_cut_lists(dbt, session, cuts, largest_input, lists_of)

"""ALS (implicit) trained per (site, cut): the model's own related-article and per-reader lists, with the
cut's training stats. Incremental by cut, like every strategy model (macros/recommender_cuts.sql): a run fits
only the cuts this table does not hold yet, one cut time at a time; the post-hook retires the cuts
recommender_cuts no longer lists.

Thin: the work is article_recs.recommend.dbt_models.als_lists_table (tested with pytest); the refs are read
as Arrow tables (DuckDB relations; on Spark, article_recs.spark_models' stand-in). The SQL model
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
            .project("site_id, cut_at, domain_userid, article_id, cast(dwell_s as double) as dwell_s")
        )
        candidates = (
            dbt.ref("recommender_candidates").filter(cut_filter).project("site_id, cut_at, article_id, decay")
        )
        # what a reader list skips besides its training cells: the window's reads that training's per-read
        # filters dropped. The others (flags true) of a reader and an article of the cut's matrix are its
        # training cells: training's other filters keep or drop whole readers and articles.
        dropped_reads = (
            dbt.ref("recommender_cut_reads")
            .filter(f"({cut_filter}) and not coalesce(is_dwell_in_range and is_article_in_age, false)")
            .project("site_id, cut_at, domain_userid, article_id")
        )
        refs = (training, candidates, dropped_reads)
        return als_lists_table(batch, *(ref.to_arrow_table() for ref in refs), recommender_vars)

    cuts, largest_input = dbt.ref("recommender_cuts"), dbt.ref("recommender_cut_reads")
    return new_cut_lists(dbt, session, cuts, largest_input, lists_of)

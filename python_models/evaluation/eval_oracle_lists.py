"""The oracle at each scored evaluation cut: the generator's own scores (generated data only), for the
held-out cases of the cut - the ceiling the rolling evaluation shows beside the strategies. Empty, with the
right columns, when the var article_recs__ground_truth_path is unset. Thin: see
article_recs.recommend.dbt_models.eval_oracle_lists_table."""

from article_recs.recommend.dbt_models import eval_oracle_lists_table


def model(dbt, session):
    dbt.config(materialized="table")
    recommender_vars = dbt.config.meta_get("recommender_vars")
    ground_truth_path = dbt.config.meta_get("ground_truth_path")

    cuts = dbt.ref("recommender_cuts").filter("is_scored")
    related_cases = dbt.ref("eval_related_cases")
    reader_cases = dbt.ref("eval_reader_cases")
    cut_reads = dbt.ref("recommender_cut_reads").project("site_id, cut_at, domain_userid, article_id")
    candidates = dbt.ref("recommender_candidates").project("site_id, cut_at, article_id")
    if not ground_truth_path:
        return eval_oracle_lists_table(None, cuts.df(), None, None, None, None)
    return eval_oracle_lists_table(
        ground_truth_path,
        cuts.df(),
        related_cases.df(),
        reader_cases.project("site_id, cut_at, domain_userid").distinct().df(),
        cut_reads.df(),
        candidates.df(),
        recommender_vars,
    )

"""The oracle at the evaluation cut: the generator's own scores (generated data only). Empty, with the
right columns, when the var article_recs__ground_truth_path is unset. Thin: see
article_recs.recommend.dbt_models."""

from article_recs.recommend.dbt_models import eval_oracle_recommendations_table


def model(dbt, session):
    dbt.config(materialized="table")
    recommender_vars = dbt.config.meta_get("recommender_vars")
    ground_truth_path = dbt.config.meta_get("ground_truth_path")

    eval_sites = dbt.ref("eval_sites")
    pairs = dbt.ref("eval_next_in_session_pairs")
    holdout = dbt.ref("eval_reader_holdout")
    train_interactions = dbt.ref("eval_train_interactions")
    articles = dbt.ref("articles")
    if not ground_truth_path:
        return eval_oracle_recommendations_table(None, None, None, None, None)

    return eval_oracle_recommendations_table(
        ground_truth_path,
        pairs.df(),
        holdout.df(),
        train_interactions.df(),
        eval_sites.df(),
        recommender_vars,
        articles=articles.df(),
    )

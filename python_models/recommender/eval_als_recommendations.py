"""ALS trained at the evaluation cut: related lists for the held-out pairs' sources, reader lists for the
held-out readers (task 'related' | 'reader'). Thin: see article_recs.recommend.dbt_models."""

from article_recs.recommend.dbt_models import eval_als_recommendations_table, window_start


def model(dbt, session):
    dbt.config(materialized="table")
    recommender_vars = dbt.config.meta_get("recommender_vars")

    eval_sites = dbt.ref("eval_sites").df()
    train_interactions = dbt.ref("eval_train_interactions").df()
    articles = dbt.ref("articles").df()
    pairs = dbt.ref("eval_next_in_session_pairs").df()
    holdout = dbt.ref("eval_reader_holdout").df()

    start = window_start(eval_sites, recommender_vars, "training_window_days", "popularity_window_days")
    page_views = dbt.ref("page_views").project(
        "site_id, domain_userid, article_id, engaged_time_in_s, start_tstamp"
    )
    page_views = page_views.filter("article_id is not null")
    if start is not None:
        page_views = page_views.filter(f"start_tstamp > '{start}'")

    return eval_als_recommendations_table(
        train_interactions,
        articles,
        pairs,
        holdout,
        eval_sites,
        recommender_vars,
        page_views=page_views.df(),
    )

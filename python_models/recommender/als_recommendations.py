"""ALS (implicit) related articles and per-reader recommendations, with the training stats per site.

Thin: the work is article_recs.recommend.dbt_models.als_recommendations_table (tested with pytest).
"""

from article_recs.recommend.dbt_models import als_recommendations_table, window_start


def model(dbt, session):
    dbt.config(materialized="table")
    recommender_vars = dbt.config.meta_get("recommender_vars")

    sites = dbt.ref("recommender_sites").df()
    training_interactions = dbt.ref("recommender_training_interactions").df()
    articles = dbt.ref("articles").df()

    start = window_start(sites, recommender_vars, "training_window_days", "popularity_window_days")
    recent_interactions = dbt.ref("interactions").project("site_id, domain_userid, article_id, last_read_at")
    page_views = dbt.ref("page_views").project(
        "site_id, domain_userid, article_id, engaged_time_in_s, start_tstamp"
    )
    page_views = page_views.filter("article_id is not null")
    if start is not None:
        recent_interactions = recent_interactions.filter(f"last_read_at > '{start}'")
        page_views = page_views.filter(f"start_tstamp > '{start}'")

    return als_recommendations_table(
        training_interactions,
        articles,
        sites,
        recommender_vars,
        recent_interactions=recent_interactions.df(),
        page_views=page_views.df(),
    )

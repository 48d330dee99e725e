"""ALS (implicit) trained per site: the model's own related-article and per-reader lists, with training stats.

Thin: the work is article_recs.recommend.dbt_models.als_lists_table (tested with pytest). The SQL model
als_recommendations pads these lists with popularity, as item_knn_recommendations pads its own.
"""

from article_recs.recommend.dbt_models import als_lists_table


def model(dbt, session):
    dbt.config(materialized="table")
    recommender_vars = dbt.config.meta_get("recommender_vars")

    sites = dbt.ref("recommender_sites").df()
    articles = dbt.ref("articles").project("site_id, article_id, published_at, first_seen_at").df()
    training = dbt.ref("recommender_training_interactions").project(
        "site_id, domain_userid, article_id, dwell_s"
    )
    window_reads = dbt.ref("recommender_window_reads").project("site_id, domain_userid, article_id")

    return als_lists_table(
        training.df(), articles, sites, recommender_vars, window_reads=window_reads.df()
    )

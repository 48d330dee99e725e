"""Content-based related articles per (site, cut): TF-IDF over character n-grams of each candidate's title,
section and author, fitted on the cut's candidates only. New articles get related articles from their first
page view, and nobody has to have read a candidate for it to be recommended. Reader lists: the mean related
scores of the reader's recent reads. Incremental by cut, like every strategy model
(macros/recommender_cuts.sql): a run computes only the cuts this table does not hold yet; the post-hook
retires the cuts recommender_cuts no longer lists.

Thin: the work is article_recs.recommend.dbt_models.content_lists_table (article_recs/recommend/content.py,
tested with pytest). The SQL model recommendation_lists pads these lists, as it pads every strategy's.
"""

from article_recs.recommend.dbt_models import content_lists_table, cut_filter_sql, cuts_to_build


def model(dbt, session):
    dbt.config(materialized="incremental", incremental_strategy="append")
    window_days = dbt.config.meta_get("content_window_days")

    cuts = dbt.ref("recommender_cuts").df()
    built = (
        session.sql(f"select distinct site_id, cut_at from {dbt.this}").df() if dbt.is_incremental else None
    )
    cuts = cuts_to_build(cuts, built)
    if cuts.empty:
        return content_lists_table(cuts, None, None, None, window_days)
    # only the new cuts' rows are read into pandas
    cut_filter = cut_filter_sql(cuts)
    candidates = (
        dbt.ref("recommender_candidates")
        .filter(cut_filter)
        .project("site_id, cut_at, article_id, age_days, decay")
    )
    cut_reads = (
        dbt.ref("recommender_cut_reads")
        .filter(cut_filter)
        .project("site_id, cut_at, domain_userid, article_id, last_read_at")
    )
    articles = dbt.ref("articles").project("site_id, article_id, title, section, author")
    return content_lists_table(cuts, candidates.df(), articles.df(), cut_reads.df(), window_days)

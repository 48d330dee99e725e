"""Content-based related articles per (site, cut): TF-IDF over character n-grams of each candidate's title,
section and author, fitted on the cut's candidates only. New articles get related articles from their first
page view, and nobody has to have read a candidate for it to be recommended. Reader lists: the mean related
scores of the reader's recent reads. Incremental by cut, like every strategy model
(macros/recommender_cuts.sql): a run computes only the cuts this table does not hold yet, one cut time at a
time; the post-hook retires the cuts recommender_cuts no longer lists.

Thin: the work is article_recs.recommend.dbt_models.content_lists_table (article_recs/recommend/content.py,
tested with pytest). The SQL model recommendation_lists pads these lists, as it pads every strategy's.
"""

from article_recs.recommend.dbt_models import content_lists_table, new_cut_lists


def model(dbt, session):
    dbt.config(materialized="incremental", incremental_strategy="append")
    window_days = dbt.config.meta_get("content_window_days")

    articles = dbt.ref("articles").project("site_id, article_id, title, section, author").df()

    def lists_of(batch, cut_filter):
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
        return content_lists_table(batch, candidates.df(), articles, cut_reads.df(), window_days)

    cuts, largest_input = dbt.ref("recommender_cuts"), dbt.ref("recommender_cut_reads")
    return new_cut_lists(dbt, session, cuts, largest_input, lists_of)

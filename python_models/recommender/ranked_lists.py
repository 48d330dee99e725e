"""The ranked strategy (two-stage): a CatBoost ranker (YetiRank) re-ranks, per (site, cut), the candidates
every other strategy proposes (ranker_candidates), trained on the next clicks of the cuts of the
article_recs__ranker_training_hours before the cut whose evaluation window had closed by the cut
(ranker_training_rows, eval_window_end <= cut_at; recommender_cuts keeps a tail of cuts that long before the
hold-out, so a full refresh recomputes the lists a two-hourly run served). Incremental by cut, like
every strategy model (macros/recommender_cuts.sql): a run fits only the cuts this table does not hold yet, one
cut time at a time; the post-hook retires the cuts recommender_cuts no longer lists.

Thin: the work is article_recs.recommend.ranker.ranked_lists_for_cuts (tested with pytest). The SQL model
recommendation_lists pads these lists, as it pads every strategy's.
"""

import pandas as pd

from article_recs.recommend.dbt_models import new_cut_lists
from article_recs.recommend.ranker import ranked_lists_for_cuts


def model(dbt, session):
    dbt.config(materialized="incremental", incremental_strategy="append")
    ranker_vars = dbt.config.meta_get("ranker_vars")

    def lists_of(batch, cut_filter):
        if batch.empty:
            return ranked_lists_for_cuts(batch, None, None, ranker_vars)
        # only the batch's candidates, and only labels complete by its cut, are read into pandas; the
        # training window itself is applied per cut by ranker.training_rows_before (its one home)
        latest = pd.Timestamp(pd.to_datetime(batch["cut_at"]).max()).strftime("%Y-%m-%d %H:%M:%S.%f")
        candidates = dbt.ref("ranker_candidates").filter(cut_filter)
        training_rows = dbt.ref("ranker_training_rows").filter(f"eval_window_end <= timestamp '{latest}'")
        return ranked_lists_for_cuts(batch, candidates.df(), training_rows.df(), ranker_vars)

    cuts, largest_input = dbt.ref("recommender_cuts"), dbt.ref("ranker_candidates")
    return new_cut_lists(dbt, session, cuts, largest_input, lists_of)

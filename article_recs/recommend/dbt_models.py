"""What the dbt-duckdb Python models in ``python_models/recommender/`` call: frames in, one table out
(a pandas frame, or an Arrow table for ``als_lists``).

The models read their refs with ``.df()``, the project vars from ``dbt.config.meta_get("recommender_vars")``
(a dict ``article_recs__<name> -> value`` rendered in ``_recommender__python_models.yml``), and pass them
here. Per-site ``as_of`` and knobs come from ``recommender_sites`` / ``eval_sites`` (the cut, for evaluation).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd
import pyarrow as pa

from article_recs.recommend.oracle import ORACLE_COLUMNS, empty_oracle, load_truth
from article_recs.recommend.params import RecommenderParams, is_empty
from article_recs.recommend.pipeline import (
    ALS_LISTS_SCHEMA,
    EVAL_REC_COLUMNS,
    als_lists_for_sites,
    eval_als_for_sites,
    eval_oracle_for_sites,
    site_contexts,
)
from article_recs.recommend.popularity import reads_from_page_views


def window_start(
    sites: pd.DataFrame, recommender_vars: Mapping[str, Any] | None, *day_fields: str
) -> str | None:
    """The earliest ``as_of - max(day_fields)`` over the sites, one day early (time zones), as SQL text:
    a lower bound to push into the query that reads page views / interactions (only the window loads)."""
    params = RecommenderParams.from_vars(recommender_vars)
    starts = []
    for ctx in site_contexts(sites, params):
        days = max(float(getattr(ctx.params, f)) for f in day_fields)
        starts.append(ctx.as_of - pd.Timedelta(days=days + 1))
    return min(starts).strftime("%Y-%m-%d %H:%M:%S") if starts else None


def als_lists_table(
    training_interactions: pd.DataFrame,
    articles: pd.DataFrame,
    sites: pd.DataFrame,
    recommender_vars: Mapping[str, Any] | None = None,
    window_reads: pd.DataFrame | None = None,
) -> pa.Table:
    """The ``als_lists`` table (``ALS_LISTS_SCHEMA``, Arrow): per site in ``sites``, ALS trained on
    ``training_interactions`` (``recommender_training_interactions``), related lists for every trained
    article and reader lists for every trained reader without what they read in the window
    (``window_reads``: ``recommender_window_reads``); candidates and decay from ``articles``."""
    params = RecommenderParams.from_vars(recommender_vars)
    return als_lists_for_sites(training_interactions, articles, site_contexts(sites, params), window_reads)


def eval_als_recommendations_table(
    train_interactions: pd.DataFrame,
    articles: pd.DataFrame,
    pairs: pd.DataFrame,
    holdout: pd.DataFrame,
    eval_sites: pd.DataFrame,
    recommender_vars: Mapping[str, Any] | None = None,
    page_views: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The ``eval_als_recommendations`` table (``EVAL_REC_COLUMNS``), trained at each site's cut."""
    params = RecommenderParams.from_vars(recommender_vars)
    contexts = site_contexts(eval_sites, params)
    reads = None if page_views is None else reads_from_page_views(page_views)
    return eval_als_for_sites(train_interactions, articles, pairs, holdout, contexts, reads=reads)


def eval_oracle_recommendations_table(
    ground_truth_path: str | None,
    pairs: pd.DataFrame | None,
    holdout: pd.DataFrame | None,
    train_interactions: pd.DataFrame | None,
    eval_sites: pd.DataFrame | None,
    recommender_vars: Mapping[str, Any] | None = None,
    articles: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The ``eval_oracle_recommendations`` table (``ORACLE_COLUMNS``); empty when no ground truth path
    (the frames may then be None)."""
    if is_empty(ground_truth_path) or eval_sites is None:
        return empty_oracle()
    params = RecommenderParams.from_vars(recommender_vars)
    contexts = site_contexts(eval_sites, params)
    truth = load_truth(str(ground_truth_path))
    out = eval_oracle_for_sites(truth, pairs, holdout, train_interactions, contexts, articles)
    return out[ORACLE_COLUMNS]


__all__ = [
    "ALS_LISTS_SCHEMA",
    "EVAL_REC_COLUMNS",
    "ORACLE_COLUMNS",
    "als_lists_table",
    "eval_als_recommendations_table",
    "eval_oracle_recommendations_table",
    "window_start",
]

"""What the dbt-duckdb Python models in ``python_models/recommender/`` call: frames in, one table out.

The models read their refs, the project vars from ``dbt.config.meta_get("recommender_vars")`` (a dict
``article_recs__<name> -> value`` rendered in ``_recommender__python_models.yml``), and the cuts they must
compute (``recommender_cuts`` rows they do not hold yet, in batches: :func:`new_cut_lists`), and pass
them here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import pandas as pd
import pyarrow as pa

from article_recs.recommend.content import CONTENT_LISTS_SCHEMA, content_lists_for_cuts
from article_recs.recommend.oracle import load_truth
from article_recs.recommend.params import RecommenderParams, is_empty, naive_utc
from article_recs.recommend.pipeline import (
    ALS_LISTS_SCHEMA,
    ORACLE_LIST_COLUMNS,
    als_lists_for_cuts,
    cut_contexts,
    oracle_lists_for_cuts,
)


def cuts_to_build(cuts: pd.DataFrame, built: pd.DataFrame | None) -> pd.DataFrame:
    """The rows of ``cuts`` (``recommender_cuts``) whose ``(site_id, cut_at)`` is not in ``built`` (the
    model's own table on an incremental run; None on a full build): a run computes only new cuts."""
    if built is None or built.empty:
        return cuts
    have = set(zip(built["site_id"].astype(str), pd.to_datetime(built["cut_at"]), strict=True))
    keep = [
        (str(s), pd.Timestamp(c)) not in have
        for s, c in zip(cuts["site_id"], pd.to_datetime(cuts["cut_at"]), strict=True)
    ]
    return cuts[pd.Series(keep, index=cuts.index, dtype=bool)]


def cut_filter_sql(cuts: pd.DataFrame) -> str:
    """A SQL filter that keeps the rows of the ``(site_id, cut_at)`` pairs in ``cuts`` (a relation's
    ``filter()``): only the cuts a run computes are read into pandas - not the other sites' rows of the same
    cut times, which a run that computes one site's cuts (or cuts of sites without data) would otherwise read
    whole. Sites with the same cut times share one ``site_id in (...) and cut_at in (...)`` term (a full
    build: one term), not one term per cut time."""
    times_by_site: dict[str, set[str]] = {}
    for site_id, cut_at in zip(cuts["site_id"], cuts["cut_at"], strict=True):
        time = pd.Timestamp(cut_at).strftime("%Y-%m-%d %H:%M:%S.%f")
        times_by_site.setdefault(str(site_id), set()).add(time)
    sites_by_times: dict[tuple[str, ...], list[str]] = {}
    for site_id, times in times_by_site.items():
        sites_by_times.setdefault(tuple(sorted(times)), []).append(site_id)
    if not sites_by_times:
        return "false"
    return " or ".join(
        "(site_id in ("
        + ", ".join("'" + site.replace("'", "''") + "'" for site in sorted(sites))
        + ") and cut_at in ("
        + ", ".join(f"timestamp '{time}'" for time in times)
        + "))"
        for times, sites in sorted(sites_by_times.items(), key=lambda kv: sorted(kv[1]))
    )


BATCH_ROWS = 1_000_000


def in_cut_batches(
    cuts: pd.DataFrame,
    lists_of: Callable[[pd.DataFrame, str], pa.Table],
    input_cut_times: pd.Series | None = None,
    batch_rows: int = BATCH_ROWS,
) -> pa.Table:
    """The lists of ``cuts``, computed in batches of whole cut times: ``lists_of(batch, cut_filter)`` gets
    the batch's cuts (every site of its cut times) and the SQL filter of their rows (:func:`cut_filter_sql`),
    reads that much of its refs into pandas and returns the batch's Arrow table. ``input_cut_times``: the
    ``cut_at`` of every row of the model's largest input; a batch takes cut times while their rows stay
    within ``batch_rows`` (one cut time at least). A full build computes every cut of the hold-out and of
    the ranker's tail (25 cut times): read at once, the 1M tier's ranker candidates took the dbt process to
    10.7 GiB; a small project (or a two-hourly run) is one batch, one read per ref, as before."""
    if cuts.empty:
        return lists_of(cuts, cut_filter_sql(cuts))
    times = naive_utc(cuts["cut_at"])
    rows = naive_utc(input_cut_times).value_counts() if input_cut_times is not None else pd.Series()
    batches: list[list[pd.Timestamp]] = [[]]
    size = 0
    for time in sorted(times.unique()):
        n = int(rows.get(time, 0))
        if batches[-1] and size + n > batch_rows:
            batches.append([])
            size = 0
        batches[-1].append(time)
        size += n
    tables = []
    for batch_times in batches:
        batch = cuts[times.isin(batch_times).to_numpy()]
        tables.append(lists_of(batch, cut_filter_sql(batch)))
    return pa.concat_tables(tables)


def new_cut_lists(
    dbt: Any,
    session: Any,
    cuts: Any,
    largest_input: Any,
    lists_of: Callable[[pd.DataFrame, str], pa.Table],
) -> pa.Table:
    """What a cut-keyed Python model returns: the lists of the cuts of ``cuts`` (its ``recommender_cuts``
    relation) that its table does not hold yet (:func:`cuts_to_build`; all of them on a full build),
    computed by :func:`in_cut_batches` in batches sized by ``largest_input``'s rows (the relation of the
    model's largest ref) at those cuts. The model passes its refs (``dbt.ref(...)``): dbt finds a Python
    model's refs in its own file."""
    built = None
    if dbt.is_incremental:
        built = session.sql(f"select distinct site_id, cut_at from {dbt.this}").df()
    todo = cuts_to_build(cuts.df(), built)
    input_cut_times = largest_input.filter(cut_filter_sql(todo)).project("cut_at").df()["cut_at"]
    return in_cut_batches(todo, lists_of, input_cut_times)


def als_lists_table(
    cuts: pd.DataFrame,
    training_interactions: pa.Table | pd.DataFrame | None,
    candidates: pa.Table | pd.DataFrame | None,
    cut_reads: pa.Table | pd.DataFrame | None = None,
    recommender_vars: Mapping[str, Any] | None = None,
) -> pa.Table:
    """The ``als_lists`` rows (``ALS_LISTS_SCHEMA``) of ``cuts`` (refs as Arrow tables or pandas frames:
    :func:`pipeline.als_lists_for_cuts`)."""
    contexts = cut_contexts(cuts, RecommenderParams.from_vars(recommender_vars))
    return als_lists_for_cuts(contexts, training_interactions, candidates, cut_reads)


def content_lists_table(
    cuts: pd.DataFrame,
    candidates: pd.DataFrame | None,
    articles: pd.DataFrame | None,
    cut_reads: pd.DataFrame | None,
    content_window_days: Any,
) -> pa.Table:
    """The ``content_lists`` rows (``CONTENT_LISTS_SCHEMA``) of ``cuts``: TF-IDF related articles and reader
    lists per (site, cut) (:mod:`article_recs.recommend.content`)."""
    return content_lists_for_cuts(cuts, candidates, articles, cut_reads, content_window_days)


def eval_oracle_lists_table(
    ground_truth_path: str | None,
    cuts: pd.DataFrame,
    related_cases: pd.DataFrame,
    reader_cases: pd.DataFrame,
    cut_reads: pd.DataFrame,
    candidates: pd.DataFrame,
    recommender_vars: Mapping[str, Any] | None = None,
) -> pd.DataFrame:
    """The ``eval_oracle_lists`` rows (``ORACLE_LIST_COLUMNS``) of ``cuts``; none without ground truth."""
    if is_empty(ground_truth_path):
        return oracle_lists_for_cuts(None, [], related_cases, reader_cases, cut_reads, candidates)
    contexts = cut_contexts(cuts, RecommenderParams.from_vars(recommender_vars))
    truth = load_truth(str(ground_truth_path))
    return oracle_lists_for_cuts(truth, contexts, related_cases, reader_cases, cut_reads, candidates)


__all__ = [
    "ALS_LISTS_SCHEMA",
    "CONTENT_LISTS_SCHEMA",
    "ORACLE_LIST_COLUMNS",
    "als_lists_table",
    "content_lists_table",
    "cut_filter_sql",
    "cuts_to_build",
    "eval_oracle_lists_table",
    "in_cut_batches",
    "new_cut_lists",
]

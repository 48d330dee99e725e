"""Offline evaluation: time split, next-article-in-session pairs, per-reader hold-out, and ``evaluate``.

These are the Python references of the ``eval_*`` SQL models: train on everything up to
``cut = as_of - holdout_hours``, test on ``(cut, as_of]``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from article_recs.recommend.candidates import fill_gaps
from article_recs.recommend.decay import naive_utc
from article_recs.recommend.metrics import catalog_coverage, mean_age_days, next_item_metrics, reader_metrics
from article_recs.recommend.params import to_naive_utc

EVAL_COLUMNS = ["site_id", "strategy", "task", "metric", "k", "value"]
PAIR_COLUMNS = [
    "site_id",
    "domain_userid",
    "domain_sessionid",
    "source_article_id",
    "next_article_id",
    "next_read_at",
]
TIME_COLUMNS = ("start_tstamp", "first_read_at", "read_at")


def split_by_time(
    frame: pd.DataFrame,
    as_of: pd.Timestamp | None = None,
    holdout_hours: float = 24.0,
    time_col: str | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.Timestamp]:
    """``(train, test, cut)``: train is ``time <= cut``, test is ``cut < time <= as_of`` (as the SQL
    ``eval_sites`` windows: ``holdout_start`` = cut, ``holdout_end`` = as_of).

    ``time_col`` defaults to the first of ``start_tstamp`` (page views), ``first_read_at`` (interactions:
    an interaction belongs where it began; split page views and re-aggregate with
    :func:`interactions_from_page_views` for an exact split) or ``read_at``. ``as_of`` defaults to the
    latest time in the frame; rows after ``as_of`` are in neither part.
    """
    if time_col is None:
        time_col = next((c for c in TIME_COLUMNS if c in frame.columns), None)
        if time_col is None:
            raise ValueError(f"no time column among {TIME_COLUMNS}; pass time_col")
    times = naive_utc(frame[time_col])
    as_of = times.max() if as_of is None else to_naive_utc(as_of)
    cut = as_of - pd.Timedelta(hours=float(holdout_hours))
    train = frame[(times <= cut).to_numpy()].reset_index(drop=True)
    test = frame[((times > cut) & (times <= as_of)).to_numpy()].reset_index(drop=True)
    return train, test, cut


def interactions_from_page_views(page_views: pd.DataFrame) -> pd.DataFrame:
    """The ``interactions`` mart computed from page views (same definition as the SQL model)."""
    pv = page_views[page_views["article_id"].notna() & page_views["domain_userid"].notna()].copy()
    pv["start_tstamp"] = naive_utc(pv["start_tstamp"])
    out = pv.groupby(["site_id", "domain_userid", "article_id"], as_index=False).agg(
        dwell_s=("engaged_time_in_s", "sum"),
        reads=("start_tstamp", "size"),
        first_read_at=("start_tstamp", "min"),
        last_read_at=("start_tstamp", "max"),
    )
    out["dwell_s"] = out["dwell_s"].astype("float64")
    return out


def next_in_session_pairs(page_views_test: pd.DataFrame) -> pd.DataFrame:
    """Consecutive article page views of a session: ``source_article_id -> next_article_id``.

    Non-article page views in between are skipped (the next *article* counts); a repeat of the same article
    (reload, back button) is dropped. Columns: ``site_id, domain_userid, domain_sessionid,
    source_article_id, next_article_id, next_read_at``.
    """
    pv = page_views_test[page_views_test["article_id"].notna() & page_views_test["domain_sessionid"].notna()]
    pv = pv.assign(_t=naive_utc(pv["start_tstamp"]))
    order = ["site_id", "domain_sessionid", "_t"] + (["page_view_id"] if "page_view_id" in pv.columns else [])
    pv = pv.sort_values(order)
    grouped = pv.groupby(["site_id", "domain_sessionid"], sort=False)["article_id"]
    pv = pv.assign(source_article_id=grouped.shift(1))
    pairs = pv[pv["source_article_id"].notna() & (pv["source_article_id"] != pv["article_id"])]
    out = pd.DataFrame(
        {
            "site_id": pairs["site_id"],
            "domain_userid": pairs["domain_userid"],
            "domain_sessionid": pairs["domain_sessionid"],
            "source_article_id": pairs["source_article_id"].astype(str),
            "next_article_id": pairs["article_id"].astype(str),
            "next_read_at": pairs["_t"],
        }
    )
    return out.reset_index(drop=True)


def reader_holdout(test: pd.DataFrame, train: pd.DataFrame) -> pd.DataFrame:
    """Each test reader's articles that they had not read in train: ``site_id, domain_userid, article_id``.

    ``test`` / ``train``: page views or interactions (any frame with those three columns).
    """
    keys = ["site_id", "domain_userid", "article_id"]
    t = test[test["article_id"].notna() & test["domain_userid"].notna()][keys].drop_duplicates()
    seen = train[keys].drop_duplicates().assign(_seen=True)
    t = t.merge(seen, on=keys, how="left")
    return t[t["_seen"].isna()][keys].reset_index(drop=True)


def expand_default_lists(
    recs: pd.DataFrame,
    pairs: pd.DataFrame,
    holdout: pd.DataFrame,
    n: int,
    read: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Turn ``source_entity_type='default'`` lists (popularity) into per-source lists for evaluation.

    Every pair source gets the default list without itself (``task='related'``) and every held-out reader
    gets it without what they read in ``read`` (``task='reader'``), via :func:`candidates.fill_gaps`.
    Lists of other source types are returned unchanged (``task`` inferred from the source type if absent).
    """
    recs = recs.copy()
    if "task" not in recs.columns:
        recs["task"] = recs["source_entity_type"].map({"article": "related", "reader": "reader"})
    defaults = recs[recs["source_entity_type"] == "default"]
    others = recs[recs["source_entity_type"] != "default"]
    parts = [others]
    for (site_id, strategy), lst in defaults.groupby(["site_id", "strategy"]):
        fallback = lst.rename(columns={"recommended_article_id": "article_id"})
        src_art = pairs[pairs["site_id"] == site_id][["site_id", "source_article_id"]].drop_duplicates()
        src_art = src_art.rename(columns={"source_article_id": "source_entity_id"}).assign(
            strategy=strategy, source_entity_type="article", task="related"
        )
        src_rd = holdout[holdout["site_id"] == site_id][["site_id", "domain_userid"]].drop_duplicates()
        src_rd = src_rd.rename(columns={"domain_userid": "source_entity_id"}).assign(
            strategy=strategy, source_entity_type="reader", task="reader"
        )
        empty = others.iloc[0:0][[c for c in others.columns]]
        parts.append(fill_gaps(empty, pd.concat([src_art, src_rd], ignore_index=True), fallback, n, read))
    return pd.concat(parts, ignore_index=True)


def evaluate(
    recs: pd.DataFrame | Mapping[str, pd.DataFrame],
    pairs: pd.DataFrame,
    holdout: pd.DataFrame,
    articles: pd.DataFrame | None = None,
    candidates: pd.DataFrame | None = None,
    as_of: pd.Timestamp | None = None,
    ks: Sequence[int] = (10,),
    read: pd.DataFrame | None = None,
    n: int | None = None,
) -> pd.DataFrame:
    """Long frame ``site_id, strategy, task, metric, k, value`` for every strategy in ``recs``.

    ``recs``: one frame (with ``strategy``) or a mapping strategy -> frame; rows in the recommendation shape,
    with ``task`` ('related' | 'reader') or inferred from ``source_entity_type``; ``'default'`` lists are
    expanded per source (:func:`expand_default_lists`, needs ``read`` to drop read articles for readers).
    ``pairs``: :func:`next_in_session_pairs` rows; ``holdout``: :func:`reader_holdout` rows.
    Metrics: related task HR/NDCG/MRR@k, reader task recall/NDCG@k, both coverage@k (needs ``candidates``)
    and mean_age_days@k (needs ``articles`` and ``as_of``), plus ``n_cases`` (k = 0).
    """
    if isinstance(recs, Mapping):
        frames = [f.assign(strategy=name) for name, f in recs.items()]
        recs = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    if recs.empty:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in EVAL_COLUMNS})
    strategies = sorted(recs["strategy"].unique().tolist())
    n = int(n if n is not None else max(ks))
    recs = expand_default_lists(recs, pairs, holdout, n, read)
    related = recs[recs["task"] == "related"]
    readers = recs[recs["task"] == "reader"]
    parts = []

    def add(frame: pd.DataFrame, task: str) -> None:
        if not frame.empty:
            parts.append(frame.assign(task=task))

    if not pairs.empty:
        add(next_item_metrics(pairs, related, ks, strategies), "related")
        add(_n_cases(pairs, strategies), "related")
    if not holdout.empty:
        add(reader_metrics(holdout, readers, ks, strategies), "reader")
        add(_n_cases(holdout[["site_id", "domain_userid"]].drop_duplicates(), strategies), "reader")
    for task, lists in (("related", related), ("reader", readers)):
        if lists.empty:
            continue
        if candidates is not None:
            add(catalog_coverage(lists, candidates, ks), task)
        if articles is not None and as_of is not None:
            add(mean_age_days(lists, articles, as_of, ks), task)
    if not parts:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in EVAL_COLUMNS})
    out = pd.concat(parts, ignore_index=True)[EVAL_COLUMNS]
    return out.sort_values(["site_id", "strategy", "task", "metric", "k"]).reset_index(drop=True)


def _n_cases(cases: pd.DataFrame, strategies: Sequence[str]) -> pd.DataFrame:
    counts = cases.groupby("site_id", as_index=False).size().rename(columns={"size": "value"})
    out = counts.merge(pd.DataFrame({"strategy": list(strategies)}), how="cross")
    out["metric"] = "n_cases"
    out["k"] = 0
    out["value"] = out["value"].astype("float64")
    return out[["site_id", "strategy", "metric", "k", "value"]]

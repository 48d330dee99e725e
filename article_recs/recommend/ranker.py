"""The ranked strategy's second stage: a CatBoost ranker (YetiRank) over all the strategies' candidates.

Stage one is SQL (``models/marts/recommender/ranker_candidates.sql``: per (site, cut, source) the union of
every strategy's own items and the top of the default lists, one feature column per strategy's score and
rank, plus article and source features); the labels are SQL too (``ranker_training_rows.sql``: the next
clicks of each scored cut's evaluation window). Here, per (site, cut) to build:

- train on the training rows of the cuts in the ``training_hours`` before the cut whose labels were complete
  at the cut (``cut_at - training_hours <= training cut``, ``eval_window_end <= cut_at``:
  :func:`training_rows_before`, the one leakage rule), one group per (site, cut, source) - or, with
  ``refit_hours`` above the cut grid's 2, at the cut's refit point (:func:`refit_point`), so the cuts between
  two refits share one model; every site's
  rows by default (``pool_sites``: the features mean the same on every site, and one site's hold-out has few
  labelled groups), the site's own otherwise;
- score the cut's candidates and keep the top ``recs_per_source`` per source, scores squashed into (0, 1]
  (``exp(raw - the list's best raw)``: 1 at rank 1, not increasing with rank);
- with fewer than ``min_training_groups`` labelled groups (little traffic, or ``training_hours`` 0) no model
  is fitted: the lists are the reciprocal-rank fusion of the strategies' ranks, and the rows say so
  (``ranker = 'rank_fusion'``, ``n_training_groups``).

The training window is a fixed span of hours, not "every earlier cut": recommender_cuts keeps a training tail
of cuts that long before the hold-out, so a cut's model is the same whether the cut was computed when it was
served or recomputed by a full refresh later.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from article_recs.recommend.params import ByCut, is_empty, naive_utc, to_naive_utc

STRATEGY = "ranked"
#: the rank a strategy "gives" a candidate it does not list (below every list and default list)
ABSENT_RANK = 1000.0
#: the constant of reciprocal-rank fusion (Cormack et al. 2009), the fallback without a model
RRF_K = 60.0
#: the key of a candidate row; a (site, cut, source_entity_type, source_entity_id) is one group
KEY_COLUMNS = ["site_id", "cut_at", "source_entity_type", "source_entity_id", "recommended_article_id"]
GROUP_COLUMNS = ["cut_at", "source_entity_type", "source_entity_id"]  # within a site
#: the non-strategy features of ranker_candidates (strategy features are its score_* and rank_* columns)
BASE_FEATURES = [
    "n_strategies",
    "age_hours",
    "decay",
    "candidate_readers",
    "reads_last_window",
    "reads_previous_window",
    "reads_change",
    "same_section",
    "source_readers",
    "reader_history_length",
    "reader_section_share",
]

#: the per-cut texts (feature importances, parameters) as dictionary arrays: one copy per cut, not one per
#: row. As plain strings the ~1 KB of feature importances, repeated on each of a cut's ~80k rows and held
#: until the model returned, made ranked_lists the peak of the 1M full build (make bench: 4.55 GiB before,
#: 3.77 GiB after); DuckDB reads them as VARCHAR.
PER_CUT_TEXT = pa.dictionary(pa.int32(), pa.string())

RANKED_LISTS_SCHEMA = pa.schema(
    [
        ("site_id", pa.string()),
        ("cut_at", pa.timestamp("us")),
        ("strategy", pa.string()),
        ("source_entity_type", pa.string()),
        ("source_entity_id", pa.string()),
        ("recommended_article_id", pa.string()),
        ("rank", pa.int64()),
        ("score", pa.float64()),
        ("ranker", pa.string()),
        ("trained_at", pa.timestamp("us")),
        ("train_seconds", pa.float64()),
        ("n_training_rows", pa.int64()),
        ("n_training_groups", pa.int64()),
        ("n_training_cuts", pa.int64()),
        ("last_training_cut_at", pa.timestamp("us")),
        ("feature_importances", PER_CUT_TEXT),
        ("ranker_params", PER_CUT_TEXT),
    ]
)


def per_cut_text(value: Any, rows: int) -> pa.DictionaryArray:
    """``value`` (a text, or None) on ``rows`` rows, stored once (:data:`PER_CUT_TEXT`)."""
    missing = value is None or (not isinstance(value, str) and pd.isna(value))
    indices = pa.nulls(rows, pa.int32()) if missing else pa.array(np.zeros(rows, dtype=np.int32))
    return pa.DictionaryArray.from_arrays(indices, pa.array([] if missing else [str(value)], pa.string()))


#: the ranking losses of CatBoostRanker that ``article_recs__ranker_loss`` may name: YetiRank (pairwise, the
#: default) and QueryRMSE (per group, ~4x cheaper to fit, a loss on the demo's reader lists: README, "Reading
#: the evaluation"). LambdaMart lost on MIND and fails on small fits (MVS sampling); PairLogit fits slower
LOSSES = ("YetiRank", "QueryRMSE")


@dataclass(frozen=True)
class RankerParams:
    """The ranker's knobs (``article_recs__ranker_*`` vars)."""

    iterations: int = 100
    depth: int = 4
    learning_rate: float = 0.1
    seed: int = 42
    threads: int = 2
    min_training_groups: int = 20
    #: learn from the labelled cuts of the last N hours before the cut (recommender_cuts' training tail)
    training_hours: int = 24
    #: learn from every site's earlier labels (the features are the same on every site), not the site's alone
    pool_sites: bool = True
    #: refit the model every N hours (a grid anchored at midnight UTC; a multiple of retrain_hours that
    #: divides 24): a cut is scored by the model fitted at the latest refit point at or before it
    refit_hours: int = 2
    #: YetiRank's permutations of each group per iteration (CatBoost's default is 10); the fit's cost is
    #: about proportional
    permutations: int = 3
    #: CatBoost's ranking loss (one of LOSSES)
    loss: str = "YetiRank"

    @classmethod
    def from_vars(cls, values: Mapping[str, Any] | None) -> RankerParams:
        """From ``{article_recs__ranker_<name>: value}`` (rendered vars: strings), defaults for the rest."""
        values = values or {}
        out: dict[str, Any] = {}
        for name, default in asdict(cls()).items():
            value = values.get(f"article_recs__ranker_{name}")
            if is_empty(value):
                continue
            if isinstance(default, str):
                out[name] = str(value).strip()
            elif isinstance(default, bool):
                out[name] = str(value).strip().lower() in ("true", "1", "yes")
            elif isinstance(default, int):
                out[name] = int(float(value))
            else:
                out[name] = float(value)
        return cls(**out)

    def __post_init__(self) -> None:
        if self.loss not in LOSSES:
            raise ValueError(
                f"article_recs__ranker_loss is {self.loss!r}; it must be one of {', '.join(LOSSES)}"
            )

    @property
    def loss_function(self) -> str:
        """CatBoost's ``loss_function``: YetiRank with its permutations, else the loss alone."""
        return f"YetiRank:permutations={self.permutations}" if self.loss == "YetiRank" else self.loss

    def to_json(self) -> str:
        params = asdict(self)
        return json.dumps({"loss_function": params.pop("loss"), **params}, sort_keys=True)


def refit_point(cut_at: pd.Timestamp, refit_hours: int) -> pd.Timestamp:
    """The time of the model that scores ``cut_at``: the latest point at or before it on the ``refit_hours``
    grid anchored at midnight UTC (``cut_at`` itself when ``refit_hours`` is 0 or less). Its labels are
    those complete at that point, so the cuts between two refits share one model (fitted once in a run, the
    same in a full refresh), and a two-hourly run between refits scores with it."""
    cut_at = to_naive_utc(cut_at)
    if refit_hours <= 0:
        return cut_at
    day = cut_at.floor("D")
    return day + pd.Timedelta(hours=(cut_at.hour // refit_hours) * refit_hours)


@dataclass
class FittedRanker:
    model: Any  # catboost.CatBoostRanker
    features: list[str]
    stats: dict[str, Any]


def feature_columns(frame: pd.DataFrame) -> list[str]:
    """The features of a ranker_candidates (or training rows) frame: every ``score_*`` / ``rank_*`` column
    (one pair per strategy), the base features present, and ``is_reader``."""
    strategy = sorted(c for c in frame.columns if c.startswith(("score_", "rank_")))
    return strategy + [c for c in BASE_FEATURES if c in frame.columns] + ["is_reader"]


def feature_matrix(frame: pd.DataFrame, features: list[str]) -> np.ndarray:
    """``frame``'s features as floats: an absent strategy rank is ``ABSENT_RANK``, an absent strategy score 0;
    other missing values stay NaN (CatBoost's own missing-value handling)."""
    out = np.empty((len(frame), len(features)), dtype=np.float64)
    for j, name in enumerate(features):
        if name == "is_reader":
            out[:, j] = (frame["source_entity_type"].to_numpy() == "reader").astype(np.float64)
            continue
        col = pd.to_numeric(frame[name], errors="coerce").astype("float64").to_numpy()
        if name.startswith("rank_"):
            col = np.where(np.isnan(col), ABSENT_RANK, col)
        elif name.startswith("score_"):
            col = np.where(np.isnan(col), 0.0, col)
        out[:, j] = col
    return out


def training_rows_before(
    training_rows: pd.DataFrame | None, site_id: str | None, cut_at: pd.Timestamp, training_hours: int
) -> pd.DataFrame:
    """The training rows a model for ``cut_at`` may learn from: the rows (of ``site_id``; of every site when
    None) of the cuts in the ``training_hours`` before it (``cut_at - training_hours <= row cut_at``) whose
    labels were complete at the cut (``eval_window_end <= cut_at``): the next clicks of earlier cuts' windows
    only, never those of the cut itself or of a later one."""
    if training_rows is None or training_rows.empty:
        return pd.DataFrame(columns=[] if training_rows is None else training_rows.columns)
    cut_at = to_naive_utc(cut_at)
    keep = (naive_utc(training_rows["eval_window_end"]) <= cut_at).to_numpy(copy=True)
    keep &= (naive_utc(training_rows["cut_at"]) >= cut_at - pd.Timedelta(hours=training_hours)).to_numpy()
    if site_id is not None:
        keep &= (training_rows["site_id"].astype(str) == str(site_id)).to_numpy()
    return training_rows[keep]


def _sorted_groups(frame: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
    """``frame`` sorted so each group's rows are contiguous (CatBoost needs it), and the group ids."""
    keys = ["site_id"] + GROUP_COLUMNS
    ordered = frame.sort_values(keys + ["recommended_article_id"], kind="mergesort")
    groups = ordered.groupby(keys, sort=False, dropna=False).ngroup().to_numpy()
    return ordered, groups


def fit_ranker(rows: pd.DataFrame, features: list[str], params: RankerParams) -> FittedRanker | None:
    """A CatBoostRanker (YetiRank) fitted on ``rows`` (training rows with ``relevance``), one group per
    (cut, source); None when they hold fewer than ``params.min_training_groups`` groups with a positive."""
    from catboost import CatBoostRanker  # the ~270 MB wheel loads only where a ranker is fitted

    if rows.empty:
        return None
    ordered, groups = _sorted_groups(rows)
    labels = pd.to_numeric(ordered["relevance"]).astype("float64").to_numpy()
    positive_groups = np.unique(groups[labels > 0])
    if len(positive_groups) < max(1, params.min_training_groups):
        return None
    started = time.perf_counter()
    model = CatBoostRanker(
        loss_function=params.loss_function,
        iterations=params.iterations,
        depth=params.depth,
        learning_rate=params.learning_rate,
        random_seed=params.seed,
        thread_count=params.threads,
        verbose=False,
        allow_writing_files=False,
    )
    model.fit(feature_matrix(ordered, features), labels, group_id=groups)
    values = model.get_feature_importance(type="PredictionValuesChange")
    importances = dict(
        sorted(
            zip(features, (round(float(v), 4) for v in values), strict=True),
            key=lambda kv: (-kv[1], kv[0]),
        )
    )
    stats = {
        "train_seconds": time.perf_counter() - started,
        "n_training_rows": len(ordered),
        "n_training_groups": int(len(np.unique(groups))),
        "n_training_cuts": int(ordered["cut_at"].nunique()),
        "last_training_cut_at": to_naive_utc(pd.Timestamp(naive_utc(ordered["cut_at"]).max())),
        "feature_importances": importances,
    }
    return FittedRanker(model, features, stats)


def rank_fusion_scores(frame: pd.DataFrame) -> np.ndarray:
    """The fallback without a model: sum over the strategies that list a candidate of 1 / (RRF_K + rank)."""
    ranks = [c for c in frame.columns if c.startswith("rank_")]
    if not ranks:
        return np.zeros(len(frame))
    values = frame[ranks].apply(pd.to_numeric, errors="coerce").astype("float64").to_numpy()
    return np.nansum(1.0 / (RRF_K + values), axis=1)


def top_lists(candidates: pd.DataFrame, raw: np.ndarray, n: int) -> pd.DataFrame:
    """The top ``n`` candidates of each source by ``raw`` (ties: article id), ranked 1..k, scored
    ``exp(raw - the list's best raw)``: 1 at rank 1, in (0, 1], not increasing with rank."""
    frame = candidates[["source_entity_type", "source_entity_id", "recommended_article_id"]].copy()
    frame["raw"] = np.asarray(raw, dtype=np.float64)
    frame = frame.sort_values(
        ["source_entity_type", "source_entity_id", "raw", "recommended_article_id"],
        ascending=[True, True, False, True],
        kind="mergesort",
    )
    keys = ["source_entity_type", "source_entity_id"]
    frame["rank"] = frame.groupby(keys, sort=False).cumcount() + 1
    frame = frame[frame["rank"] <= n].copy()
    best = frame.groupby(keys, sort=False)["raw"].transform("max")
    frame["score"] = np.clip(np.exp(frame["raw"] - best), np.finfo(np.float64).tiny, 1.0)
    return frame.drop(columns="raw").reset_index(drop=True)


def ranked_lists_for_cut(
    site_id: str,
    cut_at: pd.Timestamp,
    candidates: pd.DataFrame,
    training_rows: pd.DataFrame | None,
    recs_per_source: int,
    params: RankerParams,
    fitted_cache: dict | None = None,
) -> pd.DataFrame:
    """The ranked lists of one (site, cut): ``candidates`` are the cut's ranker_candidates rows,
    ``training_rows`` any ranker_training_rows (only :func:`training_rows_before` the cut are used).
    ``fitted_cache``: models already fitted in this run by their training rows (pooled sites whose cuts
    see the same labelled cuts share one fit)."""
    cut_at = to_naive_utc(cut_at)
    if candidates.empty:
        return pd.DataFrame()
    features = feature_columns(candidates)
    history = training_rows_before(
        training_rows,
        None if params.pool_sites else site_id,
        refit_point(cut_at, params.refit_hours),
        params.training_hours,
    )
    fitted = None
    if not history.empty:
        labelled_cuts = set(zip(history["site_id"].astype(str), naive_utc(history["cut_at"]), strict=True))
        key = (tuple(features), len(history), tuple(sorted(labelled_cuts)))
        if fitted_cache is not None and key in fitted_cache:
            fitted = fitted_cache[key]
        else:
            fitted = fit_ranker(history, features, params)
            if fitted_cache is not None:
                fitted_cache[key] = fitted
    if fitted is None:
        raw = rank_fusion_scores(candidates)
        stats: dict[str, Any] = {
            "ranker": "rank_fusion",
            "train_seconds": 0.0,
            "n_training_rows": len(history),
            "n_training_groups": (
                int(history.groupby(["site_id"] + GROUP_COLUMNS).ngroups) if len(history) else 0
            ),
            "n_training_cuts": int(history["cut_at"].nunique()) if len(history) else 0,
            "last_training_cut_at": None,
            "feature_importances": None,
        }
    else:
        raw = fitted.model.predict(feature_matrix(candidates, features))
        stats = {"ranker": "catboost", **fitted.stats}
        stats["feature_importances"] = json.dumps(stats["feature_importances"])
    lists = top_lists(candidates, raw, recs_per_source)
    for name, value in stats.items():
        lists[name] = value
    lists["ranker_params"] = params.to_json()
    return lists


def ranked_lists_for_cuts(
    cuts: pd.DataFrame | None,
    candidates: pd.DataFrame | None,
    training_rows: pd.DataFrame | None,
    ranker_vars: Mapping[str, Any] | None = None,
) -> pa.Table:
    """The ``ranked_lists`` rows (``RANKED_LISTS_SCHEMA``) of every row of ``cuts`` (``recommender_cuts``:
    ``site_id, cut_at, recs_per_source``)."""
    params = RankerParams.from_vars(ranker_vars)
    tables: list[pa.Table] = []
    if cuts is None or cuts.empty or candidates is None or candidates.empty:
        return RANKED_LISTS_SCHEMA.empty_table()
    fitted_cache: dict = {}
    candidates_by_cut = ByCut(candidates)
    for row in cuts.to_dict("records"):
        site_id, cut_at = str(row["site_id"]), to_naive_utc(pd.Timestamp(row["cut_at"]))
        n = int(row.get("recs_per_source") or 10)
        lists = ranked_lists_for_cut(
            site_id, cut_at, candidates_by_cut.of(site_id, cut_at), training_rows, n, params, fitted_cache
        )
        if lists.empty:
            continue
        rows = len(lists)
        last = lists["last_training_cut_at"].iloc[0]
        trained_at = datetime.now(UTC).replace(tzinfo=None)
        tables.append(
            pa.table(
                {
                    "site_id": pa.repeat(pa.scalar(site_id, pa.string()), rows),
                    "cut_at": pa.repeat(pa.scalar(cut_at.to_pydatetime(), pa.timestamp("us")), rows),
                    "strategy": pa.repeat(pa.scalar(STRATEGY, pa.string()), rows),
                    "source_entity_type": pa.array(lists["source_entity_type"], pa.string()),
                    "source_entity_id": pa.array(lists["source_entity_id"].astype(str), pa.string()),
                    "recommended_article_id": pa.array(
                        lists["recommended_article_id"].astype(str), pa.string()
                    ),
                    "rank": pa.array(lists["rank"], pa.int64()),
                    "score": pa.array(lists["score"], pa.float64()),
                    "ranker": pa.array(lists["ranker"], pa.string()),
                    "trained_at": pa.repeat(pa.scalar(trained_at, pa.timestamp("us")), rows),
                    "train_seconds": pa.array(lists["train_seconds"].astype(float), pa.float64()),
                    "n_training_rows": pa.array(lists["n_training_rows"].astype(int), pa.int64()),
                    "n_training_groups": pa.array(lists["n_training_groups"].astype(int), pa.int64()),
                    "n_training_cuts": pa.array(lists["n_training_cuts"].astype(int), pa.int64()),
                    "last_training_cut_at": pa.repeat(
                        pa.scalar(
                            None if last is None or pd.isna(last) else pd.Timestamp(last).to_pydatetime(),
                            pa.timestamp("us"),
                        ),
                        rows,
                    ),
                    "feature_importances": per_cut_text(lists["feature_importances"].iloc[0], rows),
                    "ranker_params": per_cut_text(lists["ranker_params"].iloc[0], rows),
                },
                schema=RANKED_LISTS_SCHEMA,
            )
        )
    return pa.concat_tables(tables) if tables else RANKED_LISTS_SCHEMA.empty_table()

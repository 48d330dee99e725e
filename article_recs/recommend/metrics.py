"""Ranking metrics, vectorised over a frame of cases joined to a frame of ranked lists.

Recommendation lists: ``site_id, strategy, source_entity_id, recommended_article_id, rank`` (ranks 1..N).
A list row may carry ``domain_userid`` (the oracle's related lists are per reader): such rows only match
cases of that reader; rows without one match every reader.

Next-article-in-session (one relevant item per case; a case whose source has no list is a miss):
- HR@k = share of cases whose next article is in the top k;
- NDCG@k = mean of ``1 / log2(rank + 1)`` for hits within k, 0 otherwise (IDCG is 1 with one relevant item);
- MRR@k = mean of ``1 / rank`` for hits within k, 0 otherwise.

Per-reader held-out sets (each reader's relevant set ``R``):
- recall@k = ``|hits in top k| / |R|``, averaged over readers;
- NDCG@k = ``DCG@k / IDCG@k`` with ``IDCG@k = sum_{i=1..min(k, |R|)} 1 / log2(i + 1)``, averaged over readers.

Lists: catalog coverage@k (distinct candidates in any top-k list / candidates of the site) and mean age in
days at ``as_of`` of the top-k recommended articles (every row counts once).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

METRIC_COLUMNS = ["site_id", "strategy", "metric", "k", "value"]


def _empty_metrics() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "site_id": pd.Series(dtype="object"),
            "strategy": pd.Series(dtype="object"),
            "metric": pd.Series(dtype="object"),
            "k": pd.Series(dtype="int64"),
            "value": pd.Series(dtype="float64"),
        }
    )


def _strategies(recs: pd.DataFrame, strategies: Sequence[str] | None) -> list[str]:
    return sorted(recs["strategy"].dropna().unique().tolist()) if strategies is None else list(strategies)


def hit_ranks(
    cases: pd.DataFrame,
    recs: pd.DataFrame,
    case_source: str,
    case_item: str,
    strategies: Sequence[str] | None = None,
    case_user: str | None = "domain_userid",
) -> pd.DataFrame:
    """Every case crossed with every strategy, with ``rank`` of the case's item in its list (NaN: miss).

    ``cases``: ``site_id``, ``case_source`` (matched to ``source_entity_id``), ``case_item`` (matched to
    ``recommended_article_id``) and optionally ``case_user`` (matched to a list's ``domain_userid``).
    """
    strategies = _strategies(recs, strategies)
    base = cases.reset_index(drop=True).copy()
    base["_case"] = np.arange(len(base))
    grid = base.merge(pd.DataFrame({"strategy": strategies}), how="cross")
    lists = recs[recs["strategy"].isin(strategies)]
    has_user = "domain_userid" in lists.columns and case_user is not None and case_user in cases.columns
    if has_user:
        per_user = lists[lists["domain_userid"].notna()]
        shared = lists[lists["domain_userid"].isna()]
    else:
        per_user, shared = lists.iloc[0:0], lists
    left_on = ["site_id", "strategy", case_source, case_item]
    right_on = ["site_id", "strategy", "source_entity_id", "recommended_article_id"]
    found = []
    for part, extra_left, extra_right in ((shared, [], []), (per_user, [case_user], ["domain_userid"])):
        if part.empty:
            continue
        ranks = part.groupby(right_on + extra_right, as_index=False)["rank"].min()
        m = grid[["_case", "strategy"] + [c for c in left_on + extra_left if c != "strategy"]].merge(
            ranks, left_on=left_on + extra_left, right_on=right_on + extra_right, how="inner"
        )
        found.append(m[["_case", "strategy", "rank"]])
    if found:
        best = pd.concat(found).groupby(["_case", "strategy"], as_index=False)["rank"].min()
        grid = grid.merge(best, on=["_case", "strategy"], how="left")
    else:
        grid["rank"] = np.nan
    grid["rank"] = grid["rank"].astype("float64")
    return grid.drop(columns="_case")


def next_item_metrics(
    cases: pd.DataFrame,
    recs: pd.DataFrame,
    ks: Sequence[int] = (10,),
    strategies: Sequence[str] | None = None,
    case_source: str = "source_article_id",
    case_item: str = "next_article_id",
) -> pd.DataFrame:
    """HR@k, NDCG@k, MRR@k per (site_id, strategy) for one-relevant-item cases (see module doc)."""
    if cases.empty:
        return _empty_metrics()
    grid = hit_ranks(cases, recs, case_source, case_item, strategies)
    rank = grid["rank"].to_numpy()
    rows = []
    for k in ks:
        hit = np.nan_to_num(rank, nan=np.inf) <= k
        safe = np.where(hit, rank, 1.0)
        frame = pd.DataFrame(
            {
                "site_id": grid["site_id"],
                "strategy": grid["strategy"],
                "hr": hit.astype("float64"),
                "ndcg": np.where(hit, 1.0 / np.log2(safe + 1.0), 0.0),
                "mrr": np.where(hit, 1.0 / safe, 0.0),
            }
        )
        agg = frame.groupby(["site_id", "strategy"], as_index=False)[["hr", "ndcg", "mrr"]].mean()
        long = agg.melt(id_vars=["site_id", "strategy"], var_name="metric", value_name="value")
        long["k"] = int(k)
        rows.append(long)
    return pd.concat(rows, ignore_index=True)[METRIC_COLUMNS]


def reader_metrics(
    holdout: pd.DataFrame,
    recs: pd.DataFrame,
    ks: Sequence[int] = (10,),
    strategies: Sequence[str] | None = None,
) -> pd.DataFrame:
    """recall@k and NDCG@k per (site_id, strategy) for per-reader held-out sets (see module doc).

    ``holdout``: ``site_id, domain_userid, article_id`` (one row per relevant article). ``recs``: reader lists
    with ``source_entity_id = domain_userid``.
    """
    if holdout.empty:
        return _empty_metrics()
    rel = holdout[["site_id", "domain_userid", "article_id"]].drop_duplicates()
    grid = hit_ranks(rel, recs, "domain_userid", "article_id", strategies, case_user=None)
    grid["_n_rel"] = grid.groupby(["site_id", "strategy", "domain_userid"])["article_id"].transform("size")
    rank = grid["rank"].to_numpy()
    max_rel = int(grid["_n_rel"].max())
    rows = []
    for k in ks:
        hit = np.nan_to_num(rank, nan=np.inf) <= k
        gains = np.where(hit, 1.0 / np.log2(np.where(hit, rank, 1.0) + 1.0), 0.0)
        per_reader = (
            pd.DataFrame(
                {
                    "site_id": grid["site_id"],
                    "strategy": grid["strategy"],
                    "domain_userid": grid["domain_userid"],
                    "_n_rel": grid["_n_rel"],
                    "hits": hit.astype("float64"),
                    "dcg": gains,
                }
            )
            .groupby(["site_id", "strategy", "domain_userid"], as_index=False)
            .agg(n_rel=("_n_rel", "first"), hits=("hits", "sum"), dcg=("dcg", "sum"))
        )
        ideal = np.concatenate([[0.0], np.cumsum(1.0 / np.log2(np.arange(2, max(k, max_rel) + 2)))])
        idcg = ideal[np.minimum(per_reader["n_rel"].to_numpy(), k)]
        per_reader["recall"] = per_reader["hits"] / per_reader["n_rel"]
        per_reader["ndcg"] = per_reader["dcg"] / idcg
        agg = per_reader.groupby(["site_id", "strategy"], as_index=False)[["recall", "ndcg"]].mean()
        long = agg.melt(id_vars=["site_id", "strategy"], var_name="metric", value_name="value")
        long["k"] = int(k)
        rows.append(long)
    return pd.concat(rows, ignore_index=True)[METRIC_COLUMNS]


def catalog_coverage(recs: pd.DataFrame, candidates: pd.DataFrame, ks: Sequence[int] = (10,)) -> pd.DataFrame:
    """Share of each site's candidate articles that appear in any top-k list of a strategy."""
    n_cands = candidates[["site_id", "article_id"]].drop_duplicates().groupby("site_id").size()
    cand_keys = candidates[["site_id", "article_id"]].drop_duplicates()
    rows = []
    for k in ks:
        top = recs[recs["rank"] <= k][["site_id", "strategy", "recommended_article_id"]].drop_duplicates()
        top = top.merge(
            cand_keys,
            left_on=["site_id", "recommended_article_id"],
            right_on=["site_id", "article_id"],
            how="inner",
        )
        agg = top.groupby(["site_id", "strategy"], as_index=False).size()
        agg["value"] = agg["size"] / agg["site_id"].map(n_cands).astype("float64")
        agg["metric"] = "coverage"
        agg["k"] = int(k)
        rows.append(agg[METRIC_COLUMNS])
    return pd.concat(rows, ignore_index=True) if rows else _empty_metrics()


def mean_age_days(
    recs: pd.DataFrame, articles: pd.DataFrame, as_of: pd.Timestamp, ks: Sequence[int] = (10,)
) -> pd.DataFrame:
    """Mean age in days at ``as_of`` (publish date) of the top-k recommended articles, every row once."""
    from article_recs.recommend.decay import age_days

    ages = articles[["site_id", "article_id"]].copy()
    published = articles["published_at"]
    if "first_seen_at" in articles.columns:
        published = published.fillna(articles["first_seen_at"])
    ages["_age"] = age_days(published, as_of).to_numpy()
    ages = ages.drop_duplicates(["site_id", "article_id"])
    rows = []
    for k in ks:
        top = recs[recs["rank"] <= k][["site_id", "strategy", "recommended_article_id"]]
        top = top.merge(
            ages,
            left_on=["site_id", "recommended_article_id"],
            right_on=["site_id", "article_id"],
            how="inner",
        )
        agg = top.groupby(["site_id", "strategy"], as_index=False)["_age"].mean()
        agg = agg.rename(columns={"_age": "value"})
        agg["metric"] = "mean_age_days"
        agg["k"] = int(k)
        rows.append(agg[METRIC_COLUMNS])
    return pd.concat(rows, ignore_index=True) if rows else _empty_metrics()

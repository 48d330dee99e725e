"""Popularity, as the newsroom job does it: the reference for the SQL model and the gap filler.

Per site: every read in the ``window_days`` before ``as_of`` (``as_of - window < read_at <= as_of``)
contributes its dwell weighted by ``0.5 ** (age_of_read_days / half_life_days)``; articles are ranked by the
sum, the top ``top_n`` kept, and the score is the sum divided by the site's maximum (so the first is 1.0).
Articles with no weighted dwell (score 0) are left out: scores live in (0, 1]. Ties break on article_id.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from article_recs.recommend.candidates import REC_COLUMNS
from article_recs.recommend.decay import age_days, half_life_decay, naive_utc
from article_recs.recommend.params import RecommenderParams

READ_COLUMNS = ["site_id", "domain_userid", "article_id", "dwell_s", "read_at"]


def reads_from_page_views(page_views: pd.DataFrame) -> pd.DataFrame:
    """One row per article page view: ``site_id, domain_userid, article_id, dwell_s, read_at``."""
    pv = page_views[page_views["article_id"].notna()]
    return pd.DataFrame(
        {
            "site_id": pv["site_id"].astype(str),
            "domain_userid": pv["domain_userid"],
            "article_id": pv["article_id"].astype(str),
            "dwell_s": pd.to_numeric(pv["engaged_time_in_s"]).fillna(0.0).astype("float64"),
            "read_at": naive_utc(pv["start_tstamp"]),
        }
    ).reset_index(drop=True)


def reads_from_interactions(interactions: pd.DataFrame) -> pd.DataFrame:
    """The interactions mart as reads: the whole dwell counted at ``last_read_at`` (an approximation:
    the mart has no per-read dwell; use :func:`reads_from_page_views` where page views are at hand)."""
    return pd.DataFrame(
        {
            "site_id": interactions["site_id"].astype(str),
            "domain_userid": interactions["domain_userid"],
            "article_id": interactions["article_id"].astype(str),
            "dwell_s": pd.to_numeric(interactions["dwell_s"]).fillna(0.0).astype("float64"),
            "read_at": naive_utc(interactions["last_read_at"]),
        }
    ).reset_index(drop=True)


def popularity_scores(
    reads: pd.DataFrame,
    as_of: pd.Timestamp,
    window_days: float = 7.0,
    half_life_days: float = 10.0,
    top_n: int = 50,
    candidates: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Top ``top_n`` articles per site: ``site_id, article_id, weighted_dwell_s, score, rank``.

    The same parameters apply to every site (see :func:`popularity_by_site` for per-site ones).
    ``candidates`` (``site_id, article_id``), when given, restricts the ranking to recommendable articles.
    """
    ages = age_days(reads["read_at"], as_of, clip=False)
    in_window = (ages >= 0) & (ages < float(window_days))
    r = reads[in_window.to_numpy()]
    weight = r["dwell_s"].to_numpy() * half_life_decay(ages[in_window].to_numpy(), half_life_days)
    totals = (
        pd.DataFrame(
            {
                "site_id": r["site_id"].to_numpy(),
                "article_id": r["article_id"].to_numpy(),
                "weighted_dwell_s": weight,
            }
        )
        .groupby(["site_id", "article_id"], as_index=False)["weighted_dwell_s"]
        .sum()
    )
    if candidates is not None:
        totals = totals.merge(
            candidates[["site_id", "article_id"]].drop_duplicates(), on=["site_id", "article_id"], how="inner"
        )
    totals = totals[totals["weighted_dwell_s"] > 0]
    totals = totals.sort_values(["site_id", "weighted_dwell_s", "article_id"], ascending=[True, False, True])
    totals["rank"] = totals.groupby("site_id").cumcount().astype("int64") + 1
    totals = totals[totals["rank"] <= int(top_n)].copy()
    site_max = totals.groupby("site_id")["weighted_dwell_s"].transform("max")
    totals["score"] = totals["weighted_dwell_s"] / site_max
    return totals[["site_id", "article_id", "weighted_dwell_s", "score", "rank"]].reset_index(drop=True)


def popularity_by_site(
    reads: pd.DataFrame,
    as_of: pd.Timestamp,
    params: RecommenderParams,
    sites: pd.DataFrame | None = None,
    candidates: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """:func:`popularity_scores` per site, each with its own parameters (``params.for_site``)."""
    parts = []
    for site_id, site_reads in reads.groupby("site_id", sort=True):
        p = params.for_site(sites, str(site_id))
        cands = None if candidates is None else candidates[candidates["site_id"] == site_id]
        parts.append(
            popularity_scores(
                site_reads,
                as_of,
                p.popularity_window_days,
                p.popularity_half_life_days,
                p.popularity_top_n,
                cands,
            )
        )
    if not parts:
        return popularity_scores(reads.iloc[0:0], as_of)
    return pd.concat(parts, ignore_index=True)


def popularity_recommendations(
    scores: pd.DataFrame, n: int | Mapping[str, int] | None = None
) -> pd.DataFrame:
    """Popularity scores as recommendation rows (``strategy='popularity'``, source ``'default'``).

    ``n``: keep the first n per site (an int or a mapping site_id -> n); None keeps all (top_n).
    """
    out = scores.rename(columns={"article_id": "recommended_article_id"}).copy()
    if n is not None:
        limit = out["site_id"].map(n) if isinstance(n, Mapping) else pd.Series(n, index=out.index)
        out = out[out["rank"] <= limit.fillna(len(out))]
    out["strategy"] = "popularity"
    out["source_entity_type"] = "default"
    out["source_entity_id"] = "default"
    return out[REC_COLUMNS].reset_index(drop=True)

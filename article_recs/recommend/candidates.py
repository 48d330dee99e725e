"""Candidate rules and gap filling shared by every strategy.

Candidate rules (a recommended article must pass all of them):

- it is in the ``articles`` frame of its site (``(site_id, article_id)`` is the key);
- it exists at ``as_of``: ``min(published_at, first_seen_at) <= as_of`` (so an evaluation at a past cut never
  recommends an article that appeared after it);
- it is at most ``max_article_age_days`` old at ``as_of`` (age from ``published_at``, falling back to
  ``first_seen_at``);
- it is not the source article itself (article lists) and not already read by the reader (reader lists).

Gap filling: every source that must have a list (every article read in the window, every reader) gets
``n`` items. A strategy's own items keep their ranks and scores; the list is then padded with fallback
(popularity) articles in fallback order, skipping the source itself, articles already in the list and, for
readers, articles they have read. A padded item's score is ``ceiling * fallback_score`` where ``ceiling`` is
``FILL_SCORE_SHRINK`` (0.5) times the last score of the strategy's own items, or 1.0 when the strategy had
none for that source: padded items always rank and score below the model's own items, keep the fallback's
order among themselves and stay in (0, 1].
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from article_recs.recommend.decay import age_days, half_life_decay, naive_utc

REC_COLUMNS = [
    "site_id",
    "strategy",
    "source_entity_type",
    "source_entity_id",
    "recommended_article_id",
    "rank",
    "score",
]
LIST_KEYS = ["site_id", "strategy", "source_entity_type", "source_entity_id"]
FILL_SCORE_SHRINK = 0.5


def empty_recs(extra: list[str] | None = None) -> pd.DataFrame:
    """An empty frame with the recommendation columns (``extra`` appended)."""
    cols = REC_COLUMNS + list(extra or [])
    return pd.DataFrame({c: pd.Series(dtype=_rec_dtype(c)) for c in cols})


def _rec_dtype(col: str) -> str:
    return {"rank": "int64", "score": "float64"}.get(col, "str")


def candidate_articles(
    articles: pd.DataFrame,
    as_of: pd.Timestamp,
    max_article_age_days: float,
    decay_half_life_days: float,
) -> pd.DataFrame:
    """The articles that may be recommended at ``as_of``, with their age and publish-date decay.

    Returns ``site_id, article_id, published_at, age_days, decay`` (one row per candidate). The same
    parameters apply to every row: call it per site when sites have different parameters.
    """
    published = naive_utc(articles["published_at"])
    if "first_seen_at" in articles.columns:
        first_seen = naive_utc(articles["first_seen_at"])
        published = published.fillna(first_seen)
        appeared = pd.concat([published, first_seen], axis=1).min(axis=1)
    else:
        appeared = published
    ages = age_days(published, as_of)
    raw_age = age_days(appeared, as_of, clip=False)
    keep = published.notna() & (raw_age >= 0) & (ages <= float(max_article_age_days))
    out = pd.DataFrame(
        {
            "site_id": articles["site_id"].astype(str),
            "article_id": articles["article_id"].astype(str),
            "published_at": published,
            "age_days": ages,
        }
    )[keep.to_numpy()]
    out = out.drop_duplicates(["site_id", "article_id"])
    out["decay"] = half_life_decay(out["age_days"].to_numpy(), decay_half_life_days)
    return out.reset_index(drop=True)


def rerank(recs: pd.DataFrame, n: int | None = None) -> pd.DataFrame:
    """Dense ranks 1..k per list in (current rank, then score desc) order, cut at ``n`` when given."""
    if recs.empty:
        return recs.copy()
    keys = [c for c in LIST_KEYS + ["task", "domain_userid"] if c in recs.columns]
    out = recs.sort_values(keys + ["rank", "score"], ascending=[True] * len(keys) + [True, False])
    out = out.copy()
    out["rank"] = out.groupby(keys, sort=False, dropna=False).cumcount().astype("int64") + 1
    if n is not None:
        out = out[out["rank"] <= n]
    return out.reset_index(drop=True)


def apply_candidate_rules(
    recs: pd.DataFrame,
    candidates: pd.DataFrame,
    read: pd.DataFrame | None = None,
    n: int | None = None,
) -> pd.DataFrame:
    """Drop rows that break the candidate rules, then re-rank each list 1..k (cut at ``n``).

    ``candidates``: ``site_id, article_id`` (from :func:`candidate_articles`). ``read``: ``site_id,
    domain_userid, article_id`` of what readers have read; applied to ``source_entity_type == 'reader'``.
    Article lists never keep their source article.
    """
    if recs.empty:
        return recs.copy()
    out = recs[
        recs["recommended_article_id"]
        != recs["source_entity_id"].where(recs["source_entity_type"] == "article")
    ]
    cand_keys = candidates[["site_id", "article_id"]].drop_duplicates()
    out = out.merge(
        cand_keys.rename(columns={"article_id": "recommended_article_id"}),
        on=["site_id", "recommended_article_id"],
        how="inner",
    )
    if read is not None and not read.empty:
        seen = read[["site_id", "domain_userid", "article_id"]].drop_duplicates()
        seen = seen.rename(
            columns={"domain_userid": "source_entity_id", "article_id": "recommended_article_id"}
        )
        seen["_read"] = True
        seen["source_entity_type"] = "reader"
        out = out.merge(
            seen,
            on=["site_id", "source_entity_type", "source_entity_id", "recommended_article_id"],
            how="left",
        )
        out = out[out["_read"].isna()].drop(columns="_read")
    return rerank(out, n)


def fill_gaps(
    recs: pd.DataFrame,
    sources: pd.DataFrame,
    fallback: pd.DataFrame,
    n: int,
    read: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Pad every list named in ``sources`` to ``n`` items with ``fallback`` articles (see module doc).

    ``recs``: recommendation rows (``REC_COLUMNS``, plus optional ``task`` / ``domain_userid`` carried
    along). ``sources``: ``site_id, strategy, source_entity_type, source_entity_id`` (plus the same optional
    columns), the lists that must exist. ``fallback``: ``site_id, article_id, score`` (popularity, any order:
    sorted by score desc, then article_id). ``read``: ``site_id, domain_userid, article_id`` for reader lists.
    Lists in ``recs`` that are not in ``sources`` are kept as they are. Returns ``recs`` with padded rows.
    """
    extra = [c for c in ("task", "domain_userid") if c in recs.columns or c in sources.columns]
    keys = LIST_KEYS + extra
    recs = recs.copy()
    for c in extra:
        if c not in recs.columns:
            recs[c] = None
    if sources.empty or fallback.empty:
        return recs
    sources = sources.assign(**{c: None for c in extra if c not in sources.columns})
    src = sources[keys].drop_duplicates()

    have = (
        recs.groupby(keys, dropna=False, sort=False)
        .agg(_count=("rank", "size"), _max_rank=("rank", "max"), _min_score=("score", "min"))
        .reset_index()
    )
    need = src.merge(have, on=keys, how="left")
    need["_count"] = need["_count"].fillna(0).astype("int64")
    need = need[need["_count"] < n]
    if need.empty:
        return recs
    need["_max_rank"] = need["_max_rank"].fillna(0).astype("int64")
    need["_ceiling"] = np.where(need["_count"] > 0, need["_min_score"] * FILL_SCORE_SHRINK, 1.0)

    fb = fallback[["site_id", "article_id", "score"]].rename(columns={"score": "_fb_score"})
    fb = fb[fb["_fb_score"] > 0]
    fb = fb.sort_values(["site_id", "_fb_score", "article_id"], ascending=[True, False, True])
    fb = fb.drop_duplicates(["site_id", "article_id"])
    fb["_fb_rank"] = fb.groupby("site_id").cumcount()

    pad = need.merge(fb, on="site_id", how="inner")
    pad = pad.rename(columns={"article_id": "recommended_article_id"})
    # never the source itself
    pad = pad[
        ~(
            (pad["source_entity_type"] == "article")
            & (pad["recommended_article_id"] == pad["source_entity_id"])
        )
    ]
    # never an article already in the list
    existing = recs[keys + ["recommended_article_id"]].drop_duplicates()
    existing["_dup"] = True
    pad = pad.merge(existing, on=keys + ["recommended_article_id"], how="left")
    pad = pad[pad["_dup"].isna()]
    # never an article the reader has read
    if read is not None and not read.empty:
        seen = read[["site_id", "domain_userid", "article_id"]].drop_duplicates()
        seen = seen.rename(
            columns={"domain_userid": "source_entity_id", "article_id": "recommended_article_id"}
        )
        seen["source_entity_type"] = "reader"
        seen["_read"] = True
        pad = pad.merge(
            seen,
            on=["site_id", "source_entity_type", "source_entity_id", "recommended_article_id"],
            how="left",
        )
        pad = pad[pad["_read"].isna()]

    pad = pad.sort_values(keys + ["_fb_rank"])
    pad["_k"] = pad.groupby(keys, dropna=False, sort=False).cumcount()
    pad = pad[pad["_k"] < (n - pad["_count"])]
    pad["rank"] = (pad["_max_rank"] + pad["_k"] + 1).astype("int64")
    pad["score"] = pad["_ceiling"] * pad["_fb_score"]
    pad = pad[keys + ["recommended_article_id", "rank", "score"]]
    out = (
        pd.concat(
            [recs[pad.columns.tolist() + [c for c in recs.columns if c not in pad.columns]], pad],
            ignore_index=True,
        )
        if not recs.empty
        else pad.reset_index(drop=True)
    )
    return out.sort_values(keys + ["rank"]).reset_index(drop=True)

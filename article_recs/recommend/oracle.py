"""The oracle: recommendations from the generator's own hidden scores, the ceiling on generated data.

``truth`` is anything with ``score_candidates(site_id, domain_userid, at, source_article_id=None,
read_article_ids=None)`` returning a ``pandas.Series`` (index ``article_id``, value the generator's
unnormalised next-read probability): ``article_recs.events.truth.GroundTruth.load(dir)``. It is told the
reader's history before the cut (``read_article_ids``, from the training interactions) so its re-read
discount applies, as it did in the generator.

- Related task: for every held-out pair, the top-N articles by true score for that reader at
  ``next_read_at`` given the source article, without the source itself. One list per
  ``(site_id, domain_userid, source_article_id)`` (the earliest pair wins); rows carry ``domain_userid``.
- Reader task: for every held-out reader, the top-N articles by true score at the cut, without what the
  reader read before it.

A case the truth does not know (``KeyError``: a reader or article it never generated) gets no list, so it
counts as a miss.

Scores are divided by the list's maximum (first item 1.0); non-positive true scores are dropped. Ties break
on article_id. ``candidates`` (``site_id, article_id``), when given, restricts what the oracle may pick.
"""

from __future__ import annotations

from typing import Any, Protocol

import numpy as np
import pandas as pd

from article_recs.recommend.params import naive_utc, to_naive_utc

#: the recommendation shape every strategy's lists have (models/marts/recommender)
REC_COLUMNS = [
    "site_id",
    "strategy",
    "source_entity_type",
    "source_entity_id",
    "recommended_article_id",
    "rank",
    "score",
]
ORACLE_COLUMNS = REC_COLUMNS + ["task", "domain_userid"]


class TruthScorer(Protocol):
    def score_candidates(
        self,
        site_id: str,
        domain_userid: str | None,
        at: Any,
        source_article_id: str | None = None,
        read_article_ids: Any = None,
    ) -> pd.Series: ...


def _history(read: pd.DataFrame | None) -> dict[tuple[str, str], set[str]]:
    seen: dict[tuple[str, str], set[str]] = {}
    if read is not None and not read.empty:
        for s, u, a in zip(
            read["site_id"].astype(str),
            read["domain_userid"].astype(str),
            read["article_id"].astype(str),
            strict=True,
        ):
            seen.setdefault((s, u), set()).add(a)
    return seen


def _score(truth: TruthScorer, site: str, user: str, at: Any, source: str | None, history: set[str]):
    try:
        return truth.score_candidates(
            site, user, at, source_article_id=source, read_article_ids=sorted(history) or None
        )
    except KeyError:
        return None


def empty_oracle() -> pd.DataFrame:
    return pd.DataFrame(
        {c: pd.Series(dtype={"rank": "int64", "score": "float64"}.get(c, "str")) for c in ORACLE_COLUMNS}
    )


def _top_n(
    scores: pd.Series, n: int, exclude: set[str], allowed: set[str] | None
) -> list[tuple[str, int, float]]:
    """``(article_id, rank, score)`` of the top ``n`` positive scores (ties on article_id), without
    ``exclude`` and, when given, only ``allowed``; scores divided by the first one. Plain numpy: this runs
    once per evaluation case."""
    ids = np.asarray(scores.index, dtype=object).astype(str)
    raw = np.asarray(scores.to_numpy(), dtype="float64")
    keep = raw > 0
    if exclude:
        keep &= ~np.isin(ids, list(exclude))
    if allowed is not None:
        keep &= np.fromiter((a in allowed for a in ids), dtype=bool, count=len(ids))
    ids, raw = ids[keep], raw[keep]
    if raw.size == 0:
        return []
    if raw.size > n:
        # only the n best (and anything tied with the n-th) need the exact order
        cut = np.partition(raw, raw.size - n)[raw.size - n]
        top = raw >= cut
        ids, raw = ids[top], raw[top]
    order = np.lexsort((ids, -raw))[:n]
    first = raw[order[0]]
    return [(ids[i], rank, float(raw[i] / first)) for rank, i in enumerate(order, start=1)]


def _allowed_by_site(candidates: pd.DataFrame | None) -> dict[str, set[str]] | None:
    if candidates is None:
        return None
    return {str(s): set(g["article_id"].astype(str)) for s, g in candidates.groupby("site_id")}


def oracle_related(
    truth: TruthScorer,
    pairs: pd.DataFrame,
    n: int,
    candidates: pd.DataFrame | None = None,
    read: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Related-task oracle lists (see module doc). ``pairs``: eval_related_cases rows (``next_article_id``,
    ``next_read_at``: the target); ``read``:
    ``site_id, domain_userid, article_id`` read before the cut (told to the truth as history)."""
    if pairs.empty:
        return empty_oracle()
    allowed = _allowed_by_site(candidates)
    seen = _history(read)
    p = pairs.assign(at_ts=naive_utc(pairs["next_read_at"])).sort_values(
        ["site_id", "domain_userid", "source_article_id", "at_ts"]
    )
    p = p.drop_duplicates(["site_id", "domain_userid", "source_article_id"])
    rows = []
    for site, user, source, at_ts in zip(
        p["site_id"].astype(str),
        p["domain_userid"].astype(str),
        p["source_article_id"].astype(str),
        p["at_ts"],
        strict=True,
    ):
        scores = _score(truth, site, user, at_ts, source, seen.get((site, user), set()))
        if scores is None:
            continue
        top = _top_n(scores, n, {source}, None if allowed is None else allowed.get(site, set()))
        rows.extend(
            (site, "article", source, item, rank, score, "related", user) for item, rank, score in top
        )
    return _finish(rows)


def oracle_reader(
    truth: TruthScorer,
    readers: pd.DataFrame,
    cut_at: pd.Timestamp | dict[str, pd.Timestamp],
    n: int,
    read: pd.DataFrame | None = None,
    candidates: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Reader-task oracle lists at the cut. ``readers``: ``site_id, domain_userid`` (e.g. the hold-out).

    ``cut_at``: one timestamp or a mapping site_id -> timestamp. ``read``: ``site_id, domain_userid,
    article_id`` read before the cut (excluded).
    """
    if readers.empty:
        return empty_oracle()
    allowed = _allowed_by_site(candidates)
    seen = _history(read)
    unique = readers[["site_id", "domain_userid"]].drop_duplicates().sort_values(["site_id", "domain_userid"])
    rows = []
    for site, user in zip(unique["site_id"].astype(str), unique["domain_userid"].astype(str), strict=True):
        at = cut_at.get(site) if isinstance(cut_at, dict) else cut_at
        history = seen.get((site, user), set())
        scores = _score(truth, site, user, to_naive_utc(at), None, history)
        if scores is None:
            continue
        top = _top_n(scores, n, history, None if allowed is None else allowed.get(site, set()))
        rows.extend((site, "reader", user, item, rank, score, "reader", None) for item, rank, score in top)
    return _finish(rows)


def oracle_recommendations(
    truth: TruthScorer,
    pairs: pd.DataFrame,
    holdout: pd.DataFrame,
    cut_at: pd.Timestamp | dict[str, pd.Timestamp],
    n: int,
    read: pd.DataFrame | None = None,
    candidates: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Both tasks, ``strategy='oracle'``, columns ``ORACLE_COLUMNS``."""
    out = pd.concat(
        [
            oracle_related(truth, pairs, n, candidates, read),
            oracle_reader(truth, holdout, cut_at, n, read, candidates),
        ],
        ignore_index=True,
    )
    return out[ORACLE_COLUMNS] if not out.empty else empty_oracle()


def _finish(rows: list[tuple]) -> pd.DataFrame:
    """Rows ``(site_id, source_entity_type, source_entity_id, recommended_article_id, rank, score, task,
    domain_userid)`` as an ``ORACLE_COLUMNS`` frame."""
    if not rows:
        return empty_oracle()
    out = pd.DataFrame(
        rows,
        columns=[
            "site_id",
            "source_entity_type",
            "source_entity_id",
            "recommended_article_id",
            "rank",
            "score",
            "task",
            "domain_userid",
        ],
    )
    out["strategy"] = "oracle"
    out["rank"] = out["rank"].astype("int64")
    out["score"] = out["score"].astype("float64")
    return out[ORACLE_COLUMNS]


def load_truth(path: str) -> TruthScorer:
    """``GroundTruth.load(path)`` from the generator package (imported lazily: it is optional here)."""
    from article_recs.events.truth import GroundTruth

    return GroundTruth.load(path)

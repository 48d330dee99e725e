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

import pandas as pd

from article_recs.recommend.candidates import REC_COLUMNS
from article_recs.recommend.decay import naive_utc
from article_recs.recommend.params import to_naive_utc

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
        for (s, u), g in read.groupby(["site_id", "domain_userid"]):
            seen[(str(s), str(u))] = set(g["article_id"].astype(str))
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


def _top_n(scores: pd.Series, n: int, exclude: set[str], allowed: set[str] | None) -> pd.DataFrame:
    s = pd.Series(scores, dtype="float64")
    s.index = s.index.astype(str)
    s = s[(s > 0) & ~s.index.isin(list(exclude))]
    if allowed is not None:
        s = s[s.index.isin(list(allowed))]
    if s.empty:
        return pd.DataFrame({"recommended_article_id": [], "rank": [], "score": []})
    frame = pd.DataFrame({"recommended_article_id": s.index.to_numpy(), "raw": s.to_numpy()})
    frame = frame.sort_values(["raw", "recommended_article_id"], ascending=[False, True]).head(n)
    frame["score"] = frame["raw"] / frame["raw"].iloc[0]
    frame["rank"] = range(1, len(frame) + 1)
    return frame[["recommended_article_id", "rank", "score"]]


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
    """Related-task oracle lists (see module doc). ``pairs``: eval_next_in_session_pairs rows; ``read``:
    ``site_id, domain_userid, article_id`` read before the cut (told to the truth as history)."""
    if pairs.empty:
        return empty_oracle()
    allowed = _allowed_by_site(candidates)
    seen = _history(read)
    p = pairs.assign(at_ts=naive_utc(pairs["next_read_at"])).sort_values(
        ["site_id", "domain_userid", "source_article_id", "at_ts"]
    )
    p = p.drop_duplicates(["site_id", "domain_userid", "source_article_id"])
    parts = []
    for row in p.itertuples(index=False):
        site, user, source = str(row.site_id), str(row.domain_userid), str(row.source_article_id)
        scores = _score(truth, site, user, row.at_ts, source, seen.get((site, user), set()))
        if scores is None:
            continue
        top = _top_n(scores, n, {source}, None if allowed is None else allowed.get(site, set()))
        if top.empty:
            continue
        parts.append(
            top.assign(
                site_id=site,
                source_entity_type="article",
                source_entity_id=source,
                task="related",
                domain_userid=user,
            )
        )
    return _finish(parts)


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
    parts = []
    for row in (
        readers[["site_id", "domain_userid"]]
        .drop_duplicates()
        .sort_values(["site_id", "domain_userid"])
        .itertuples(index=False)
    ):
        site, user = str(row.site_id), str(row.domain_userid)
        at = cut_at.get(site) if isinstance(cut_at, dict) else cut_at
        scores = _score(truth, site, user, to_naive_utc(at), None, seen.get((site, user), set()))
        if scores is None:
            continue
        top = _top_n(
            scores, n, seen.get((site, user), set()), None if allowed is None else allowed.get(site, set())
        )
        if top.empty:
            continue
        parts.append(
            top.assign(
                site_id=site,
                source_entity_type="reader",
                source_entity_id=user,
                task="reader",
                domain_userid=None,
            )
        )
    return _finish(parts)


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


def _finish(parts: list[pd.DataFrame]) -> pd.DataFrame:
    if not parts:
        return empty_oracle()
    out = pd.concat(parts, ignore_index=True)
    out["strategy"] = "oracle"
    out["rank"] = out["rank"].astype("int64")
    out["score"] = out["score"].astype("float64")
    return out[ORACLE_COLUMNS]


def load_truth(path: str) -> TruthScorer:
    """``GroundTruth.load(path)`` from the generator package (imported lazily: it is optional here)."""
    from article_recs.events.truth import GroundTruth

    return GroundTruth.load(path)

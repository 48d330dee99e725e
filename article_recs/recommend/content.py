"""The content strategy: related articles by the text of the articles, per (site, cut).

It needs no reads, so a new article has related articles from its first page view (it is a candidate of a
cut once it appeared before it: ``recommender_candidates``), and it can recommend an article nobody has read.

Per (site, cut):

- Text of an article: its title (``articles.title``), section and author, joined by spaces. A masthead that
  the site appends to every page title (``"... | The Herald"``) is dropped first (:func:`strip_masthead`):
  it says nothing about the article and would make every pair look alike; a page titled with the masthead
  alone has no title. An article without any text has no related list and is never recommended.
- A TF-IDF vectorizer over character n-grams (``analyzer='char_wb', ngram_range=(2, 4)``: no tokenizer, so
  Chinese titles work as English ones do) is fitted on the texts of the cut's candidates only (nothing
  published after the cut leaks into the vocabulary or the idf).
- Related list of an article (every candidate of the cut, and every article read in the cut's window: the
  sources ``recommendation_lists`` serves): the other candidates that appeared within the recency window
  (``age_days <= content_window_days``, age as the candidate rules define it: from published_at, else
  first_seen_at), score = cosine(source, candidate) (in [0, 1]: TF-IDF rows are non-negative and
  l2-normalised) times the candidate's publish-date decay; the best ``recs_per_source`` with a positive
  score, ties broken on the article id; never the source.
- Reader list: as item-kNN's (``models/marts/recommender/item_knn_lists.sql``): the reader's
  ``knn_max_reads_per_reader`` most recent reads of the cut's window (``recommender_cut_reads``), each
  contributing its ``knn_reader_neighbours`` best related scores; score(reader, c) = sum of those scores of c
  divided by the number of those reads (a mean, so in [0, 1]); never an article the reader read in the
  window; the best ``recs_per_source`` with a positive score.

Nothing is padded: ``recommendation_lists`` pads every strategy's lists in SQL.
"""

from __future__ import annotations

import time
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer

from article_recs.recommend.params import ByCut, is_empty, to_naive_utc

STRATEGY = "content"
#: what ``content_lists`` stores: the strategy's own lists per (site, cut), with the cut's fit stats
CONTENT_LISTS_SCHEMA = pa.schema(
    [
        ("site_id", pa.string()),
        ("cut_at", pa.timestamp("us")),
        ("strategy", pa.string()),
        ("source_entity_type", pa.string()),
        ("source_entity_id", pa.string()),
        ("recommended_article_id", pa.string()),
        ("rank", pa.int64()),
        ("score", pa.float64()),
        ("trained_at", pa.timestamp("us")),
        ("train_seconds", pa.float64()),
        ("n_candidates", pa.int64()),
        ("n_features", pa.int64()),
    ]
)
#: separators a site puts between the headline and its masthead in page titles
MASTHEAD_SEPARATORS = (" | ", " - ", " – ", " — ")
#: rows of the source x candidate similarity matrix computed at once (bounds memory to CHUNK x candidates)
CHUNK = 1024
#: the knobs read from each ``recommender_cuts`` row, with the project defaults when a row lacks one
CUT_KNOBS = {"recs_per_source": 10, "knn_max_reads_per_reader": 50, "knn_reader_neighbours": 20}


def strip_masthead(titles: pd.Series) -> pd.Series:
    """``titles`` without the masthead most of them carry (``"Headline | The Herald"`` -> ``"Headline"``, and
    a page titled with the masthead alone -> ``""``: no headline known): the text after the last separator
    (:data:`MASTHEAD_SEPARATORS`) of at least two titles, when at least half of the titles end with it or are
    it. Titles that do not end with it are kept as they are."""
    text = titles.fillna("").astype(str)
    tails: Counter = Counter()
    for title in text:
        for sep in MASTHEAD_SEPARATORS:
            head, found, tail = title.rpartition(sep)
            if found and head.strip() and tail.strip():
                tails[(sep, tail)] += 1
    if not tails:
        return text
    (sep, masthead), count = tails.most_common(1)[0]
    bare = int((text.str.strip() == masthead.strip()).sum())
    if count < 2 or (count + bare) * 2 < len(text):
        return text
    suffix = sep + masthead

    def strip(title: str) -> str:
        if title.strip() == masthead.strip():
            return ""
        return title[: -len(suffix)] if title.endswith(suffix) and len(title) > len(suffix) else title

    return text.map(strip)


def article_texts(articles: pd.DataFrame) -> pd.Series:
    """The text of each article of one site (``title, section, author``; any may be missing), indexed like
    ``articles``: the title without the site's masthead, then section and author, joined by spaces."""
    parts = [
        strip_masthead(articles["title"]) if "title" in articles else pd.Series("", index=articles.index)
    ]
    for column in ("section", "author"):
        if column in articles:
            parts.append(articles[column].fillna("").astype(str))
    joined = parts[0].str.cat(parts[1:], sep=" ") if len(parts) > 1 else parts[0]
    return joined.str.split().str.join(" ").fillna("")


def _top_per_row(scores: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The best ``n`` positive entries of each row of ``scores`` (columns in article-id order, so a stable
    sort breaks ties on the id): (row, column, rank 1..)."""
    if scores.size == 0 or n <= 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty
    k = min(n, scores.shape[1])
    order = np.argsort(-scores, axis=1, kind="stable")[:, :k]
    top = np.take_along_axis(scores, order, axis=1)
    keep = top > 0
    rows = np.broadcast_to(np.arange(scores.shape[0])[:, None], order.shape)[keep]
    ranks = np.broadcast_to(np.arange(1, k + 1)[None, :], order.shape)[keep]
    return rows.astype(np.int64), order[keep].astype(np.int64), ranks.astype(np.int64)


def content_lists_for_cut(
    candidates: pd.DataFrame,
    articles: pd.DataFrame,
    cut_reads: pd.DataFrame | None,
    window_days: float,
    recs_per_source: int = 10,
    max_reads_per_reader: int = 50,
    reader_neighbours: int = 20,
) -> pd.DataFrame:
    """The content lists of one (site, cut), as rows ``source_entity_type, source_entity_id,
    recommended_article_id, rank, score`` (and the fit stats ``train_seconds, n_candidates, n_features``).

    ``candidates``: the cut's ``recommender_candidates`` (``article_id, age_days, decay``). ``articles``: the
    site's articles mart rows (``article_id, title, section, author``). ``cut_reads``: the cut's
    ``recommender_cut_reads`` (``domain_userid, article_id, last_read_at``), or None.
    """
    started = time.perf_counter()
    columns = ["source_entity_type", "source_entity_id", "recommended_article_id", "rank", "score"]
    empty = pd.DataFrame(
        {
            c: pd.Series(dtype="int64" if c == "rank" else "float64" if c == "score" else "str")
            for c in columns
        }
    )
    reads = cut_reads if cut_reads is not None else pd.DataFrame(columns=["domain_userid", "article_id"])
    texts = article_texts(articles.drop_duplicates("article_id").reset_index(drop=True))
    text_of = dict(zip(articles.drop_duplicates("article_id")["article_id"].astype(str), texts, strict=True))

    cands = candidates.drop_duplicates("article_id").copy()
    cands["article_id"] = cands["article_id"].astype(str)
    cands["text"] = cands["article_id"].map(text_of).fillna("")
    cands = cands[cands["text"].str.strip() != ""].sort_values("article_id").reset_index(drop=True)
    if cands.empty:
        return empty
    vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4))
    try:
        cand_matrix = vectorizer.fit_transform(cands["text"])
    except ValueError:  # no n-gram at all (texts of single characters)
        return empty

    # targets: candidates within the recency window; sources: every candidate and every article read
    in_window = (cands["age_days"].astype(float) <= float(window_days)).to_numpy()
    targets = cands[in_window].reset_index(drop=True)
    target_matrix = cand_matrix[np.flatnonzero(in_window)]
    target_decay = targets["decay"].astype(float).to_numpy()
    read_ids = sorted(set(reads["article_id"].astype(str)) - set(cands["article_id"]))
    extra = [a for a in read_ids if text_of.get(a, "").strip()]
    source_ids = np.array(list(cands["article_id"]) + extra, dtype=object)
    source_matrix = (
        sp.vstack([cand_matrix, vectorizer.transform([text_of[a] for a in extra])]).tocsr()
        if extra
        else cand_matrix.tocsr()
    )
    target_ids = targets["article_id"].to_numpy(dtype=object)
    target_pos = {a: i for i, a in enumerate(target_ids)}

    n_keep = max(recs_per_source, reader_neighbours)
    rel_src, rel_tgt, rel_rank, rel_score = [], [], [], []
    for start in range(0, len(source_ids), CHUNK):
        stop = min(start + CHUNK, len(source_ids))
        sims = (source_matrix[start:stop] @ target_matrix.T).toarray()
        scores = np.clip(sims, 0.0, 1.0) * target_decay[None, :]
        # never the source
        for row, source in enumerate(source_ids[start:stop]):
            col = target_pos.get(source)
            if col is not None:
                scores[row, col] = 0.0
        rows, cols, ranks = _top_per_row(scores, n_keep)
        rel_src.append(rows + start)
        rel_tgt.append(cols)
        rel_rank.append(ranks)
        rel_score.append(np.minimum(scores[rows, cols], 1.0))
    neighbours = pd.DataFrame(
        {
            "source": np.concatenate(rel_src) if rel_src else np.zeros(0, dtype=np.int64),
            "target": np.concatenate(rel_tgt) if rel_tgt else np.zeros(0, dtype=np.int64),
            "rank": np.concatenate(rel_rank) if rel_rank else np.zeros(0, dtype=np.int64),
            "score": np.concatenate(rel_score) if rel_score else np.zeros(0, dtype=np.float64),
        }
    )
    related = neighbours[neighbours["rank"] <= recs_per_source]
    related_rows = pd.DataFrame(
        {
            "source_entity_type": "article",
            "source_entity_id": source_ids[related["source"].to_numpy()].astype(str),
            "recommended_article_id": target_ids[related["target"].to_numpy()].astype(str),
            "rank": related["rank"].to_numpy(dtype=np.int64),
            "score": related["score"].to_numpy(dtype=np.float64),
        }
    )
    reader_rows = _reader_lists(
        reads, source_ids, target_ids, neighbours, recs_per_source, max_reads_per_reader, reader_neighbours
    )
    out = pd.concat([related_rows, reader_rows], ignore_index=True) if len(reader_rows) else related_rows
    out = out.assign(
        train_seconds=time.perf_counter() - started,
        n_candidates=len(cands),
        n_features=len(vectorizer.vocabulary_),
    )
    return out


def _reader_lists(
    reads: pd.DataFrame,
    source_ids: np.ndarray,
    target_ids: np.ndarray,
    neighbours: pd.DataFrame,
    recs_per_source: int,
    max_reads_per_reader: int,
    reader_neighbours: int,
) -> pd.DataFrame:
    """Reader lists from the related scores (``neighbours``: source index, target index, rank, score).

    Readers and articles are integer codes until the top ``recs_per_source`` of each reader are known
    (readers numbered in ``domain_userid`` order, targets in article-id order, so ties break as on the ids):
    at 10M events a cut has ~10M (reader, neighbour) pairs, which as Python strings took the dbt process past
    6 GiB."""
    if reads.empty or neighbours.empty:
        return pd.DataFrame()
    reader_codes, reader_ids = pd.factorize(reads["domain_userid"].astype(str), sort=True)
    reads = pd.DataFrame(
        {
            "reader": reader_codes,
            "article_id": reads["article_id"].astype(str).to_numpy(),
            **({"last_read_at": reads["last_read_at"].to_numpy()} if "last_read_at" in reads else {}),
        }
    )
    order = ["reader", "last_read_at", "article_id"] if "last_read_at" in reads else ["reader", "article_id"]
    recent = reads.sort_values(order, ascending=[True] + [False] * (len(order) - 1), kind="stable")
    recent = recent[recent.groupby("reader").cumcount() < max_reads_per_reader]
    n_reads = np.bincount(recent["reader"].to_numpy(), minlength=len(reader_ids))
    source_pos = pd.Series(np.arange(len(source_ids)), index=pd.Index(source_ids.astype(str)))
    recent_source = recent["article_id"].map(source_pos)
    known = recent_source.notna().to_numpy()
    recent = pd.DataFrame(
        {
            "reader": recent["reader"].to_numpy()[known],
            "source": recent_source.to_numpy()[known].astype(np.int64),
        }
    )
    best = neighbours[neighbours["rank"] <= reader_neighbours]
    pairs = recent.merge(best[["source", "target", "score"]], on="source")
    if pairs.empty:
        return pd.DataFrame()
    sums = pairs.groupby(["reader", "target"], as_index=False, sort=False)["score"].sum()
    sums["score"] = np.minimum(sums["score"].to_numpy() / n_reads[sums["reader"].to_numpy()], 1.0)
    # never what the reader read in the window: (reader, target) keys of their reads of a target article
    target_pos = pd.Series(np.arange(len(target_ids)), index=pd.Index(target_ids.astype(str)))
    read_target = reads["article_id"].map(target_pos)
    n_targets = len(target_ids)
    is_target = read_target.notna().to_numpy()
    read_readers = reads["reader"].to_numpy()[is_target].astype(np.int64)
    read_keys = read_readers * n_targets + read_target.to_numpy()[is_target].astype(np.int64)
    keys = sums["reader"].to_numpy(dtype=np.int64) * n_targets + sums["target"].to_numpy(dtype=np.int64)
    sums = sums[~np.isin(keys, read_keys) & (sums["score"].to_numpy() > 0)]
    sums = sums.sort_values(["reader", "score", "target"], ascending=[True, False, True], kind="stable")
    sums["rank"] = sums.groupby("reader").cumcount() + 1
    sums = sums[sums["rank"] <= recs_per_source]
    return pd.DataFrame(
        {
            "source_entity_type": "reader",
            "source_entity_id": np.asarray(reader_ids, dtype=object)[sums["reader"].to_numpy()],
            "recommended_article_id": target_ids[sums["target"].to_numpy()].astype(str),
            "rank": sums["rank"].to_numpy(dtype=np.int64),
            "score": sums["score"].to_numpy(dtype=np.float64),
        }
    )


def _knob(row: dict[str, Any], name: str) -> int:
    value = row.get(name)
    return int(CUT_KNOBS[name] if is_empty(value) else float(value))


def content_lists_for_cuts(
    cuts: pd.DataFrame,
    candidates: pd.DataFrame | None,
    articles: pd.DataFrame | None,
    cut_reads: pd.DataFrame | None,
    window_days: float,
) -> pa.Table:
    """The ``content_lists`` rows (``CONTENT_LISTS_SCHEMA``) of every row of ``cuts`` (``recommender_cuts``:
    ``site_id, cut_at, recs_per_source, knn_max_reads_per_reader, knn_reader_neighbours``)."""
    if is_empty(window_days) or float(window_days) <= 0:
        raise ValueError(
            f"article_recs__content_window_days must be a positive number of days, not {window_days!r}"
        )
    tables: list[pa.Table] = []
    if cuts is None or cuts.empty or candidates is None or articles is None:
        return CONTENT_LISTS_SCHEMA.empty_table()
    candidates_by_cut, cut_reads_by_cut = ByCut(candidates), ByCut(cut_reads)
    for row in cuts.to_dict("records"):
        site_id, cut_at = str(row["site_id"]), to_naive_utc(pd.Timestamp(row["cut_at"]))
        lists = content_lists_for_cut(
            candidates_by_cut.of(site_id, cut_at),
            articles[articles["site_id"].astype(str) == site_id],
            cut_reads_by_cut.of(site_id, cut_at),
            float(window_days),
            _knob(row, "recs_per_source"),
            _knob(row, "knn_max_reads_per_reader"),
            _knob(row, "knn_reader_neighbours"),
        )
        if lists.empty:
            continue
        n = len(lists)
        tables.append(
            pa.table(
                {
                    "site_id": pa.repeat(pa.scalar(site_id, pa.string()), n),
                    "cut_at": pa.repeat(pa.scalar(cut_at.to_pydatetime(), pa.timestamp("us")), n),
                    "strategy": pa.repeat(pa.scalar(STRATEGY, pa.string()), n),
                    "source_entity_type": pa.array(lists["source_entity_type"], pa.string()),
                    "source_entity_id": pa.array(lists["source_entity_id"], pa.string()),
                    "recommended_article_id": pa.array(lists["recommended_article_id"], pa.string()),
                    "rank": pa.array(lists["rank"], pa.int64()),
                    "score": pa.array(lists["score"], pa.float64()),
                    "trained_at": pa.repeat(
                        pa.scalar(datetime.now(UTC).replace(tzinfo=None), pa.timestamp("us")), n
                    ),
                    "train_seconds": pa.array(lists["train_seconds"], pa.float64()),
                    "n_candidates": pa.array(lists["n_candidates"], pa.int64()),
                    "n_features": pa.array(lists["n_features"], pa.int64()),
                },
                schema=CONTENT_LISTS_SCHEMA,
            )
        )
    return pa.concat_tables(tables) if tables else CONTENT_LISTS_SCHEMA.empty_table()

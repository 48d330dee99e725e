"""Item-kNN: the Python reference of the portable SQL model (``macros/recommender_item_knn.sql``).

The warehouse runs the SQL (it must build on PostgreSQL too); this module computes the same lists with
numpy/scipy so tests can pin the SQL down on generated data. Per site:

- a read weighs ``w = ln(1 + dwell_s)``; each reader keeps only their ``knn_max_reads_per_reader`` most
  recent reads (``last_read_at`` desc, then ``article_id`` desc);
- ``similarity(i, j) = sum_u w_ui w_uj / (||w_i|| ||w_j||)`` over the capped reads, for ``i != j`` with at
  least ``knn_min_co_readers`` shared readers; ``score = similarity * decay(j)`` over the candidates ``j``;
- related lists: the top ``recs_per_source`` per source by score desc, then article id;
- reader lists: ``sum_j score(j, c) / n_reads(u)`` over the reader's capped reads ``j``, for ``c`` among the
  ``knn_reader_neighbours`` best neighbours of ``j``; articles in ``read`` (every read in the training
  window) excluded; top ``recs_per_source`` by score desc, then article id.

Lists are not padded here (:func:`candidates.fill_gaps` does that, as ``macros/recommender_fill.sql``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp

from article_recs.recommend.candidates import REC_COLUMNS, empty_recs


@dataclass(frozen=True)
class KnnParams:
    recs_per_source: int = 10
    knn_max_reads_per_reader: int = 50
    knn_min_co_readers: int = 1
    knn_reader_neighbours: int = 20


def capped_reads(interactions: pd.DataFrame, max_reads: int) -> pd.DataFrame:
    """Each reader's ``max_reads`` most recent reads with their weight ``ln(1 + dwell_s)``."""
    reads = interactions[["domain_userid", "article_id", "dwell_s", "last_read_at"]].copy()
    reads["domain_userid"] = reads["domain_userid"].astype(str)
    reads["article_id"] = reads["article_id"].astype(str)
    reads = reads.sort_values(
        ["domain_userid", "last_read_at", "article_id"], ascending=[True, False, False], kind="stable"
    )
    reads = reads[reads.groupby("domain_userid", sort=False).cumcount() < int(max_reads)]
    reads["weight"] = np.log1p(pd.to_numeric(reads["dwell_s"]).astype("float64").to_numpy())
    return reads[["domain_userid", "article_id", "weight"]].reset_index(drop=True)


def neighbours(reads: pd.DataFrame, candidates: pd.DataFrame, min_co_readers: int = 1) -> pd.DataFrame:
    """Every (source, candidate) pair with a positive score: ``source_article_id,
    recommended_article_id, similarity, score, neighbour_rank`` (rank per source, score desc, id asc).

    ``candidates``: ``article_id, decay`` of one site (:func:`candidates.candidate_articles`)."""
    columns = ["source_article_id", "recommended_article_id", "similarity", "score", "neighbour_rank"]
    if reads.empty:
        return pd.DataFrame({c: pd.Series(dtype="float64") for c in columns})
    rows, readers = pd.factorize(reads["domain_userid"])
    cols, articles = pd.factorize(reads["article_id"])
    weights = sp.csr_matrix((reads["weight"].to_numpy(), (rows, cols)), shape=(len(readers), len(articles)))
    ones = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=weights.shape)
    dot = (weights.T @ weights).tocoo()
    co = (ones.T @ ones).tocsr()
    norms = np.sqrt(np.asarray(weights.multiply(weights).sum(axis=0)).ravel())
    i, j, d = dot.row, dot.col, dot.data
    keep = (i != j) & (np.asarray(co[i, j]).ravel() >= int(min_co_readers))
    i, j, d = i[keep], j[keep], d[keep]
    similarity = d / (norms[i] * norms[j])
    pairs = pd.DataFrame(
        {
            "source_article_id": np.asarray(articles)[i],
            "recommended_article_id": np.asarray(articles)[j],
            "similarity": similarity,
        }
    )
    decay = candidates[["article_id", "decay"]].astype({"article_id": str}).drop_duplicates("article_id")
    pairs = pairs.merge(decay.rename(columns={"article_id": "recommended_article_id"}), how="inner")
    pairs["score"] = np.minimum(pairs["similarity"] * pairs["decay"], 1.0)
    pairs = pairs[pairs["similarity"] > 0]
    pairs = pairs.sort_values(
        ["source_article_id", "score", "recommended_article_id"], ascending=[True, False, True]
    )
    pairs["neighbour_rank"] = pairs.groupby("source_article_id", sort=False).cumcount() + 1
    return pairs[columns].reset_index(drop=True)


def item_knn_lists(
    interactions: pd.DataFrame,
    candidates: pd.DataFrame,
    params: KnnParams,
    site_id: str,
    read: pd.DataFrame | None = None,
    related_sources: list[str] | None = None,
    readers: list[str] | None = None,
) -> pd.DataFrame:
    """One site's item-kNN lists (``REC_COLUMNS``, strategy 'item_knn'), unpadded.

    ``interactions``: the site's training interactions; ``read``: ``domain_userid, article_id`` read in the
    training window (excluded from reader lists); ``related_sources`` / ``readers``: restrict the output
    (default: every article / reader trained on)."""
    n = int(params.recs_per_source)
    reads = capped_reads(interactions, params.knn_max_reads_per_reader)
    pairs = neighbours(reads, candidates, params.knn_min_co_readers)
    if pairs.empty:
        return empty_recs()
    related = pairs[pairs["neighbour_rank"] <= n]
    if related_sources is not None:
        related = related[related["source_article_id"].isin(set(map(str, related_sources)))]
    related = pd.DataFrame(
        {
            "source_entity_type": "article",
            "source_entity_id": related["source_article_id"],
            "recommended_article_id": related["recommended_article_id"],
            "rank": related["neighbour_rank"].astype("int64"),
            "score": related["score"],
        }
    )

    base = reads if readers is None else reads[reads["domain_userid"].isin(set(map(str, readers)))]
    n_reads = base.groupby("domain_userid").size().rename("n_reads")
    close = pairs[pairs["neighbour_rank"] <= int(params.knn_reader_neighbours)]
    scored = base[["domain_userid", "article_id"]].merge(
        close[["source_article_id", "recommended_article_id", "score"]],
        left_on="article_id",
        right_on="source_article_id",
    )
    if read is not None and not read.empty:
        seen = read[["domain_userid", "article_id"]].astype(str).drop_duplicates()
        seen = seen.rename(columns={"article_id": "recommended_article_id"}).assign(_seen=True)
        scored = scored.merge(seen, on=["domain_userid", "recommended_article_id"], how="left")
        scored = scored[scored["_seen"].isna()]
    per_reader = scored.groupby(["domain_userid", "recommended_article_id"], as_index=False)["score"].sum()
    per_reader["score"] = per_reader["score"] / per_reader["domain_userid"].map(n_reads).to_numpy()
    per_reader = per_reader[per_reader["score"] > 0].sort_values(
        ["domain_userid", "score", "recommended_article_id"], ascending=[True, False, True]
    )
    per_reader["rank"] = per_reader.groupby("domain_userid", sort=False).cumcount() + 1
    per_reader = per_reader[per_reader["rank"] <= n]
    reader_lists = pd.DataFrame(
        {
            "source_entity_type": "reader",
            "source_entity_id": per_reader["domain_userid"],
            "recommended_article_id": per_reader["recommended_article_id"],
            "rank": per_reader["rank"].astype("int64"),
            "score": per_reader["score"],
        }
    )
    out = pd.concat([related, reader_lists], ignore_index=True)
    out["site_id"] = site_id
    out["strategy"] = "item_knn"
    return out[REC_COLUMNS].reset_index(drop=True)

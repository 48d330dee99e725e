"""Implicit-feedback ALS (the ``implicit`` package, CPU) for related articles and per-reader lists.

Confidence. ``implicit`` 0.7 reads the value stored in the user x item matrix as the confidence ``c_ui`` of
Hu, Koren & Volinsky (its CG solver uses ``c_ui`` and ``c_ui - 1``; unobserved cells have confidence 1 and
preference 0) and multiplies it by its own ``alpha`` first. We store ``c_ui = 1 + alpha * log1p(dwell_s)``
ourselves and leave implicit's ``alpha`` at 1.0: a read with no measured dwell still counts as a positive
with the baseline confidence 1, and the log damps long dwell (alpha 8: one minute gives c = 33.9, ten
minutes c = 52.2: a long read weighs about 1.5x a one-minute read, not 10x).

Related articles. Item factors are L2-normalised, so a dot product is the cosine similarity. Every article
in the matrix is a source; the candidates are the matrix's articles that pass the candidate rules. Scores
are ``max(cosine, 0) * decay(candidate)``, already in [0, 1] (no rescaling needed); the source itself and
non-positive scores are dropped. Top-N is implicit's native blocked ``topk`` (dense products per block of
sources, a heap per row, ``num_threads`` threads) over the candidates' unit factors scaled by their decay:
no Python loop over items.

Per-reader lists. What implicit's batched ``recommend`` does (its ``topk`` of the readers' factors against
the item factors), with the item factors multiplied by the candidates' decay (so the ranking is by
``predicted preference * decay``) and non-candidates and the reader's own reads filtered out; the reads are
handed to ``topk`` as views of the CSR arrays, not as the scipy matrix whose row lookups cost more than the
scoring. ALS predicts the preference ``p_ui`` (1 for read, 0 otherwise), so the
score is that prediction times the decay, clipped to [0, 1]; non-positive predictions are dropped.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from functools import cache

import numpy as np
import pandas as pd
import scipy.sparse as sp
from threadpoolctl import ThreadpoolController

from article_recs.recommend.params import RecommenderParams


@dataclass
class AlsModel:
    """A fitted model for one site, with the index maps back to ids."""

    site_id: str
    model: object  # implicit.cpu.als.AlternatingLeastSquares
    user_items: sp.csr_matrix  # readers x articles, confidence values
    reader_ids: np.ndarray  # row -> domain_userid
    article_ids: np.ndarray  # column -> article_id
    params: RecommenderParams
    stats: dict = field(default_factory=dict)


@cache
def _threadpools() -> ThreadpoolController:
    """The process's thread pools, found once: ``threadpool_limits`` looks for them on every call (5 ms each,
    1.3 s over the 1M tier's cuts). implicit is imported first: the BLAS its solver calls (scipy's) must be
    loaded for the controller to see it."""
    import implicit.cpu.als  # noqa: F401

    return ThreadpoolController()


def one_blas_thread():  # noqa: ANN201 - threadpoolctl's context manager
    """BLAS held to one thread (implicit runs its own ``num_threads``): a context manager."""
    return _threadpools().limit(limits=1, user_api="blas")


def confidence(dwell_s: pd.Series | np.ndarray, alpha: float) -> np.ndarray:
    """``1 + alpha * log1p(max(dwell_s, 0))`` as float32 (missing dwell counts as 0)."""
    dwell = np.nan_to_num(np.asarray(dwell_s, dtype="float64"), nan=0.0)
    return (1.0 + float(alpha) * np.log1p(np.clip(dwell, 0.0, None))).astype(np.float32)


def build_user_items(
    interactions: pd.DataFrame, alpha: float
) -> tuple[sp.csr_matrix, np.ndarray, np.ndarray]:
    """The readers x articles CSR confidence matrix of one site, with sorted reader and article ids
    (:func:`user_items_matrix` of the ``domain_userid, article_id, dwell_s`` rows)."""
    inter = interactions[interactions["domain_userid"].notna() & interactions["article_id"].notna()]
    rows, reader_ids = pd.factorize(inter["domain_userid"].astype(str), sort=True)
    cols, article_ids = pd.factorize(inter["article_id"].astype(str), sort=True)
    dwell = pd.to_numeric(inter["dwell_s"]).to_numpy(dtype="float64")
    matrix = user_items_matrix(rows, cols, dwell, (len(reader_ids), len(article_ids)), alpha)
    return matrix, np.asarray(reader_ids, dtype=object), np.asarray(article_ids, dtype=object)


def user_items_matrix(
    rows: np.ndarray, cols: np.ndarray, dwell: np.ndarray, shape: tuple[int, int], alpha: float
) -> sp.csr_matrix:
    """The CSR confidence matrix of cells ``(rows, cols)`` with their ``dwell`` (NaN: no dwell): repeated
    cells are summed (dwell) before the confidence is taken; a read with no dwell is still a structural entry
    (confidence 1)."""
    n_rows, n_cols = shape
    dwell = np.nan_to_num(np.asarray(dwell, dtype="float64"), nan=0.0)
    pair = np.asarray(rows, dtype=np.int64) * max(n_cols, 1) + np.asarray(cols, dtype=np.int64)
    pairs, inverse = np.unique(pair, return_inverse=True)
    summed = np.bincount(inverse, weights=dwell, minlength=len(pairs))
    matrix = sp.csr_matrix(
        (confidence(summed, alpha), (pairs // max(n_cols, 1), pairs % max(n_cols, 1))),
        shape=(n_rows, n_cols),
        dtype=np.float32,
    )
    matrix.sort_indices()
    return matrix


def new_als(params: RecommenderParams):
    """implicit's CPU ALS configured from ``params``: what :func:`fit_als` fits, and what the benchmarks fit
    bare (one place, so both sides of a comparison are the same model)."""
    from implicit.cpu.als import AlternatingLeastSquares

    return AlternatingLeastSquares(
        factors=params.als_factors,
        regularization=params.als_regularization,
        alpha=1.0,  # the confidence is already in the matrix (module doc)
        iterations=params.als_iterations,
        num_threads=params.als_threads,
        random_state=params.als_seed,
    )


def fit_als(interactions: pd.DataFrame, params: RecommenderParams, site_id: str = "") -> AlsModel:
    """Fit ALS on one site's interactions (``domain_userid, article_id, dwell_s``); deterministic per seed."""
    started = time.perf_counter()
    user_items, reader_ids, article_ids = build_user_items(interactions, params.als_alpha)
    return fit_user_items(user_items, reader_ids, article_ids, params, site_id, time.perf_counter() - started)


def fit_user_items(
    user_items: sp.csr_matrix,
    reader_ids: np.ndarray,
    article_ids: np.ndarray,
    params: RecommenderParams,
    site_id: str = "",
    matrix_seconds: float = 0.0,
) -> AlsModel:
    """Fit ALS on a confidence matrix (:func:`user_items_matrix`) whose rows are ``reader_ids`` and columns
    ``article_ids``; ``matrix_seconds``: what building the matrix took (counted in ``train_seconds``)."""
    started = time.perf_counter()
    with one_blas_thread():
        model = new_als(params)
        if user_items.nnz:
            model.fit(user_items, show_progress=False)
    fit_seconds = time.perf_counter() - started
    stats = {
        "train_seconds": matrix_seconds + fit_seconds,
        "matrix_seconds": matrix_seconds,
        "fit_seconds": fit_seconds,
        "n_interactions": int(user_items.nnz),
        "n_readers": int(user_items.shape[0]),
        "n_articles": int(user_items.shape[1]),
    }
    return AlsModel(site_id, model, user_items, reader_ids, article_ids, params, stats)


def _positions(sorted_ids: np.ndarray, wanted: np.ndarray | list | None) -> np.ndarray:
    """Indices in ``sorted_ids`` of the ``wanted`` ids that are there (all indices when None), sorted."""
    if wanted is None:
        return np.arange(len(sorted_ids))
    if len(sorted_ids) == 0:
        return np.arange(0)
    keys = pd.Index(sorted_ids)
    pos = keys.get_indexer(pd.unique(pd.Series(wanted, dtype=object).astype(str)))
    return np.sort(pos[pos >= 0])


def candidate_weights(fitted: AlsModel, candidates: pd.DataFrame) -> np.ndarray:
    """Per matrix column: the candidate's decay, or 0 when the article is not a candidate (``candidates``:
    ``article_id, decay`` and optionally ``site_id``, from :func:`candidates.candidate_articles`)."""
    cands = (
        candidates[candidates["site_id"].astype(str) == fitted.site_id]
        if "site_id" in candidates
        else candidates
    )
    cols = pd.Index(fitted.article_ids).get_indexer(cands["article_id"].astype(str))
    return column_weights(cols, cands["decay"].to_numpy(dtype="float64"), len(fitted.article_ids))


def column_weights(cols: np.ndarray, decay: np.ndarray, n_cols: int) -> np.ndarray:
    """Per matrix column, the ``decay`` of the first candidate row on it (``cols``: each row's column, -1
    when its article is not in the matrix); 0 for a column without a candidate or with a NaN decay."""
    weights = np.zeros(n_cols, dtype="float64")
    first = np.unique(cols, return_index=True)[1]
    first = first[cols[first] >= 0]
    weights[cols[first]] = np.nan_to_num(decay[first], nan=0.0)
    return weights


#: a list's rows as aligned arrays: (source position, recommended column, rank 1..k, score)
ListIndices = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]


def _stack(sources: list, items: list, ranks: list, scores: list) -> ListIndices:
    """The per-block arrays concatenated and typed (int64 positions and ranks, float64 scores); empty arrays
    when there are no blocks."""

    def cat(parts: list, dtype: type) -> np.ndarray:
        return np.concatenate(parts).astype(dtype) if parts else np.zeros(0, dtype)

    return cat(sources, np.int64), cat(items, np.int64), cat(ranks, np.int64), cat(scores, np.float64)


def related_article_indices(
    fitted: AlsModel,
    weights: np.ndarray,
    n: int,
    source_rows: np.ndarray,
    block_size: int = 8192,
) -> ListIndices:
    """Top-``n`` related candidates of the matrix articles ``source_rows`` (column indices), as arrays
    ``(source column, recommended column, rank 1..k, score)``; ``weights`` per column: the candidate's decay,
    0 for a non-candidate (:func:`candidate_weights`). Score ``max(cos, 0) * decay``; never the source."""
    cand_cols = np.flatnonzero(weights > 0)
    if fitted.user_items.nnz == 0 or n <= 0 or cand_cols.size == 0 or len(source_rows) == 0:
        return _stack([], [], [], [])
    factors = np.asarray(fitted.model.item_factors, dtype=np.float32)
    norms = np.linalg.norm(factors, axis=1)
    norms[norms == 0] = 1.0
    unit = factors / norms[:, None]
    # candidates' unit factors scaled by their decay: a dot product with a unit source is cos * decay, and
    # since decay > 0 the top of cos * decay is the top of max(cos, 0) * decay once non-positives are dropped
    cand_items = np.ascontiguousarray(unit[cand_cols] * weights[cand_cols, None].astype(np.float32))
    k = min(n, cand_cols.size)

    from implicit.cpu.topk import topk

    kk = min(k + 1, cand_cols.size)  # one spare: the source itself may come first
    out_src, out_item, out_score, out_rank = [], [], [], []
    with one_blas_thread():
        for start in range(0, len(source_rows), block_size):
            src = np.asarray(source_rows[start : start + block_size])
            ids, scores = topk(
                cand_items, np.ascontiguousarray(unit[src]), kk, num_threads=fitted.params.als_threads
            )
            items = cand_cols[np.clip(ids, 0, None)]
            valid = (ids >= 0) & (items != src[:, None]) & (scores > 0) & np.isfinite(scores)
            rank = np.cumsum(valid, axis=1)
            valid &= rank <= k
            out_src.append(np.broadcast_to(src[:, None], ids.shape)[valid])
            out_item.append(items[valid])
            out_score.append(np.clip(scores[valid].astype(np.float64), 0.0, 1.0))
            out_rank.append(rank[valid])
    return _stack(out_src, out_item, out_rank, out_score)


def related_articles(
    fitted: AlsModel,
    candidates: pd.DataFrame,
    n: int,
    sources: np.ndarray | list | None = None,
    block_size: int = 8192,
) -> pd.DataFrame:
    """Top-``n`` related articles for every article in the matrix (or the ``sources`` among them).

    ``candidates``: ``article_id, decay`` (and ``site_id``), from :func:`candidates.candidate_articles`.
    Returns ``source_article_id, recommended_article_id, rank, score`` with score ``max(cos, 0) * decay``.
    """
    src, item, rank, score = related_article_indices(
        fitted,
        candidate_weights(fitted, candidates),
        n,
        _positions(fitted.article_ids, sources),
        block_size,
    )
    return pd.DataFrame(
        {
            "source_article_id": fitted.article_ids[src],
            "recommended_article_id": fitted.article_ids[item],
            "rank": rank,
            "score": score,
        }
    )


def seen_matrix(fitted: AlsModel, read: pd.DataFrame | None) -> sp.csr_matrix:
    """The readers x articles matrix of what each reader has read: the training matrix's cells plus the
    ``read`` rows (``domain_userid, article_id``: e.g. every read in the training window, short or not) of
    readers and articles in the matrix. implicit filters these out of the reader lists before the top N."""
    if read is None or read.empty:
        return fitted.user_items
    rows = pd.Index(fitted.reader_ids).get_indexer(read["domain_userid"].astype(str))
    cols = pd.Index(fitted.article_ids).get_indexer(read["article_id"].astype(str))
    return seen_cells(fitted.user_items, rows, cols)


def seen_cells(user_items: sp.csr_matrix, rows: np.ndarray, cols: np.ndarray) -> sp.csr_matrix:
    """``user_items``' cells plus the cells ``(rows, cols)`` (those with a negative index, not in the matrix,
    are left out), as a CSR matrix with sorted indices (:func:`seen_matrix`)."""
    ok = (rows >= 0) & (cols >= 0)
    if not ok.any():
        return user_items
    extra = sp.csr_matrix(
        (np.ones(int(ok.sum()), dtype=np.float32), (rows[ok], cols[ok])), shape=user_items.shape
    )
    seen = (user_items + extra).tocsr()
    seen.sort_indices()
    return seen


class _RowColumns:
    """A CSR matrix's rows as implicit's ``topk`` reads its ``filter_query_items`` (``m[i].indices``), as
    views of the matrix's own arrays: ``recommend`` passes a scipy matrix, whose every row lookup builds a
    one-row matrix (68k of them at 1M, most of the wrapper's time over bare implicit). The top N is the
    same: the same columns are filtered out of the same scores."""

    @dataclass(frozen=True)
    class Row:
        indices: np.ndarray

    def __init__(self, matrix: sp.csr_matrix) -> None:
        self._indptr, self._indices = matrix.indptr, matrix.indices

    def __getitem__(self, row: int) -> Row:
        return self.Row(self._indices[self._indptr[row] : self._indptr[row + 1]])


def reader_recommendation_indices(
    fitted: AlsModel,
    weights: np.ndarray,
    n: int,
    rows: np.ndarray,
    seen: sp.csr_matrix | None = None,
    batch_size: int = 20_000,
) -> ListIndices:
    """Top-``n`` unread candidates of the matrix readers ``rows`` via implicit's batched ``recommend``, as
    arrays ``(reader row, recommended column, rank 1..k, score)``; ``weights`` as in
    :func:`related_article_indices`; ``seen`` what to filter out per reader (default the training matrix).
    Score ``clip(x_u . y_i * decay, 0, 1)``, positive only."""
    if fitted.user_items.nnz == 0 or n <= 0 or len(rows) == 0 or not (weights > 0).any():
        return _stack([], [], [], [])
    # implicit's ``recommend`` (the reader's factors against the item factors, in its ``topk``), with the
    # item factors multiplied by the decay and the filter read straight from the CSR arrays (_RowColumns)
    from implicit.cpu.topk import topk

    item_factors = (fitted.model.item_factors * weights[:, None]).astype(fitted.model.item_factors.dtype)
    filter_items = np.flatnonzero(weights <= 0).astype(np.int32)
    k = int(min(n, (weights > 0).sum()))
    seen = fitted.user_items if seen is None else seen

    out_row, out_item, out_rank, out_score = [], [], [], []
    with one_blas_thread():
        for start in range(0, len(rows), batch_size):
            batch = np.asarray(rows[start : start + batch_size])
            ids, scores = topk(
                item_factors,
                fitted.model.user_factors[batch],
                k,
                filter_query_items=_RowColumns(seen[batch]),
                filter_items=filter_items if filter_items.size else None,
                num_threads=fitted.model.num_threads,
            )
            ids = np.asarray(ids).reshape(len(batch), -1)
            scores = np.asarray(scores, dtype="float64").reshape(len(batch), -1)
            keep = (ids >= 0) & (scores > 0) & np.isfinite(scores)
            ranks = np.cumsum(keep, axis=1)
            out_row.append(np.broadcast_to(batch[:, None], ids.shape)[keep])
            out_item.append(ids[keep])
            out_rank.append(ranks[keep])
            out_score.append(np.clip(scores[keep], 0.0, 1.0))
    return _stack(out_row, out_item, out_rank, out_score)


def reader_recommendations(
    fitted: AlsModel,
    candidates: pd.DataFrame,
    n: int,
    readers: np.ndarray | list | None = None,
    batch_size: int = 20_000,
    seen: sp.csr_matrix | None = None,
) -> pd.DataFrame:
    """Top-``n`` unread candidates per reader via implicit's batched ``recommend``.

    ``readers``: domain_userids to score (default: every reader in the matrix; unknown ones are skipped).
    ``seen``: what to filter out per reader (:func:`seen_matrix`; default the training matrix).
    Returns ``domain_userid, recommended_article_id, rank, score``; score ``clip(x_u . y_i * decay, 0, 1)``.
    """
    row, item, rank, score = reader_recommendation_indices(
        fitted,
        candidate_weights(fitted, candidates),
        n,
        _positions(fitted.reader_ids, readers),
        seen=seen,
        batch_size=batch_size,
    )
    return pd.DataFrame(
        {
            "domain_userid": fitted.reader_ids[row],
            "recommended_article_id": fitted.article_ids[item],
            "rank": rank,
            "score": score,
        }
    )

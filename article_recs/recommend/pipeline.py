"""What the recommender's dbt Python models compute, per (site, cut): ALS's own lists, and the oracle's.

Every strategy is keyed by ``(site_id, cut_at)`` (``recommender_cuts``): it trains on what happened strictly
before the cut, with the site's knobs as they stand on the cut's row. The candidate rules (which articles may
be recommended at a cut, with their publish-date decay) come from the SQL model ``recommender_candidates``,
the reads a reader list must skip from ``recommender_cut_reads``; padding short lists is the SQL model
``recommendation_lists``' job. Python does only what SQL cannot: the ALS fit, and scoring with the
generator's hidden truth.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from article_recs.recommend.als import (
    column_weights,
    fit_user_items,
    reader_recommendation_indices,
    related_article_indices,
    seen_cells,
    user_items_matrix,
)
from article_recs.recommend.oracle import ORACLE_COLUMNS, empty_oracle, oracle_recommendations
from article_recs.recommend.params import ByCut, RecommenderParams, naive_utc, parse_as_of, to_naive_utc

#: what ``als_lists`` stores: the model's own lists per (site, cut), with the cut's training stats
ALS_LISTS_SCHEMA = pa.schema(
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
        ("n_interactions", pa.int64()),
        ("n_readers", pa.int64()),
        ("n_articles", pa.int64()),
    ]
)
#: what ``eval_oracle_lists`` stores
ORACLE_LIST_COLUMNS = ["cut_at"] + ORACLE_COLUMNS


@dataclass(frozen=True)
class CutContext:
    """One (site, cut): the cut (the end of every window) and the site's parameters at it."""

    site_id: str
    cut_at: pd.Timestamp
    params: RecommenderParams


def cut_contexts(cuts: pd.DataFrame | None, params: RecommenderParams) -> list[CutContext]:
    """One context per row of ``cuts`` (``recommender_cuts``: ``site_id, cut_at`` and the knob columns,
    which override ``params``)."""
    out = []
    if cuts is None or cuts.empty:
        return out
    for row in cuts.to_dict("records"):
        cut_at = parse_as_of(row.get("cut_at"))
        if cut_at is None:
            raise ValueError(f"site {row['site_id']}: a cut without cut_at")
        out.append(CutContext(str(row["site_id"]), to_naive_utc(cut_at), params.with_overrides(row)))
    return out


def _repeat(value: Any, type_: pa.DataType, count: int) -> pa.Array:
    """``value`` ``count`` times as an Arrow array (a constant column, no Python object per row)."""
    return pa.repeat(pa.scalar(value, type_), count)


def _arrow(frame: pa.Table | pd.DataFrame | None) -> pa.Table | None:
    """A ref as an Arrow table (the dbt model reads its refs as Arrow; a pandas frame is converted once)."""
    if frame is None or isinstance(frame, pa.Table):
        return frame
    return pa.Table.from_pandas(frame.assign(cut_at=naive_utc(frame["cut_at"])), preserve_index=False)


def _cut_rows(table: pa.Table | None) -> dict[tuple[str, int], np.ndarray]:
    """The row numbers of ``table`` (``site_id, cut_at, ...``) per ``(site_id, cut_at as naive-UTC ns)``,
    each in the table's order: grouped once, by sorting two integer columns."""
    if table is None or table.num_rows == 0:
        return {}
    sites = pc.dictionary_encode(pc.cast(table["site_id"], pa.string())).combine_chunks()
    site = pc.fill_null(sites.indices, -1).to_numpy().astype(np.int64)
    cut = pc.cast(table["cut_at"], pa.timestamp("ns")).to_numpy().astype("datetime64[ns]").astype(np.int64)
    order = np.lexsort((cut, site))  # stable: a cut's rows keep the table's order
    edges = np.flatnonzero(np.diff(site[order]) | np.diff(cut[order])) + 1
    names = sites.dictionary.to_pylist()
    return {
        (names[site[rows[0]]], int(cut[rows[0]])): rows
        for rows in np.split(order, edges)
        if site[rows[0]] >= 0
    }


def _codes(values: pa.ChunkedArray, dictionary: pa.Array) -> np.ndarray:
    """Each value's position in ``dictionary`` (-1: null or not there)."""
    found = pc.index_in(pc.cast(values, pa.string()), value_set=dictionary)
    return pc.fill_null(found, -1).to_numpy().astype(np.int64)


def _local(codes: np.ndarray, kept: np.ndarray) -> np.ndarray:
    """Each code's position in the sorted codes ``kept`` (-1 where it is not there)."""
    if len(kept) == 0:
        return np.full(len(codes), -1, dtype=np.int64)
    pos = np.searchsorted(kept, codes).clip(max=len(kept) - 1)
    return np.where(kept[pos] == codes, pos, -1)


@dataclass
class _AlsInputs:
    """The three refs of ``als_lists`` as numbers: readers and articles as their rank among the training
    ids (sorted once, so a cut's sorted ids are its sorted codes), and each ref's rows per cut."""

    reader_ids: np.ndarray  # code -> domain_userid (sorted)
    article_ids: np.ndarray  # code -> article_id (sorted)
    training: dict  # reader, article, dwell_s per row; rows per cut
    candidates: dict  # article, decay per row; rows per cut
    skipped: dict  # reader, article per row; rows per cut

    @classmethod
    def of(cls, interactions: pa.Table, candidates: pa.Table | None, cut_reads: pa.Table | None):
        def sorted_ids(column: str) -> pa.Array:
            values = pc.drop_null(pc.unique(pc.cast(interactions[column], pa.string())))
            return values.take(pc.sort_indices(values))

        readers, articles = sorted_ids("domain_userid"), sorted_ids("article_id")
        training = {
            "reader": _codes(interactions["domain_userid"], readers),
            "article": _codes(interactions["article_id"], articles),
            "dwell_s": pc.cast(interactions["dwell_s"], pa.float64()).to_numpy(zero_copy_only=False),
            "rows": _cut_rows(interactions),
        }
        cands = {"rows": _cut_rows(candidates)}
        if candidates is not None:
            decay = pc.cast(candidates["decay"], pa.float64()).to_numpy(zero_copy_only=False)
            cands.update(article=_codes(candidates["article_id"], articles), decay=decay)
        skipped = {"rows": _cut_rows(cut_reads)}
        if cut_reads is not None:
            skipped.update(
                reader=_codes(cut_reads["domain_userid"], readers),
                article=_codes(cut_reads["article_id"], articles),
            )
        as_objects = lambda ids: np.asarray(ids.to_pylist(), dtype=object)  # noqa: E731
        return cls(as_objects(readers), as_objects(articles), training, cands, skipped)

    @staticmethod
    def rows(part: dict, ctx: CutContext) -> np.ndarray:
        return part["rows"].get((ctx.site_id, ctx.cut_at.value), np.zeros(0, np.int64))


def _als_cut_table(ctx: CutContext, inputs: _AlsInputs) -> pa.Table | None:
    n = ctx.params.recs_per_source
    started = time.perf_counter()
    rows = inputs.rows(inputs.training, ctx)
    reader, article = inputs.training["reader"][rows], inputs.training["article"][rows]
    known = (reader >= 0) & (article >= 0)
    if not known.any():  # nothing to train on: no lists
        return None
    readers, user_rows = np.unique(reader[known], return_inverse=True)
    articles, user_cols = np.unique(article[known], return_inverse=True)
    user_items = user_items_matrix(
        user_rows,
        user_cols,
        inputs.training["dwell_s"][rows][known],
        (len(readers), len(articles)),
        ctx.params.als_alpha,
    )
    fitted = fit_user_items(
        user_items,
        inputs.reader_ids[readers],
        inputs.article_ids[articles],
        ctx.params,
        ctx.site_id,
        time.perf_counter() - started,
    )
    weights = np.zeros(len(articles), dtype="float64")  # no candidates: nothing to recommend
    if "article" in inputs.candidates:
        cand = inputs.rows(inputs.candidates, ctx)
        cols = _local(inputs.candidates["article"][cand], articles)
        weights = column_weights(cols, inputs.candidates["decay"][cand], len(articles))
    n_articles, n_readers = len(articles), len(readers)
    rel_src, rel_item, rel_rank, rel_score = related_article_indices(
        fitted, weights, n, np.arange(n_articles)
    )
    seen = fitted.user_items
    if "reader" in inputs.skipped:
        read = inputs.rows(inputs.skipped, ctx)
        seen = seen_cells(
            seen,
            _local(inputs.skipped["reader"][read], readers),
            _local(inputs.skipped["article"][read], articles),
        )
    rdr_row, rdr_item, rdr_rank, rdr_score = reader_recommendation_indices(
        fitted, weights, n, np.arange(n_readers), seen=seen
    )
    n_rel, n_rdr = len(rel_src), len(rdr_row)
    rows = n_rel + n_rdr
    if rows == 0:
        return None
    article_ids = pa.array(fitted.article_ids.astype(str), type=pa.string())
    reader_ids = pa.array(fitted.reader_ids.astype(str), type=pa.string())
    trained_at = datetime.now(UTC).replace(tzinfo=None)
    return pa.table(
        {
            "site_id": _repeat(ctx.site_id, pa.string(), rows),
            "cut_at": _repeat(ctx.cut_at.to_pydatetime(), pa.timestamp("us"), rows),
            "strategy": _repeat("als", pa.string(), rows),
            "source_entity_type": pa.concat_arrays(
                [_repeat("article", pa.string(), n_rel), _repeat("reader", pa.string(), n_rdr)]
            ),
            "source_entity_id": pa.concat_arrays(
                [pc.take(article_ids, rel_src), pc.take(reader_ids, rdr_row)]
            ),
            "recommended_article_id": pc.take(article_ids, np.r_[rel_item, rdr_item]),
            "rank": pa.array(np.r_[rel_rank, rdr_rank], type=pa.int64()),
            "score": pa.array(np.r_[rel_score, rdr_score], type=pa.float64()),
            "trained_at": _repeat(trained_at, pa.timestamp("us"), rows),
            "train_seconds": _repeat(float(fitted.stats["train_seconds"]), pa.float64(), rows),
            "n_interactions": _repeat(fitted.stats["n_interactions"], pa.int64(), rows),
            "n_readers": _repeat(fitted.stats["n_readers"], pa.int64(), rows),
            "n_articles": _repeat(fitted.stats["n_articles"], pa.int64(), rows),
        },
        schema=ALS_LISTS_SCHEMA,
    )


def als_lists_for_cuts(
    contexts: list[CutContext],
    interactions: pa.Table | pd.DataFrame | None,
    candidates: pa.Table | pd.DataFrame | None,
    cut_reads: pa.Table | pd.DataFrame | None = None,
) -> pa.Table:
    """ALS trained per (site, cut); its own lists only, as an Arrow table (``ALS_LISTS_SCHEMA``): related
    articles for every article of the cut's matrix, a list for every reader of it.

    Arrow tables (as the dbt model reads its refs) or pandas frames. ``interactions``:
    ``recommender_training_interactions`` (``site_id, cut_at, domain_userid, article_id, dwell_s``).
    ``candidates``: ``recommender_candidates`` (``site_id, cut_at, article_id, decay``): a non-candidate
    weighs 0 and is never recommended, a candidate's score is multiplied by its decay. ``cut_reads``: reads
    of ``recommender_cut_reads`` (``site_id, cut_at, domain_userid, article_id``) that reader lists never
    hold besides the reader's training cells (the model passes only the reads training dropped; any of the
    cut's reads may be passed). The source and the reader's reads are filtered out inside implicit's top-k;
    nothing is padded (``recommendation_lists`` pads in SQL, for every strategy alike).
    """
    interactions = _arrow(interactions)
    if not contexts or interactions is None or interactions.num_rows == 0:
        return ALS_LISTS_SCHEMA.empty_table()
    inputs = _AlsInputs.of(interactions, _arrow(candidates), _arrow(cut_reads))
    tables = [table for ctx in contexts if (table := _als_cut_table(ctx, inputs)) is not None]
    return pa.concat_tables(tables) if tables else ALS_LISTS_SCHEMA.empty_table()


def _cases_by_cut(contexts: list[CutContext], *frames: pd.DataFrame | None) -> Iterator[tuple]:
    by_cut = [ByCut(frame) for frame in frames]
    for ctx in contexts:
        yield ctx, *(f.of(ctx.site_id, ctx.cut_at) for f in by_cut)


def oracle_lists_for_cuts(
    truth: Any,
    contexts: list[CutContext],
    related_cases: pd.DataFrame,
    reader_cases: pd.DataFrame,
    cut_reads: pd.DataFrame,
    candidates: pd.DataFrame,
) -> pd.DataFrame:
    """The oracle's lists (``ORACLE_LIST_COLUMNS``) for the held-out cases of each cut, N = the cut's
    ``recs_per_source``: related lists per (reader, source) of ``related_cases`` (``eval_related_cases``),
    reader lists for the readers of ``reader_cases`` (``eval_reader_cases``), told what the reader read in the
    cut's window (``cut_reads``), restricted to the cut's ``candidates``."""
    parts = []
    for ctx, related, readers, reads, allowed in _cases_by_cut(
        contexts, related_cases, reader_cases, cut_reads, candidates
    ):
        if related.empty and readers.empty:
            continue
        lists = oracle_recommendations(
            truth,
            related.rename(
                columns={"target_article_id": "next_article_id", "target_read_at": "next_read_at"}
            ),
            readers,
            ctx.cut_at,
            ctx.params.recs_per_source,
            read=reads,
            candidates=allowed,
        )
        if not lists.empty:
            parts.append(lists.assign(cut_at=ctx.cut_at))
    if not parts:
        return empty_oracle().assign(cut_at=pd.Series(dtype="datetime64[us]"))[ORACLE_LIST_COLUMNS]
    return pd.concat(parts, ignore_index=True)[ORACLE_LIST_COLUMNS]

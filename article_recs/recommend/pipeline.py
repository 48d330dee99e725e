"""What the recommender's dbt Python models compute, per (site, cut): ALS's own lists, and the oracle's.

Every strategy is keyed by ``(site_id, cut_at)`` (``recommender_cuts``): it trains on what happened strictly
before the cut, with the site's knobs as they stand on the cut's row. The candidate rules (which articles may
be recommended at a cut, with their publish-date decay) come from the SQL model ``recommender_candidates``,
the reads a reader list must skip from ``recommender_cut_reads``; padding short lists is the SQL model
``recommendation_lists``' job. Python does only what SQL cannot: the ALS fit, and scoring with the
generator's hidden truth.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from article_recs.recommend.als import (
    candidate_weights,
    fit_als,
    reader_recommendation_indices,
    related_article_indices,
    seen_matrix,
)
from article_recs.recommend.oracle import ORACLE_COLUMNS, empty_oracle, oracle_recommendations
from article_recs.recommend.params import ByCut, RecommenderParams, parse_as_of, to_naive_utc

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


def _als_cut_table(
    ctx: CutContext, interactions: pd.DataFrame, candidates: pd.DataFrame, cut_reads: pd.DataFrame | None
) -> pa.Table | None:
    n = ctx.params.recs_per_source
    fitted = fit_als(interactions, ctx.params, ctx.site_id)
    weights = candidate_weights(fitted, candidates)
    n_articles, n_readers = len(fitted.article_ids), len(fitted.reader_ids)
    rel_src, rel_item, rel_rank, rel_score = related_article_indices(
        fitted, weights, n, np.arange(n_articles)
    )
    seen = seen_matrix(fitted, cut_reads)
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
    interactions: pd.DataFrame,
    candidates: pd.DataFrame,
    cut_reads: pd.DataFrame | None = None,
) -> pa.Table:
    """ALS trained per (site, cut); its own lists only, as an Arrow table (``ALS_LISTS_SCHEMA``): related
    articles for every article of the cut's matrix, a list for every reader of it.

    ``interactions``: ``recommender_training_interactions`` (``site_id, cut_at, domain_userid, article_id,
    dwell_s``). ``candidates``: ``recommender_candidates`` (``site_id, cut_at, article_id, decay``): a
    non-candidate weighs 0 and is never recommended, a candidate's score is multiplied by its decay.
    ``cut_reads``: ``recommender_cut_reads`` (``site_id, cut_at, domain_userid, article_id``): reader lists
    never hold them. The source and the reader's reads are filtered out inside implicit's top-k; nothing is
    padded (``recommendation_lists`` pads in SQL, for every strategy alike).
    """
    frames = [ByCut(interactions), ByCut(candidates), ByCut(cut_reads)]
    tables = [
        table
        for ctx in contexts
        if (table := _als_cut_table(ctx, *(f.of(ctx.site_id, ctx.cut_at) for f in frames))) is not None
    ]
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

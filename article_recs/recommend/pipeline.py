"""Per-site orchestration the dbt Python models call: ALS lists with gap filling, evaluation lists, oracle.

Each site gets its own ``as_of`` and parameters (a ``recommender_sites`` / ``eval_sites`` row over the
project vars); everything else is the pure functions of the sibling modules.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from article_recs.recommend.als import (
    AlsModel,
    candidate_weights,
    fit_als,
    reader_recommendation_indices,
    reader_recommendations,
    related_article_indices,
    related_articles,
    seen_matrix,
)
from article_recs.recommend.candidates import (
    REC_COLUMNS,
    apply_candidate_rules,
    candidate_articles,
    empty_recs,
    fill_gaps,
)
from article_recs.recommend.decay import naive_utc
from article_recs.recommend.oracle import empty_oracle, oracle_recommendations
from article_recs.recommend.params import RecommenderParams, parse_as_of, to_naive_utc
from article_recs.recommend.popularity import popularity_scores, reads_from_interactions

#: what ``als_lists`` stores: the model's own lists with the site's training stats (constant per site)
ALS_LISTS_SCHEMA = pa.schema(
    [
        ("site_id", pa.string()),
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
EVAL_REC_COLUMNS = REC_COLUMNS + ["task"]


@dataclass(frozen=True)
class SiteContext:
    """One site's ``as_of`` (the end of every window; the cut for evaluation) and parameters."""

    site_id: str
    as_of: pd.Timestamp
    params: RecommenderParams


def site_contexts(
    sites: pd.DataFrame | None,
    params: RecommenderParams,
    as_of: Any = None,
    site_ids: list[str] | None = None,
) -> list[SiteContext]:
    """One context per row of ``sites`` (``recommender_sites`` / ``eval_sites``: ``site_id, as_of`` and knob
    columns overriding ``params``), or per ``site_ids`` with the given ``as_of`` when there is no table.
    An explicit ``as_of`` wins over the table's."""
    forced = parse_as_of(as_of)
    out = []
    if sites is not None and not sites.empty:
        for row in sites.to_dict("records"):
            site_as_of = forced if forced is not None else parse_as_of(row.get("as_of"))
            if site_as_of is None:
                raise ValueError(f"site {row['site_id']}: no as_of")
            out.append(SiteContext(str(row["site_id"]), site_as_of, params.with_overrides(row)))
        return out
    if forced is None:
        raise ValueError("as_of is required without a sites table")
    return [SiteContext(str(s), forced, params) for s in sorted(set(site_ids or []))]


def _site(frame: pd.DataFrame | None, site_id: str) -> pd.DataFrame | None:
    if frame is None:
        return None
    return frame[frame["site_id"].astype(str) == site_id]


def _fit_site(
    ctx: SiteContext, interactions: pd.DataFrame, articles: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame, AlsModel]:
    """One site's training reads, its candidates at ``as_of`` (with their decay) and its fitted ALS."""
    p = ctx.params
    site_inter = _site(interactions, ctx.site_id)
    cands = candidate_articles(
        _site(articles, ctx.site_id), ctx.as_of, p.max_article_age_days, p.decay_half_life_days
    )
    return site_inter, cands, fit_als(site_inter, p, ctx.site_id)


def als_for_sites(
    interactions: pd.DataFrame,
    articles: pd.DataFrame,
    contexts: list[SiteContext],
    reads: pd.DataFrame | None = None,
    related_sources: pd.DataFrame | None = None,
    readers: pd.DataFrame | None = None,
    fill: bool = True,
    all_matrix_sources: bool = True,
) -> pd.DataFrame:
    """Train ALS per site and return related + per-reader lists (``REC_COLUMNS``), padded with popularity:
    what the evaluation model scores (serving uses :func:`als_lists_for_sites` and pads in SQL).

    ``interactions``: the training reads (``recommender_training_interactions`` columns).
    ``reads``: per-read rows (``popularity.READ_COLUMNS``) for the popularity fill (default: the
    interactions, see :func:`popularity.reads_from_interactions`) and for what reader lists exclude
    (:func:`read_history`: every read in the training window, as the SQL strategies do).
    ``related_sources``: ``site_id, article_id`` that must get a related list (e.g. every article read in
    the window); with ``all_matrix_sources`` every article of the matrix gets one as well.
    ``readers``: ``site_id, domain_userid`` to produce reader lists for (default: every reader trained on).
    """
    parts = []
    for ctx in contexts:
        p, n = ctx.params, ctx.params.recs_per_source
        site_inter, cands, fitted = _fit_site(ctx, interactions, articles)

        wanted_sources = None
        if related_sources is not None:
            wanted_sources = _site(related_sources, ctx.site_id)["article_id"].astype(str).unique()
        compute_sources = None if all_matrix_sources else wanted_sources
        related = related_articles(fitted, cands, n, sources=compute_sources)
        wanted_readers = None
        if readers is not None:
            wanted_readers = _site(readers, ctx.site_id)["domain_userid"].astype(str).unique()
        read = read_history(site_inter, _site(reads, ctx.site_id), ctx)
        per_reader = reader_recommendations(
            fitted, cands, n, readers=wanted_readers, seen=seen_matrix(fitted, read)
        )

        recs = pd.concat(
            [
                related.rename(columns={"source_article_id": "source_entity_id"}).assign(
                    source_entity_type="article"
                ),
                per_reader.rename(columns={"domain_userid": "source_entity_id"}).assign(
                    source_entity_type="reader"
                ),
            ],
            ignore_index=True,
        ).assign(site_id=ctx.site_id, strategy="als")
        recs = recs.reindex(columns=REC_COLUMNS)
        recs = apply_candidate_rules(recs, cands, read=read, n=n)

        if fill:
            site_reads = (
                _site(reads, ctx.site_id) if reads is not None else reads_from_interactions(site_inter)
            )
            popular = popularity_scores(
                site_reads,
                ctx.as_of,
                p.popularity_window_days,
                p.popularity_half_life_days,
                p.popularity_top_n,
                cands,
            )
            src_articles = set(fitted.article_ids) if all_matrix_sources else set()
            if wanted_sources is not None:
                src_articles |= set(wanted_sources)
            src_readers = set(fitted.reader_ids) if wanted_readers is None else set(wanted_readers)
            sources = pd.concat(
                [
                    pd.DataFrame({"source_entity_id": sorted(src_articles), "source_entity_type": "article"}),
                    pd.DataFrame({"source_entity_id": sorted(src_readers), "source_entity_type": "reader"}),
                ],
                ignore_index=True,
            ).assign(site_id=ctx.site_id, strategy="als")
            recs = fill_gaps(recs, sources, popular, n, read=read)

        parts.append(recs[REC_COLUMNS])
    recs = pd.concat(parts, ignore_index=True) if parts else empty_recs()
    recs["rank"] = recs["rank"].astype("int64")
    recs["score"] = recs["score"].astype("float64")
    return recs.reset_index(drop=True)


def _repeat(value: Any, type_: pa.DataType, count: int) -> pa.Array:
    """``value`` ``count`` times as an Arrow array (a constant column, no Python object per row)."""
    return pa.repeat(pa.scalar(value, type_), count)


def als_lists_for_sites(
    interactions: pd.DataFrame,
    articles: pd.DataFrame,
    contexts: list[SiteContext],
    window_reads: pd.DataFrame | None = None,
) -> pa.Table:
    """Train ALS per site and return the model's own lists only, as an Arrow table (``ALS_LISTS_SCHEMA``):
    related articles for every article of the matrix, a list for every reader of the matrix.

    ``interactions``: the training reads (``site_id, domain_userid, article_id, dwell_s``).
    ``articles``: the articles mart (the candidate rules and publish-date decay, :func:`candidate_articles`).
    ``window_reads``: ``site_id, domain_userid, article_id`` read in each site's training window, any dwell:
    reader lists never hold them (nor the training reads).

    The candidate rules hold by construction (non-candidates weigh 0 and are never scored, the source and
    the reader's reads are filtered out inside implicit's top-k); nothing is padded: the SQL model
    ``als_recommendations`` pads short lists with popularity, as ``item_knn_recommendations`` does. Ids stay
    integer matrix positions until the end, where Arrow's ``take`` turns them into strings: no pandas frame
    per row, nothing for dbt-duckdb to convert when it writes the table.
    """
    tables = []
    for ctx in contexts:
        n = ctx.params.recs_per_source
        _, cands, fitted = _fit_site(ctx, interactions, articles)
        weights = candidate_weights(fitted, cands)
        n_articles, n_readers = len(fitted.article_ids), len(fitted.reader_ids)
        rel_src, rel_item, rel_rank, rel_score = related_article_indices(
            fitted, weights, n, np.arange(n_articles)
        )
        seen = seen_matrix(fitted, _site(window_reads, ctx.site_id))
        rdr_row, rdr_item, rdr_rank, rdr_score = reader_recommendation_indices(
            fitted, weights, n, np.arange(n_readers), seen=seen
        )
        n_rel, n_rdr = len(rel_src), len(rdr_row)
        rows = n_rel + n_rdr
        if rows == 0:
            continue
        article_ids = pa.array(fitted.article_ids.astype(str), type=pa.string())
        reader_ids = pa.array(fitted.reader_ids.astype(str), type=pa.string())
        trained_at = datetime.now(UTC).replace(tzinfo=None)
        table = pa.table(
            {
                "site_id": _repeat(ctx.site_id, pa.string(), rows),
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
        tables.append(table)
    if not tables:
        return ALS_LISTS_SCHEMA.empty_table()
    return pa.concat_tables(tables)


def read_history(
    interactions: pd.DataFrame, reads: pd.DataFrame | None, ctx: SiteContext
) -> pd.DataFrame:
    """``site_id, domain_userid, article_id`` a reader list must not recommend: the training interactions
    and every read (``popularity.READ_COLUMNS`` rows, any dwell) in the training window
    ``(as_of - training_window_days, as_of]`` - what the SQL strategies exclude (``windowed``)."""
    cols = ["site_id", "domain_userid", "article_id"]
    parts = [interactions[cols].astype(str)]
    if reads is not None and not reads.empty:
        start = ctx.as_of - pd.Timedelta(days=float(ctx.params.training_window_days))
        at = naive_utc(reads["read_at"])
        keep = (at > start) & (at <= ctx.as_of) & reads["domain_userid"].notna()
        parts.append(reads.loc[keep.to_numpy(), cols].astype(str))
    return pd.concat(parts, ignore_index=True).drop_duplicates().reset_index(drop=True)


def eval_als_for_sites(
    train_interactions: pd.DataFrame,
    articles: pd.DataFrame,
    pairs: pd.DataFrame,
    holdout: pd.DataFrame,
    contexts: list[SiteContext],
    reads: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """ALS at the evaluation cut: related lists for the pairs' sources, reader lists for the hold-out
    readers, both padded with popularity; columns ``EVAL_REC_COLUMNS`` (``task``: 'related' | 'reader')."""
    recs = als_for_sites(
        train_interactions,
        articles,
        contexts,
        reads=reads,
        related_sources=pairs[["site_id", "source_article_id"]].rename(
            columns={"source_article_id": "article_id"}
        ),
        readers=holdout[["site_id", "domain_userid"]],
        all_matrix_sources=False,
    )
    recs["task"] = recs["source_entity_type"].map({"article": "related", "reader": "reader"})
    return recs[EVAL_REC_COLUMNS]


def eval_oracle_for_sites(
    truth: Any,
    pairs: pd.DataFrame,
    holdout: pd.DataFrame,
    train_interactions: pd.DataFrame,
    contexts: list[SiteContext],
    articles: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Oracle lists per site at the cut (``oracle.ORACLE_COLUMNS``), N = the site's ``recs_per_source``.

    ``articles`` given: the oracle may only pick articles that exist at the cut (not the age rule: the
    generator's own scores decide)."""
    parts = []
    for ctx in contexts:
        allowed = None
        if articles is not None:
            allowed = candidate_articles(_site(articles, ctx.site_id), ctx.as_of, float("inf"), 0)
        parts.append(
            oracle_recommendations(
                truth,
                _site(pairs, ctx.site_id),
                _site(holdout, ctx.site_id),
                to_naive_utc(ctx.as_of),
                ctx.params.recs_per_source,
                read=_site(train_interactions, ctx.site_id),
                candidates=allowed,
            )
        )
    out = pd.concat(parts, ignore_index=True) if parts else empty_oracle()
    return out if not out.empty else empty_oracle()

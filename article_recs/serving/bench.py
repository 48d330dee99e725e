"""Benchmark of the widget read path: p50/p95 latency of
:func:`article_recs.serving.read.related_articles` on a serving database holding ``rows`` recommendation rows
(default 1M), published the real way (DuckDB -> attach -> pending -> flip) from synthetic models.

Runs in its own database (``<ARTICLE_RECS_PG_DATABASE>_bench``, dropped and created), so it never touches what
widgets read. ``python -m article_recs.serving.bench [--rows N] [--queries N]`` prints the dict as JSON.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from article_recs.serving.connection import PgSettings, connect

RECS_PER_ARTICLE = 10
SITES = ("herald", "metro")


def _percentile(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return float("nan")
    index = min(len(sorted_values) - 1, max(0, round(q * (len(sorted_values) - 1))))
    return sorted_values[index]


def _drop_database(settings: PgSettings, name: str, attempts: int = 30) -> None:
    """Drop ``name``; retried while an autovacuum worker (which our role may not terminate) is inside it."""
    import psycopg2

    admin = connect(settings, autocommit=True)
    try:
        for attempt in range(attempts):
            try:
                with admin.cursor() as cur:
                    cur.execute(f'drop database if exists "{name}" with (force)')
                return
            except (psycopg2.errors.InsufficientPrivilege, psycopg2.errors.ObjectInUse):
                if attempt == attempts - 1:
                    raise
                time.sleep(1)
    finally:
        admin.close()


def _recreate_database(settings: PgSettings, name: str) -> None:
    _drop_database(settings, name)
    admin = connect(settings, autocommit=True)
    try:
        with admin.cursor() as cur:
            cur.execute(f'create database "{name}"')
    finally:
        admin.close()


def bench_read_path(
    rows: int = 1_000_000,
    queries: int = 2000,
    n: int = 10,
    *,
    settings: PgSettings | None = None,
    database: str | None = None,
    seed: int = 7,
    drop_after: bool = False,
) -> dict:
    """Publish ``rows`` item-kNN recommendation rows (two sites) plus popularity lists, then time ``queries``
    widget reads of random (site, article). Returns rows, publish seconds, p50/p95/p99/max in ms, queries per
    second (one connection), and whether the plan uses the index."""
    from article_recs.serving.publish import publish
    from article_recs.serving.read import explain_related, related_articles
    from article_recs.serving.synthetic import SyntheticModel, write_models

    base = settings or PgSettings.from_env()
    database = database or f"{base.database}_bench"
    bench_settings = base.with_(database=database)
    articles_per_site = max(1, rows // (len(SITES) * RECS_PER_ARTICLE))
    models = [
        SyntheticModel(f"bench-knn-{site}", site, "item_knn", articles_per_site, RECS_PER_ARTICLE, seed=i)
        for i, site in enumerate(SITES)
    ] + [SyntheticModel(f"bench-pop-{site}", site, "popularity", articles_per_site, 50) for site in SITES]

    _recreate_database(base, database)
    with tempfile.TemporaryDirectory(prefix="article_recs_bench_") as tmp:
        duckdb_path = Path(tmp) / "bench.duckdb"
        write_models(duckdb_path, models, current=[m.model_id for m in models])
        result = publish(duckdb_path=duckdb_path, settings=bench_settings, keep=2)

    rng = random.Random(seed)
    conn = connect(bench_settings, autocommit=True)
    try:
        lookups = [(rng.choice(SITES), str(rng.randrange(articles_per_site))) for _ in range(queries)]
        for site, article in lookups[: min(200, queries)]:  # warm the cache and the connection
            related_articles(conn, site, article, n)
        timings = []
        empty = 0
        started = time.perf_counter()
        for site, article in lookups:
            t0 = time.perf_counter()
            recs = related_articles(conn, site, article, n)
            timings.append((time.perf_counter() - t0) * 1000.0)
            empty += not recs
        wall = time.perf_counter() - started
        plan = explain_related(conn, SITES[0], "1", n)
    finally:
        conn.close()
    if drop_after:
        _drop_database(base, database)

    timings.sort()
    return {
        "benchmark": "serving_read_path",
        "database": database,
        "rows": result.rows_copied,
        "publish_s": round(result.seconds, 2),
        "publish_rows_per_s": round(result.rows_copied / result.copy_seconds)
        if result.copy_seconds
        else None,
        "queries": queries,
        "top_n": n,
        "p50_ms": round(_percentile(timings, 0.50), 3),
        "p95_ms": round(_percentile(timings, 0.95), 3),
        "p99_ms": round(_percentile(timings, 0.99), 3),
        "max_ms": round(timings[-1], 3) if timings else None,
        "mean_ms": round(statistics.fmean(timings), 3) if timings else None,
        "queries_per_s": round(queries / wall, 1) if wall else None,
        "empty_results": empty,
        "index_used": "Index Scan using recommendations_pkey" in plan,
        "plan": plan,
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m article_recs.serving.bench", description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=2000)
    parser.add_argument("--top-n", type=int, default=10)
    parser.add_argument("--drop-after", action="store_true", help="drop the bench database afterwards")
    args = parser.parse_args(argv)
    from article_recs.serving.connection import PgUnavailable

    try:
        report = bench_read_path(args.rows, args.queries, args.top_n, drop_after=args.drop_after)
    except PgUnavailable as exc:
        print(f"bench: error: {exc} (start it with: make pg-up)", file=sys.stderr)
        return 1
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())

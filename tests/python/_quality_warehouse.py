"""A small, consistent DuckDB warehouse for the quality tests: every relation the suites read, with the dbt
schemas and DESIGN.md's columns, built directly (no dbt run), so each test can copy it and break one thing.

Two sites (herald, metro); as_of 2024-03-10 12:00; recs_per_source 3, popularity_top_n 5 (recommender_sites).
Two cuts per site (recommender_cuts): the serving cut at as_of, whose training-window reads
(recommender_cut_reads) every strategy's served lists cover, and a scored cut two hours earlier whose reads
(a5 on herald) the served lists need not cover. As recommendation_lists pads them, every strategy serves a
related list per article read at the serving cut, a list per reader and a 'default' list.
"""

from __future__ import annotations

import shutil
import uuid
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import pandas as pd

AS_OF = datetime(2024, 3, 10, 12, 0, 0)
SITES = {"herald": ["a1", "a2", "a3", "a4", "a5", "a6"], "metro": ["m1", "m2", "m3", "m4"]}
READERS = {"herald": ["u1", "u2", "u3", "u4", "u5"], "metro": ["r1", "r2"]}
#: the strategies of the warehouse (the suites read them from model_registry, as the project's are data)
STRATEGIES = ("als", "item_knn", "popularity")
EARLIER_CUT = AS_OF - timedelta(hours=2)


def _uuid(n: int) -> str:
    return str(uuid.UUID(int=(n * 0x9E3779B97F4A7C15) % (1 << 128), version=4))


def _events() -> pd.DataFrame:
    rows = []
    for i in range(240):
        site = "herald" if i % 3 else "metro"
        tstamp = AS_OF - timedelta(hours=72) + timedelta(minutes=18 * i)
        rows.append(
            {
                "source_file": f"data/events/{tstamp:%Y/%m/%d/%H}/{site}-web-0000.tsv.gz",
                "raw_line": f"line {i}",
                "field_count": 131,
                "is_invalid_utf8": False,
                "event_id": _uuid(i + 1),
                "app_id": f"{site}-web",
                "platform": "web",
                "event": "page_view" if i % 4 == 0 else "page_ping",
                "domain_userid": f"d{i % 11}",
                "domain_sessionid": _uuid(10_000 + i // 6),
                "collector_tstamp": tstamp,
                "etl_tstamp": tstamp + timedelta(minutes=2),
                "page_url": f"https://{site}.example/news/a{i % 6}",
            }
        )
    return pd.DataFrame(rows)


def _page_views() -> pd.DataFrame:
    rows = []
    for i in range(60):
        site = "herald" if i % 3 else "metro"
        start = AS_OF - timedelta(hours=60) + timedelta(minutes=45 * i)
        absolute = 10 * (i % 13)
        engaged = max(0, absolute - 10 * (i % 3))
        rows.append(
            {
                "page_view_id": _uuid(50_000 + i),
                "site_id": site,
                "app_id": f"{site}-web",
                "domain_userid": f"d{i % 11}",
                "domain_sessionid": _uuid(10_000 + i // 4),
                "domain_sessionidx": 1,
                "event_id": _uuid(60_000 + i),
                "article_id": SITES[site][i % len(SITES[site])],
                "start_tstamp": start,
                "end_tstamp": start + timedelta(seconds=absolute),
                "page_url": f"https://{site}.example/news/x",
                "page_urlpath": "/news/x",
                "page_title": "x",
                "referrer_medium": "internal",
                "referrer_source": None,
                "engaged_time_in_s": engaged,
                "absolute_time_in_s": absolute,
                "page_pings": absolute // 10,
                "max_scroll_depth": 50.0,
                "device_class": "Desktop",
            }
        )
    return pd.DataFrame(rows)


def _articles() -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "site_id": site,
                "article_id": a,
                "canonical_path": f"/news/{a}",
                "title": a.upper(),
                "section": "news",
                "author": "x",
                "first_seen_at": AS_OF - timedelta(days=5),
                "published_at": AS_OF - timedelta(days=6),
                "published_at_source": "metadata",
                "page_views": 10,
                "readers": 5,
            }
            for site, articles in SITES.items()
            for a in articles
        ]
    )


def _read_articles(site: str) -> list[str]:
    return SITES[site][:4] if site == "herald" else SITES[site][:2]


def _interactions() -> pd.DataFrame:
    rows = []
    for site, readers in READERS.items():
        for j, reader in enumerate(readers):
            for k, article in enumerate(_read_articles(site)):
                first = AS_OF - timedelta(days=2, hours=j + k)
                rows.append(
                    {
                        "site_id": site,
                        "domain_userid": reader,
                        "article_id": article,
                        "dwell_s": 40 + 10 * k,
                        "reads": 1 + k % 2,
                        "first_read_at": first,
                        "last_read_at": first + timedelta(hours=1),
                    }
                )
    # an old read, outside the 28-day window: its article (a6) needs no related list
    rows.append(
        {
            "site_id": "herald",
            "domain_userid": "u1",
            "article_id": "a6",
            "dwell_s": 50,
            "reads": 1,
            "first_read_at": AS_OF - timedelta(days=40),
            "last_read_at": AS_OF - timedelta(days=40),
        }
    )
    return pd.DataFrame(rows)


def _recommender_sites() -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "site_id": site,
                "app_id": f"{site}-web",
                "as_of": AS_OF,
                "training_window_days": 28,
                "popularity_top_n": 5,
                "recs_per_source": 3,
            }
            for site in SITES
        ]
    )


def _recommender_cuts() -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "site_id": site,
                "cut_at": cut_at,
                "app_id": f"{site}-web",
                "is_serving": cut_at == AS_OF,
                "eval_window_end": None if cut_at == AS_OF else cut_at + timedelta(hours=2),
                "is_scored": cut_at != AS_OF,
                "as_of": AS_OF,
                "training_window_days": 28,
                "recs_per_source": 3,
            }
            for site in SITES
            for cut_at in (EARLIER_CUT, AS_OF)
        ]
    )


def _recommender_cut_reads() -> pd.DataFrame:
    """The reads of each cut's 28-day window (interactions; the earlier cut also has a read of a5 that the
    serving cut's window lost: no served list need cover it)."""
    rows = []
    interactions = _interactions()
    for cut_at in (EARLIER_CUT, AS_OF):
        read_at = interactions["last_read_at"]
        window = interactions[(read_at < cut_at) & (read_at >= cut_at - timedelta(days=28))]
        rows += [{**row, "cut_at": cut_at} for row in window.to_dict("records")]
    rows.append(
        {
            "site_id": "herald",
            "cut_at": EARLIER_CUT,
            "domain_userid": "u2",
            "article_id": "a5",
            "dwell_s": 60,
            "reads": 1,
            "first_read_at": EARLIER_CUT - timedelta(days=27),
            "last_read_at": EARLIER_CUT - timedelta(days=27),
        }
    )
    columns = ["site_id", "cut_at", "domain_userid", "article_id", "dwell_s", "reads", "first_read_at"]
    return pd.DataFrame(rows)[[*columns, "last_read_at"]]


def _recommendations() -> pd.DataFrame:
    rows = []

    def add(site, strategy, kind, source, items):
        for rank, item in enumerate(items, start=1):
            rows.append(
                {
                    "model_id": f"{site}-{strategy}-1",
                    "site_id": site,
                    "strategy": strategy,
                    "source_entity_type": kind,
                    "source_entity_id": source,
                    "recommended_article_id": item,
                    "rank": rank,
                    "score": round(1.0 / (rank + 0.5), 4),
                }
            )

    # every strategy's lists at the serving cut, padded (recommendation_lists)
    for site, articles in SITES.items():
        for strategy in STRATEGIES:
            for source in _read_articles(site):
                add(site, strategy, "article", source, [a for a in articles if a != source][:3])
            for reader in READERS[site]:
                add(site, strategy, "reader", reader, articles[-3:])
            add(site, strategy, "default", "default", articles[:5])
    return pd.DataFrame(rows)


def _model_registry() -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "model_id": f"{site}-{strategy}-1",
                "run_id": "run-2",
                "site_id": site,
                "strategy": strategy,
                "trained_at": AS_OF,
                "status": "current",
            }
            for site in SITES
            for strategy in STRATEGIES
        ]
    )


def _model_evaluations() -> pd.DataFrame:
    rows = []
    for run_id, evaluated_at in (("run-1", AS_OF - timedelta(days=1)), ("run-2", AS_OF)):
        for site in SITES:
            for s, strategy in enumerate((*STRATEGIES, "oracle")):
                # (task, metric, k, value, bootstrap half-width: means over cases only)
                metrics = [
                    ("related", "hr", 10, 0.2 + 0.1 * s, 0.05),
                    ("related", "ndcg", 10, 0.1 + 0.05 * s, 0.04),
                    ("related", "mrr", 10, 0.08, 0.02),
                    ("related", "hr_cold_start", 10, 0.05, 0.05),
                    ("reader", "recall", 10, 0.3, 0.1),
                    ("reader", "ndcg", 10, 0.2, 0.05),
                    ("related", "coverage", 10, 0.6, None),
                    ("related", "mean_age_days", 10, 12.5 + s, None),
                    ("related", "n_cases", 0, 40.0, None),
                    ("related", "n_cuts", 0, 12.0, None),
                    ("related", "cold_start_share", 0, 0.1, None),
                ]
                for task, metric, k, value, half_width in metrics:
                    rows.append(
                        {
                            "run_id": run_id,
                            "evaluated_at": evaluated_at,
                            "site_id": site,
                            "strategy": strategy,
                            "task": task,
                            "metric": metric,
                            "k": k,
                            "value": value,
                            "ci_low": None if half_width is None else max(0.0, value - half_width),
                            "ci_high": None if half_width is None else min(1.0, value + half_width),
                        }
                    )
    return pd.DataFrame(rows)


TABLES = {
    "staging.stg_snowplow__events": _events,
    "marts.page_views": _page_views,
    "marts.articles": _articles,
    "marts.interactions": _interactions,
    "recommender.recommender_sites": _recommender_sites,
    "recommender.recommender_cuts": _recommender_cuts,
    "recommender.recommender_cut_reads": _recommender_cut_reads,
    "recommender.recommendations": _recommendations,
    "recommender.model_registry": _model_registry,
    "evaluation.model_evaluations": _model_evaluations,
}


def build_warehouse(path: Path) -> Path:
    """Write the clean warehouse to ``path`` (a new DuckDB file)."""
    con = duckdb.connect(str(path))
    try:
        for relation, make in TABLES.items():
            schema = relation.split(".")[0]
            con.execute(f"create schema if not exists {schema}")
            frame = make()  # noqa: F841 - read by DuckDB's replacement scan
            con.execute(f"create table {relation} as select * from frame")
    finally:
        con.close()
    return path


def broken_copy(clean: Path, dest: Path, *statements: str) -> Path:
    """A copy of ``clean`` with ``statements`` (SQL) applied: the tests' way to inject bad data."""
    shutil.copyfile(clean, dest)
    con = duckdb.connect(str(dest))
    try:
        for statement in statements:
            con.execute(statement)
    finally:
        con.close()
    return dest


#: two defects for the PostgreSQL test (plain SQL that both databases accept)
DEFECTS_FOR_POSTGRES = (
    "update recommender.recommendations set score = 1.2 "
    "where model_id = 'herald-als-1' and source_entity_id = 'a1' and rank = 1",
    "insert into recommender.recommendations values "
    "('metro-als-1', 'metro', 'als', 'article', 'm1', 'm1', 4, 0.2)",
)

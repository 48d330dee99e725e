"""A small, consistent DuckDB warehouse for the quality tests: the relations the suites read, with the dbt
schemas and the models' columns, built directly (no dbt run), so each test can copy it and break one thing.

Two sites (herald, metro); as_of 2024-03-10 11:42 (quality_thresholds); three strategies, each serving a
related list for every article read at the serving cut (recommendation_coverage) and evaluated on both sites
(evaluation_coverage). What those two models compute is pinned by their dbt unit tests.
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
STRATEGIES = ("als", "item_knn", "popularity")


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


def _recommendation_coverage() -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "site_id": site,
                "strategy": strategy,
                "article_id": article,
                "is_strategy_served": True,
                "has_related_list": True,
            }
            for site in SITES
            for strategy in STRATEGIES
            for article in _read_articles(site)
        ]
    )


def _evaluation_coverage() -> pd.DataFrame:
    return pd.DataFrame(
        [
            {"site_id": site, "strategy": strategy, "is_evaluated": True}
            for site in SITES
            for strategy in STRATEGIES
        ]
    )


def _quality_thresholds() -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "as_of": AS_OF - timedelta(minutes=18),
                "heartbeat_s": 10,
                "raw_tolerance_pct": 1.0,
                "raw_max_age_days": 365,
                "max_dwell_per_read_s": 4 * 3600,
                "sample_rows": 500_000,
            }
        ]
    )


TABLES = {
    "staging.stg_snowplow__events": _events,
    "marts.page_views": _page_views,
    "marts.interactions": _interactions,
    "marts.recommendation_coverage": _recommendation_coverage,
    "marts.evaluation_coverage": _evaluation_coverage,
    "marts.quality_thresholds": _quality_thresholds,
}


def build_warehouse(path: Path) -> Path:
    """Write the clean warehouse to ``path`` (a new DuckDB file)."""
    con = duckdb.connect(str(path))
    try:
        for relation, make in TABLES.items():
            con.execute(f"create schema if not exists {relation.split('.')[0]}")
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

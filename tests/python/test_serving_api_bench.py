"""The API load benchmark's harness on a small table: bounded in requests and time, loopback only, every
request answered 200, and the Markdown table it prints."""

# ruff: noqa: F811  (pytest fixtures imported from pg_fixtures are redefined as test arguments)

from __future__ import annotations

import time

import pytest
from pg_fixtures import pg_server  # noqa: F401

from article_recs.serving.api_bench import LOOPBACK, bench_api, format_table

pytestmark = pytest.mark.postgres


def test_the_api_benchmark_is_bounded_and_reports_percentiles(pg_server):
    started = time.monotonic()
    result = bench_api(2000, requests=300, max_seconds=3, levels=(1, 4), settings=pg_server)
    assert time.monotonic() - started < 120
    assert LOOPBACK == "127.0.0.1"
    assert result["rows"] == 2000 + 2 * 50
    assert [r["clients"] for r in result["related"]] == [1, 4]
    for r in result["related"] + result["online"]:
        assert 0 < r["requests"] <= 300 and r["seconds"] < 3 + 5  # the count or the time bound stops it
        assert r["non_200"] == 0 and r["errors"] == 0, r
        assert r["p50_ms"] <= r["p95_ms"] <= r["p99_ms"] <= r["max_ms"]
    table = format_table(result)
    assert table.count("\n| related |") == 2 and "| online | 16 |" in table

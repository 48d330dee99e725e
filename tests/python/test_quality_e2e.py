"""`article-recs quality` on what the project really builds: generated events -> dbt build (isolated DuckDB
file and target folder) -> every suite whose relation was built passes, and a --vars override reaches the
suites' thresholds; the generator's --bad-input data fails the raw-events suite with a readable message."""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from article_recs.dbt_runner import run_dbt
from article_recs.quality import SUITES, cli

pytestmark = pytest.mark.slow

GENERATE = ["--users", "300", "--articles", "80", "--days", "3", "--sites", "2", "--seed", "1", "--end",
            "2026-01-10", "--quiet"]  # fmt: skip


def _generate(out: Path, *extra: str) -> Path:
    exe = Path(sys.executable).parent / "article-recs"
    subprocess.run([str(exe), "generate", "--out", str(out), *GENERATE, *extra], check=True)
    return out


def _vars(out: Path) -> dict[str, str]:
    return {
        "article_recs__events_path": str(out / "events" / "**" / "*.tsv*"),
        "article_recs__article_metadata_path": str(out / "articles" / "articles.csv"),
        "article_recs__ground_truth_path": str(out / "ground_truth"),
    }


def _quality(*argv: str) -> int:
    parser = argparse.ArgumentParser()
    cli.add_arguments(parser)
    return cli.run(parser.parse_args(list(argv)))


def _built(db: Path) -> set[str]:
    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.execute(
            "select table_schema || '.' || table_name from information_schema.tables"
        ).fetchall()
    return {r[0] for r in rows}


def test_generated_data_passes_every_built_suite(tmp_path, capsys):
    data = _generate(tmp_path / "gen")
    db = tmp_path / "gen.duckdb"
    result = run_dbt(
        ["build"], dbt_vars=_vars(data), duckdb_path=db, target_path=tmp_path / "target", check=False
    )
    built = _built(db)
    for relation in ("staging.stg_snowplow__events", "marts.page_views", "marts.interactions"):
        assert relation in built, f"dbt build did not build {relation}:\n{result.error_lines()}"
    present = [suite for suite, relation in SUITES.items() if relation in built]

    args = ["--duckdb", str(db), "--docs-dir", str(tmp_path / "docs")]
    code = _quality(*args, *(a for suite in present for a in ("--suite", suite)))
    out = capsys.readouterr().out
    assert code == 0, out
    for suite in present:
        assert any(line.startswith(suite) and " PASS " in line for line in out.splitlines()), out
    assert (tmp_path / "docs" / "index.html").exists()

    # the suites' thresholds are the build's: a --vars override reaches them (marts.quality_thresholds)
    heartbeat = {**_vars(data), "article_recs__heartbeat": 30}
    run_dbt(["run", "--select", "quality_thresholds"], dbt_vars=heartbeat,
            duckdb_path=db, target_path=tmp_path / "target")  # fmt: skip
    from article_recs.quality.runner import Warehouse

    warehouse = Warehouse("duckdb", db)
    try:
        assert warehouse.thresholds().heartbeat_s == 30
    finally:
        warehouse.close()


def test_bad_input_data_fails_quality_with_a_readable_message(tmp_path, capsys):
    data = _generate(tmp_path / "bad", "--bad-input")
    db = tmp_path / "bad.duckdb"
    # the events and the thresholds (with the seeds they need), no data tests: they would stop the build
    selected = ["--select", "+stg_snowplow__events", "+quality_thresholds"]
    skipped = ["--exclude-resource-type", "test", "--exclude-resource-type", "unit_test"]
    run_dbt(["build", *selected, *skipped], dbt_vars=_vars(data), duckdb_path=db,
            target_path=tmp_path / "target")  # fmt: skip
    code = _quality("--duckdb", str(db), "--no-docs", "--suite", "raw_events")
    captured = capsys.readouterr()
    assert code == 1
    assert "raw_events       FAIL" in captured.out
    failures = [line for line in captured.out.splitlines() if line.startswith("  [critical] raw_events: ")]
    assert failures, captured.out
    # e.g. "every line must have the 131 enriched TSV fields — 145 of 6,257 lines (2.32%) have another count
    # (allowed: 1.00%), e.g. 1 (source_file='.../2026/01/07/01/metro-web-0000.tsv.gz'); ..."
    assert any("131 enriched TSV fields" in line and "(allowed: 1.00%)" in line for line in failures), (
        failures
    )
    assert "Traceback" not in captured.out + captured.err

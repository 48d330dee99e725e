"""`article-recs quality` (article_recs.quality.cli): the exit status, what it prints, the Data Docs it
writes, and the one-line errors for an unusable warehouse."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from _quality_warehouse import broken_copy, build_warehouse

from article_recs.quality import cli


@pytest.fixture(scope="module")
def clean(tmp_path_factory) -> Path:
    return build_warehouse(tmp_path_factory.mktemp("quality_cli") / "clean.duckdb")


def _run(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="article-recs quality")
    cli.add_arguments(parser)
    return cli.run(parser.parse_args(list(argv)))


def test_clean_warehouse_exits_0_and_prints_docs_path_and_a_line_per_suite(clean, tmp_path, capsys):
    docs = tmp_path / "data_docs"
    assert _run("--duckdb", str(clean), "--docs-dir", str(docs)) == 0
    out = capsys.readouterr().out
    assert f"Data Docs: {docs / 'index.html'}" in out
    assert (docs / "index.html").exists() and (docs / "summary.html").exists()
    for suite in ("raw_events", "page_views", "interactions", "recommendations", "evaluations"):
        assert any(line.startswith(suite) and " PASS " in line for line in out.splitlines()), out
    assert "quality: PASSED" in out


def test_an_article_without_a_related_list_exits_1_naming_the_rule(clean, tmp_path, capsys):
    bad = broken_copy(
        clean,
        tmp_path / "bad.duckdb",
        "update marts.recommendation_coverage set has_related_list = false where article_id = 'm2'",
    )
    assert _run("--duckdb", str(bad), "--no-docs", "--suite", "recommendations") == 1
    captured = capsys.readouterr()
    assert "recommendations  FAIL" in captured.out
    assert (
        "[critical] recommendations: every article read in the serving cut's training window must have "
        "related recommendations from every strategy served on its site — 3 of 18"
    ) in captured.out
    assert "article_id='m2'" in captured.out
    assert "quality: FAILED — critical suite(s) failed: recommendations" in captured.err
    assert "Traceback" not in captured.out + captured.err


def test_failing_non_critical_suite_only_warns(clean, tmp_path, capsys):
    bad = broken_copy(
        clean, tmp_path / "bad_eval.duckdb", "update marts.evaluation_coverage set is_evaluated = false"
    )
    assert _run("--duckdb", str(bad), "--no-docs", "--suite", "evaluations") == 0
    out = capsys.readouterr().out
    assert "FAIL (warning)" in out and "[warning] evaluations: the latest evaluation must cover" in out
    assert "quality: PASSED (warnings: evaluations)" in out


def test_table_not_built_yet_fails_with_how_to_build_it(clean, tmp_path, capsys):
    bare = broken_copy(clean, tmp_path / "bare.duckdb", "drop table marts.interactions")
    assert _run("--duckdb", str(bare), "--no-docs", "--suite", "interactions") == 1
    out = capsys.readouterr().out
    assert "interactions     MISSING" in out
    assert "marts.interactions does not exist yet — build it with `dbt build --select interactions`" in out


def test_missing_warehouse_file_is_a_one_line_error_exit_2(tmp_path, capsys):
    assert _run("--duckdb", str(tmp_path / "nope.duckdb"), "--no-docs") == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("article-recs quality: error: DuckDB warehouse ") and "does not exist" in err
    assert len(err.splitlines()) == 1


def test_warehouse_locked_by_a_writer_is_a_one_line_error_exit_3(clean, tmp_path, capsys):
    locked = broken_copy(clean, tmp_path / "locked.duckdb")
    holder = subprocess.Popen(
        [sys.executable, "-c",
         f"import duckdb, sys, time; c = duckdb.connect({str(locked)!r}); print('ready', flush=True); "
         "sys.stdin.read()"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout.readline().strip() == "ready"
        assert _run("--duckdb", str(locked), "--no-docs") == 3
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)
    err = capsys.readouterr().err
    assert "is locked by another process" in err


def test_duckdb_path_defaults_to_the_environment(clean, monkeypatch, capsys):
    monkeypatch.setenv("ARTICLE_RECS_DUCKDB_PATH", str(clean))
    assert _run("--no-docs", "--suite", "page_views") == 0
    assert "page_views       PASS" in capsys.readouterr().out


def test_unknown_suite_is_rejected_by_argparse(capsys):
    with pytest.raises(SystemExit) as exc:
        _run("--suite", "nope")
    assert exc.value.code == 2


def test_module_entry_point_runs_without_traceback(clean, tmp_path):
    started = time.perf_counter()
    env = {**os.environ, "GX_ANALYTICS_ENABLED": "false"}
    proc = subprocess.run(
        [sys.executable, "-m", "article_recs.quality.cli", "--duckdb", str(clean), "--docs-dir",
         str(tmp_path / "docs"), "--suite", "page_views"],
        capture_output=True, text=True, env=env, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    assert time.perf_counter() - started < 120

"""The long commands show a progress bar on a terminal (stderr), none in logs or with --quiet: quality, and
load-postgres and publish with the project's PostgreSQL (marked postgres)."""

# ruff: noqa: F811  (pytest fixtures imported from pg_fixtures are redefined as test arguments)

from __future__ import annotations

import fcntl
import os
import pty
import struct
import subprocess
import sys
import termios
from pathlib import Path

import pytest
from pg_fixtures import pg_database, pg_env, pg_server  # noqa: F401

CLI = str(Path(sys.executable).parent / "article-recs")


def _on_a_terminal(argv: list[str], env: dict[str, str] | None = None, timeout: int = 300) -> tuple[int, str]:
    """Run the command with stderr on a pseudo-terminal; return its exit status and what the terminal got."""
    master, slave = pty.openpty()
    # a terminal 120 columns wide (a fresh pseudo-terminal has none, and tqdm would draw an empty bar)
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=slave, env={**os.environ, **(env or {})})
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:  # the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    return proc.wait(timeout=timeout), b"".join(chunks).decode("utf-8", "replace")


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("progress_gen") / "gen"
    generate = ["--users", "100", "--articles", "20", "--days", "2", "--sites", "1", "--seed", "3", "--end",
                "2026-01-10", "--quiet"]
    subprocess.run([CLI, "generate", "--out", str(out), *generate], check=True)
    return out


@pytest.fixture(scope="module")
def warehouse(generated: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    from article_recs.dbt_runner import run_dbt

    root = tmp_path_factory.mktemp("progress")
    db = root / "w.duckdb"
    run_dbt(
        ["build", "-s", "+page_views", "+interactions", "--exclude-resource-type", "test",
         "--exclude-resource-type", "unit_test"],
        dbt_vars={"article_recs__events_path": f"{generated / 'events'}/**/*.tsv*",
                  "article_recs__article_metadata_path": "", "article_recs__ground_truth_path": ""},
        duckdb_path=db, target_path=root / "target",
    )
    return db


def test_quality_shows_a_bar_of_the_suites_on_a_terminal_and_none_with_quiet(warehouse: Path) -> None:
    base = [CLI, "quality", "--duckdb", str(warehouse), "--no-docs", "--suite", "raw_events",
            "--suite", "page_views"]
    _, shown = _on_a_terminal(base)
    assert "suites:" in shown and "/2 " in shown, shown[-2000:]
    _, quiet = _on_a_terminal([*base, "--quiet"])
    assert "suites:" not in quiet
    piped = subprocess.run(base, capture_output=True, text=True, timeout=300)
    assert "suites:" not in piped.stderr, "no bar in logs (stderr not a terminal)"


@pytest.mark.postgres
def test_load_postgres_shows_a_bar_of_the_files(generated: Path, pg_database) -> None:
    status, shown = _on_a_terminal([CLI, "load-postgres", "--input", str(generated)], env=pg_env(pg_database))
    assert status == 0, shown[-2000:]
    assert "files:" in shown and "/31 " in shown, shown[-2000:]  # the bar and its total (31 files)


@pytest.mark.postgres
def test_publish_shows_a_bar_of_the_models_copied(tmp_path: Path, pg_database) -> None:
    from article_recs.serving.synthetic import SyntheticModel, write_models

    db = tmp_path / "models.duckdb"
    models = [SyntheticModel(f"knn-{s}-v1", s, "item_knn", 50, 10, seed=1) for s in ("herald", "metro")]
    write_models(db, models, current=["knn-herald-v1", "knn-metro-v1"])
    status, shown = _on_a_terminal([CLI, "publish", "--duckdb", str(db)], env=pg_env(pg_database))
    assert status == 0, shown[-2000:]
    assert "models copied:" in shown and "/2 " in shown, shown[-2000:]

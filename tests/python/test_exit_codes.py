"""Each kind of failure has one exit status across commands (article_recs.exit_codes), and a refused login
says what is wrong instead of "run publish again when Postgres is up"."""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

from article_recs import exit_codes
from article_recs.serving.connection import PgSettings, unavailable

#: what libpq says (psycopg2.OperationalError's text), by case
SERVER = 'connection to server at "127.0.0.1", port 55432 failed: '
LIBPQ = {
    "password": SERVER + 'FATAL:  password authentication failed for user "article_recs"',
    "database": SERVER + 'FATAL:  database "nope" does not exist',
    "down": SERVER + "Connection refused\n\tIs the server running on that host and accepting TCP/IP?",
}


def test_a_wrong_password_says_so_and_never_shows_it() -> None:
    settings = PgSettings(password="s3cret")
    message = str(unavailable(Exception(LIBPQ["password"] + " s3cret"), settings))
    assert "password authentication failed" in message
    assert "check ARTICLE_RECS_PG_USER and ARTICLE_RECS_PG_PASSWORD" in message
    assert "is PostgreSQL up" not in message and "s3cret" not in message


def test_a_missing_database_and_a_server_down_get_their_own_hint() -> None:
    settings = PgSettings(database="nope")
    assert "check ARTICLE_RECS_PG_DATABASE" in str(unavailable(Exception(LIBPQ["database"]), settings))
    assert "is PostgreSQL up?" in str(unavailable(Exception(LIBPQ["down"]), settings))


def _cli(*argv: str, env: dict | None = None) -> subprocess.CompletedProcess:
    import os

    return subprocess.run(
        [str(Path(sys.executable).parent / "article-recs"), *argv], capture_output=True, text=True,
        timeout=120, env={**os.environ, **(env or {})},
    )


def test_publish_on_a_wrong_password_says_what_is_wrong_and_exits_3(monkeypatch, capsys) -> None:
    from article_recs.serving import publish as publish_module

    def refused(**kwargs):
        raise unavailable(Exception(LIBPQ["password"]), kwargs["settings"])

    monkeypatch.setattr(publish_module, "publish", refused)
    parser = argparse.ArgumentParser()
    publish_module.add_arguments(parser)
    assert publish_module.run(parser.parse_args([])) == exit_codes.UNAVAILABLE
    err = capsys.readouterr().err
    assert "password authentication failed" in err and "ARTICLE_RECS_PG_PASSWORD" in err
    assert "when Postgres is up" not in err and len(err.strip().splitlines()) == 1


def test_load_postgres_exits_3_when_postgres_is_down(tmp_path: Path) -> None:
    (tmp_path / "events").mkdir()
    proc = _cli("load-postgres", "--input", str(tmp_path),
                env={"ARTICLE_RECS_PG_PORT": "1", "ARTICLE_RECS_PG_CONNECT_TIMEOUT": "2"})
    assert proc.returncode == exit_codes.UNAVAILABLE, (proc.returncode, proc.stderr)
    assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert "is PostgreSQL up?" in proc.stderr


def test_quality_exits_2_on_a_missing_file_and_3_on_a_locked_one(tmp_path: Path) -> None:
    missing = _cli("quality", "--duckdb", str(tmp_path / "none.duckdb"), "--no-docs")
    assert missing.returncode == exit_codes.USAGE
    locked = tmp_path / "locked.duckdb"
    holder = subprocess.Popen(
        [sys.executable, "-c",
         f"import duckdb, sys; c = duckdb.connect({str(locked)!r}); print('ready', flush=True); "
         "sys.stdin.read()"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        started = time.monotonic()
        proc = _cli("quality", "--duckdb", str(locked), "--no-docs")
        assert proc.returncode == exit_codes.UNAVAILABLE, proc.stderr
        assert time.monotonic() - started < 120
    finally:
        assert holder.stdin is not None
        holder.stdin.close()
        holder.wait(timeout=30)


def test_summary_of_a_renamed_warehouse_says_why_instead_of_a_traceback(tmp_path: Path) -> None:
    """A DuckDB view names the file it was built in: a copied warehouse's views no longer resolve."""
    import shutil

    import duckdb

    built = tmp_path / "article_recs.duckdb"
    con = duckdb.connect(str(built))
    con.execute("create schema marts")
    con.execute("create table marts.facts as select 'events' as fact, 's' as site_id, null as strategy, "
                "'read' as outcome, 1 as amount")
    con.execute("create view marts.build_summary as select * from article_recs.marts.facts")
    con.close()
    copy = tmp_path / "copy.duckdb"
    shutil.copy(built, copy)
    result = _cli("summary", "--duckdb", str(copy))
    assert result.returncode == exit_codes.USAGE, result.stderr
    assert "Traceback" not in result.stderr
    assert 'Catalog "article_recs" does not exist' in result.stderr and "original file name" in result.stderr
    assert _cli("summary", "--duckdb", str(built)).returncode == exit_codes.OK

"""The suites on PostgreSQL (read through SQLAlchemy into GX's pandas datasource, as on DuckDB).

The test warehouse (tests/python/_quality_warehouse.py) is copied into a scratch database on the project's
server (the pg_server fixture: `make pg-up`'s, started for the session when it is down) with DuckDB's
postgres_scanner, then dropped. The settings come from that fixture, not from the environment at import: when
the default port belongs to another checkout's server, the fixture picks another port for the session, and a
scratch database made on the port read at import was then missing where the suites looked for it."""

from __future__ import annotations

import os
import time
from pathlib import Path

import duckdb
import pytest
from _quality_warehouse import build_warehouse
from pg_fixtures import create_database, drop_database, pg_env, pg_server  # noqa: F401

from article_recs.quality import run_all, run_suite
from article_recs.serving.connection import PgSettings, connect

pytestmark = pytest.mark.postgres


def _postgres_scanner() -> str:
    import duckdb_extension_postgres_scanner

    base = Path(duckdb_extension_postgres_scanner.__file__).parent / "extensions"
    return str(next(base.glob(f"v{duckdb.__version__}/postgres_scanner.duckdb_extension")))


def _copy_to_postgres(source: Path, settings: PgSettings, statements: tuple[str, ...] = ()) -> None:
    con = duckdb.connect()
    try:
        con.execute(f"install '{_postgres_scanner()}'")
        con.execute("load postgres_scanner")
        con.execute(f"attach '{source}' as src (read_only)")
        dsn = " ".join(f"{key}={value}" for key, value in settings.libpq_params().items())
        con.execute(f"attach '{dsn}' as pg (type postgres)")
        relations = con.execute(
            "select table_schema, table_name from information_schema.tables where table_catalog = 'src'"
        ).fetchall()
        for schema, table in relations:
            con.execute(f"create schema if not exists pg.{schema}")
            con.execute(f"create table pg.{schema}.{table} as select * from src.{schema}.{table}")
    finally:
        con.close()
    if statements:
        conn = connect(settings, autocommit=True)
        with conn.cursor() as cur:
            for statement in statements:
                cur.execute(statement)
        conn.close()


@pytest.fixture
def scratch_db(monkeypatch, pg_server: PgSettings):  # noqa: F811 - the fixture
    """A fresh database named after this process on the session's server (its settings, which the suites
    read from the environment), dropped afterwards with any session GX left."""
    name = f"article_recs_quality_test_{os.getpid()}"
    settings = create_database(pg_server, name)
    for key, value in pg_env(settings).items():
        if key.startswith("ARTICLE_RECS_PG_"):
            monkeypatch.setenv(key, value)
    admin = connect(pg_server, autocommit=True)
    try:
        yield settings
    finally:
        with admin.cursor() as cur:
            deadline = time.monotonic() + 5  # a closed session leaves pg_stat_activity a moment later
            while True:
                cur.execute("select count(*) from pg_stat_activity where datname = %s", (name,))
                left = cur.fetchone()[0]
                if left == 0 or time.monotonic() > deadline:
                    break
                time.sleep(0.1)
        admin.close()
        drop_database(pg_server, name)
        assert left == 0, f"{left} session(s) left open on {name}"


def test_clean_warehouse_passes_on_postgres(scratch_db, tmp_path):
    _copy_to_postgres(build_warehouse(tmp_path / "clean.duckdb"), scratch_db)
    report = run_all(target="postgres", data_docs_dir=tmp_path / "docs")
    assert report.success, [r.failures for r in report.results.values()]
    assert all(r.success for r in report.results.values())
    assert report.results["recommendations"].statistics["rows"] == 18
    assert len(list((tmp_path / "docs" / "validations").rglob("*.html"))) == len(report.results)


def test_bad_data_fails_on_postgres_with_the_same_words(scratch_db, tmp_path):
    _copy_to_postgres(
        build_warehouse(tmp_path / "clean.duckdb"),
        scratch_db,
        (
            "update marts.recommendation_coverage set has_related_list = false where article_id = 'm2'",
            "update marts.quality_thresholds set sample_rows = 10",
        ),
    )
    result = run_suite("recommendations", target="postgres")
    assert not result.success
    assert "must have related recommendations from every strategy served on its site — " in result.failures[0]
    assert run_suite("recommendations", target="postgres").failures == result.failures  # the same sample


def test_postgres_down_is_a_one_line_error(monkeypatch):
    from article_recs.quality import WarehouseError

    monkeypatch.setenv("ARTICLE_RECS_PG_PORT", "1")  # nothing listens there
    with pytest.raises(
        WarehouseError, match=r"cannot connect to PostgreSQL at 127.0.0.1:1 .*Connection refused"
    ):
        run_suite("page_views", target="postgres")

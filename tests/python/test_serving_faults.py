"""Faults around publish: Postgres down, wrong password, a server that never answers, a publish that fails
or is killed midway. The CLI fails fast with one line naming host and port; DuckDB keeps everything; the
previous current model stays served; the next publish succeeds."""

# ruff: noqa: F811  (pytest fixtures imported from pg_fixtures are redefined as test arguments)

from __future__ import annotations

import hashlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from pg_fixtures import pg_database, pg_env, pg_server, superuser_sql  # noqa: F401

from article_recs.serving.connection import PgSettings, connect
from article_recs.serving.publish import publish
from article_recs.serving.read import related_articles
from article_recs.serving.synthetic import SyntheticModel, write_models

pytestmark = pytest.mark.postgres

V1 = SyntheticModel("knn-herald-v1", "herald", "item_knn", 300, 10, seed=1)
V2 = SyntheticModel("knn-herald-v2", "herald", "item_knn", 300, 10, seed=2)


def run_publish(duckdb_path: Path, env: dict[str, str], *extra: str, wait: bool = True):
    command = [sys.executable, "-m", "article_recs.serving.publish", "--duckdb", str(duckdb_path), *extra]
    if not wait:
        return subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)


def current_model(settings: PgSettings) -> str | None:
    with connect(settings, autocommit=True) as conn:
        recs = related_articles(conn, "herald", "7", 10, fallback=None)
    models = {r.model_id for r in recs}
    assert len(models) <= 1 and (not recs or len(recs) == 10)
    return models.pop() if models else None


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def published_v1(tmp_path, pg_database) -> tuple[Path, PgSettings]:
    """A warehouse whose current model is v2, while serving still serves v1."""
    db = tmp_path / "wh.duckdb"
    write_models(db, [V1], current=[V1.model_id])
    publish(duckdb_path=db, settings=pg_database)
    write_models(db, [V2], current=[V2.model_id])
    return db, pg_database


def assert_one_line_error(proc: subprocess.CompletedProcess, *needles: str) -> None:
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]


def test_postgres_down_fails_fast_naming_host_and_port_and_the_next_publish_succeeds(published_v1):
    db, settings = published_v1
    before = sha256(db)
    port = free_port()

    started = time.monotonic()
    proc = run_publish(db, pg_env(settings.with_(port=port)))

    assert time.monotonic() - started < 15  # interpreter start included; the connect itself is instant
    assert_one_line_error(proc, f"127.0.0.1:{port}", "cannot connect")
    assert sha256(db) == before  # DuckDB keeps everything
    assert current_model(settings) == V1.model_id

    ok = run_publish(db, pg_env(settings))
    assert ok.returncode == 0, ok.stderr
    assert current_model(settings) == V2.model_id


def test_wrong_password_fails_fast_with_one_line(published_v1):
    db, settings = published_v1
    role = f"ar_pw_{os.getpid()}"
    superuser_sql(f'drop role if exists "{role}"; create role "{role}" login password \'right-one\'')
    try:
        proc = run_publish(db, pg_env(settings.with_(user=role, password="wrong-one")))
        assert_one_line_error(proc, f"{settings.host}:{settings.port}", "password authentication failed")
        assert "wrong-one" not in proc.stderr
    finally:
        superuser_sql(f'drop role if exists "{role}"')
    assert current_model(settings) == V1.model_id


def test_a_server_that_never_answers_times_out_after_connect_timeout(published_v1):
    db, settings = published_v1
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)  # accepts TCP connections, never speaks the protocol
    accepted: list[socket.socket] = []
    threading.Thread(target=lambda: accepted.append(listener.accept()[0]), daemon=True).start()
    port = listener.getsockname()[1]
    try:
        started = time.monotonic()
        proc = run_publish(db, pg_env(settings.with_(port=port)), "--connect-timeout", "2")
        elapsed = time.monotonic() - started
    finally:
        for s in accepted:
            s.close()
        listener.close()
    assert elapsed < 12
    assert_one_line_error(proc, f"127.0.0.1:{port}")


def test_a_publish_failing_between_copy_and_flip_leaves_the_previous_model_served(published_v1, monkeypatch):
    db, settings = published_v1
    monkeypatch.setenv("ARTICLE_RECS_PUBLISH_FAULT", "before_flip:fail")
    with pytest.raises(RuntimeError, match="injected fault"):
        publish(duckdb_path=db, settings=settings)
    assert current_model(settings) == V1.model_id

    monkeypatch.delenv("ARTICLE_RECS_PUBLISH_FAULT")
    result = publish(duckdb_path=db, settings=settings)
    assert result.cleaned_pending == [V2.model_id]
    assert current_model(settings) == V2.model_id


def test_a_publish_killed_before_the_flip_leaves_the_previous_model_served(published_v1):
    db, settings = published_v1
    env = pg_env(settings) | {"ARTICLE_RECS_PUBLISH_FAULT": "before_flip:pause"}
    proc = run_publish(db, env, wait=False)
    try:
        line = proc.stderr.readline()  # blocks until the publisher copied everything and paused
        assert "paused at before_flip" in line, line + proc.stderr.read()
        assert current_model(settings) == V1.model_id
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        proc.kill()
    assert current_model(settings) == V1.model_id

    ok = run_publish(db, pg_env(settings))
    assert ok.returncode == 0, ok.stderr
    assert "1 interrupted publish(es) cleaned up" in ok.stdout
    assert current_model(settings) == V2.model_id


@pytest.mark.slow
def test_a_publish_killed_mid_copy_leaves_the_previous_model_served(tmp_path, pg_database):
    """kill -9 while the binary COPY of a big model streams: Postgres aborts the copy, readers keep v1."""
    db = tmp_path / "wh.duckdb"
    small = SyntheticModel("knn-herald-v1", "herald", "item_knn", 300, 10, seed=1)
    # 250k rows: the copy takes a second or more, time enough to be caught in pg_stat_activity
    big = SyntheticModel("knn-herald-v2", "herald", "item_knn", 25_000, 10, seed=2)
    write_models(db, [small], current=[small.model_id])
    publish(duckdb_path=db, settings=pg_database)
    write_models(db, [big], current=[big.model_id])

    proc = run_publish(db, pg_env(pg_database), wait=False)
    try:
        deadline = time.monotonic() + 60
        copying = False
        while time.monotonic() < deadline and proc.poll() is None:
            with connect(pg_database, autocommit=True) as conn, conn.cursor() as cur:
                cur.execute(
                    "select count(*) from pg_stat_activity where datname = current_database() "
                    "and query ilike 'copy %serving%recommendations%from stdin%' and state = 'active'"
                )
                copying = cur.fetchone()[0] > 0
            if copying:
                break
            time.sleep(0.02)
        assert copying, "never caught the publisher copying"
        time.sleep(0.3)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        proc.kill()
    assert proc.returncode == -signal.SIGKILL
    assert current_model(pg_database) == small.model_id

    ok = run_publish(db, pg_env(pg_database))
    assert ok.returncode == 0, ok.stderr
    assert current_model(pg_database) == big.model_id

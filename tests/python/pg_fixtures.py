"""pytest fixtures for tests that need the project's PostgreSQL. Import them in a test module:

    from pg_fixtures import pg_database, pg_server  # noqa: F401

``pg_server`` (session) starts the server exactly as developers and CI do (``scripts/pg.sh up``, i.e.
``make pg-up``) and yields its :class:`PgSettings`. When ARTICLE_RECS_PG_PORT is not set and the default
port is taken by another cluster (another checkout's server), it picks a free port for the session. At the
end of the session the last pytest process using it (each registers itself in ``<pg root>/clients/``) stops
it again, if a test session started it: a developer's own ``make pg-up`` server keeps running. Start and stop
hold a file lock (``<pg root>/tests.lock``), so parallel sessions (``make test`` runs pytest-xdist workers,
each a session of its own) start one server, not two, and the last worker out stops it. Without PostgreSQL
binaries the tests are skipped, except under CI (CI=true), where that is a failure (``make test`` runs
``make system-deps`` first).

``pg_database`` (function) is a fresh database of its own (``ar_t_<pid>_<n>``), dropped afterwards, so tests
never share tables with each other or with parallel runs.
"""

from __future__ import annotations

import fcntl
import itertools
import os
import re
import socket
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from article_recs.serving.connection import PgSettings, connect

REPO = Path(__file__).resolve().parents[2]
PG_SH = REPO / "scripts" / "pg.sh"
PG_ROOT = Path(os.environ.get("ARTICLE_RECS_PG_ROOT") or REPO / ".pg")
_counter = itertools.count()
_state: dict[str, object] = {"users": 0, "token": None}
#: in <pg root>, present while a server some test session started is up: the last session out stops it
STARTED_BY_TESTS = "started-by-tests"


def _have_binaries() -> bool:
    if os.environ.get("ARTICLE_RECS_PG_BIN"):
        return (Path(os.environ["ARTICLE_RECS_PG_BIN"]) / "initdb").exists()
    return any(Path("/usr/lib/postgresql").glob("*/bin/initdb"))


def _pg_sh(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["bash", str(PG_SH), *args], capture_output=True, text=True, check=check, timeout=120
    )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _live_clients(clients: Path) -> list[Path]:
    live = []
    for marker in clients.glob("*"):
        pid = int(marker.name.split("-")[0]) if marker.name.split("-")[0].isdigit() else -1
        try:
            os.kill(pid, 0)
            live.append(marker)
        except (ProcessLookupError, ValueError, OverflowError):
            marker.unlink(missing_ok=True)
        except PermissionError:
            live.append(marker)
    return live


@contextmanager
def _pg_lock() -> Iterator[None]:
    """Serialize start and stop across the pytest processes of this checkout (xdist workers, other runs)."""
    PG_ROOT.mkdir(parents=True, exist_ok=True)
    with open(PG_ROOT / "tests.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _start(clients: Path) -> None:
    status = _pg_sh("status", check=False)
    was_up = status.returncode == 0
    port_chosen = bool(os.environ.get("ARTICLE_RECS_PG_PORT"))
    if was_up and not port_chosen:  # ours, on the port an earlier session picked: use it
        os.environ["ARTICLE_RECS_PG_PORT"] = re.search(r"127\.0\.0\.1:(\d+)", status.stdout).group(1)
    up = _pg_sh("up", check=False)
    if up.returncode != 0 and "another server already answers" in up.stderr and not port_chosen:
        # the default port belongs to another cluster (another checkout's server): take a free one
        os.environ["ARTICLE_RECS_PG_PORT"] = str(_free_port())
        up = _pg_sh("up", check=False)
    if up.returncode != 0:
        pytest.fail(f"scripts/pg.sh up failed:\n{up.stdout}{up.stderr}")
    clients.mkdir(parents=True, exist_ok=True)
    started = PG_ROOT / STARTED_BY_TESTS
    if not was_up:
        started.touch()
    elif not _live_clients(clients):
        # up, and no test session uses it: a developer's server (a marker left by a killed session is stale)
        started.unlink(missing_ok=True)
    token = clients / f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
    token.touch()
    _state["token"] = token


def _stop_if_last(clients: Path) -> None:
    token = _state["token"]
    if isinstance(token, Path):
        token.unlink(missing_ok=True)
    started = PG_ROOT / STARTED_BY_TESTS
    if started.exists() and not _live_clients(clients):
        _pg_sh("down", check=False)
        started.unlink(missing_ok=True)


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgSettings]:
    if not _have_binaries():
        message = "PostgreSQL binaries missing (make system-deps installs Debian's postgresql)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    clients = PG_ROOT / "clients"
    if _state["users"] == 0:
        with _pg_lock():
            _start(clients)
    _state["users"] = int(_state["users"]) + 1
    try:
        yield PgSettings.from_env()
    finally:
        _state["users"] = int(_state["users"]) - 1
        if _state["users"] == 0:
            with _pg_lock():
                _stop_if_last(clients)


def superuser_sql(sql: str) -> str:
    """Run SQL as the cluster's superuser over its private socket (``scripts/pg.sh psql``)."""
    proc = _pg_sh("psql", "-At", "-c", sql, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"superuser SQL failed: {proc.stderr.strip()}")
    return proc.stdout


def create_database(settings: PgSettings, name: str) -> PgSettings:
    admin = connect(settings, autocommit=True)
    try:
        with admin.cursor() as cur:
            cur.execute(f'drop database if exists "{name}" with (force)')
            cur.execute(f'create database "{name}"')
    finally:
        admin.close()
    return settings.with_(database=name)


def drop_database(settings: PgSettings, name: str) -> None:
    """Drop a test database. An autovacuum worker busy in it (a superuser process the project's role may not
    terminate) makes `with (force)` fail: then drop it as the superuser over the private socket."""
    import psycopg2

    admin = connect(settings, autocommit=True)
    try:
        with admin.cursor() as cur:
            cur.execute(f'drop database if exists "{name}" with (force)')
    except (psycopg2.errors.InsufficientPrivilege, psycopg2.errors.ObjectInUse):
        superuser_sql(f'drop database if exists "{name}" with (force)')
    finally:
        admin.close()


@pytest.fixture
def pg_database(pg_server: PgSettings) -> Iterator[PgSettings]:
    name = f"ar_t_{os.getpid()}_{next(_counter)}"
    settings = create_database(pg_server, name)
    try:
        yield settings
    finally:
        drop_database(pg_server, name)


def pg_env(settings: PgSettings) -> dict[str, str]:
    """Environment for a subprocess (CLI, dbt) that should talk to ``settings``."""
    env = dict(os.environ)
    env.update(
        ARTICLE_RECS_PG_HOST=settings.host,
        ARTICLE_RECS_PG_PORT=str(settings.port),
        ARTICLE_RECS_PG_USER=settings.user,
        ARTICLE_RECS_PG_PASSWORD=settings.password,
        ARTICLE_RECS_PG_DATABASE=settings.database,
    )
    return env

"""pytest fixtures for tests that need the project's PostgreSQL. Import them in a test module:

    from pg_fixtures import pg_database, pg_server  # noqa: F401

``pg_server`` (session) starts the server exactly as developers and CI do (``scripts/pg.sh up``, i.e.
``make pg-up``) and yields its :class:`PgSettings`. When ARTICLE_RECS_PG_PORT is not set and the default
port is taken by another cluster (another checkout's server), it picks a free port for the session. At the
end of the session it stops the server again only if this session started it and no other pytest process
on the machine is still using it (each registers itself in ``<pg root>/clients/``): a developer's own
``make pg-up`` server, or one another engineer's test run is using, keeps running. Without PostgreSQL
binaries the tests are skipped, except under CI (CI=true), where that is a failure (``make test`` runs
``make system-deps`` first).

``pg_database`` (function) is a fresh database of its own (``ar_t_<pid>_<n>``), dropped afterwards, so tests
never share tables with each other or with parallel runs.
"""

from __future__ import annotations

import itertools
import os
import re
import socket
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from article_recs.serving.connection import PgSettings, connect

REPO = Path(__file__).resolve().parents[2]
PG_SH = REPO / "scripts" / "pg.sh"
PG_ROOT = Path(os.environ.get("ARTICLE_RECS_PG_ROOT") or REPO / ".pg")
_counter = itertools.count()
_state: dict[str, object] = {"users": 0, "started": False, "token": None}


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


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgSettings]:
    if not _have_binaries():
        message = "PostgreSQL binaries missing (make system-deps installs Debian's postgresql)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    clients = PG_ROOT / "clients"
    if _state["users"] == 0:
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
        _state["started"] = not was_up
        clients.mkdir(parents=True, exist_ok=True)
        token = clients / f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
        token.touch()
        _state["token"] = token
    _state["users"] = int(_state["users"]) + 1
    try:
        yield PgSettings.from_env()
    finally:
        _state["users"] = int(_state["users"]) - 1
        if _state["users"] == 0:
            token = _state["token"]
            if isinstance(token, Path):
                token.unlink(missing_ok=True)
            if _state["started"] and not _live_clients(clients):
                _pg_sh("down", check=False)


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

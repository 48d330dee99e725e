"""Connection settings for the project's PostgreSQL (warehouse target and serving store), from the
environment.

The variables are the ones profiles.yml and scripts/pg.sh read: ``ARTICLE_RECS_PG_HOST`` (127.0.0.1),
``ARTICLE_RECS_PG_PORT`` (55432), ``ARTICLE_RECS_PG_USER`` (article_recs), ``ARTICLE_RECS_PG_PASSWORD``
(none), ``ARTICLE_RECS_PG_DATABASE`` (article_recs), plus ``ARTICLE_RECS_PG_CONNECT_TIMEOUT`` (5 seconds).

Failures to connect become :class:`PgUnavailable`, whose message is one line naming host, port, user and
database and never the password.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from article_recs.events.errors import UnavailableError

if TYPE_CHECKING:  # heavy imports stay out of `article-recs --help`
    import duckdb
    import psycopg2.extensions

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 55432
DEFAULT_USER = "article_recs"
DEFAULT_DATABASE = "article_recs"
DEFAULT_CONNECT_TIMEOUT_S = 5


class PgUnavailable(UnavailableError):
    """PostgreSQL cannot be reached or refuses us (down, wrong port, wrong password, missing database)."""


@dataclass(frozen=True)
class PgSettings:
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    user: str = DEFAULT_USER
    password: str = ""
    database: str = DEFAULT_DATABASE
    connect_timeout: int = DEFAULT_CONNECT_TIMEOUT_S
    application_name: str = "article-recs"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: object) -> PgSettings:
        env = os.environ if env is None else env
        settings = cls(
            host=env.get("ARTICLE_RECS_PG_HOST") or DEFAULT_HOST,
            port=int(env.get("ARTICLE_RECS_PG_PORT") or DEFAULT_PORT),
            user=env.get("ARTICLE_RECS_PG_USER") or DEFAULT_USER,
            password=env.get("ARTICLE_RECS_PG_PASSWORD") or "",
            database=env.get("ARTICLE_RECS_PG_DATABASE") or DEFAULT_DATABASE,
            connect_timeout=int(env.get("ARTICLE_RECS_PG_CONNECT_TIMEOUT") or DEFAULT_CONNECT_TIMEOUT_S),
        )
        return settings.with_(**{k: v for k, v in overrides.items() if v is not None})

    def with_(self, **changes: object) -> PgSettings:
        return replace(self, **changes)  # type: ignore[arg-type]

    @property
    def where(self) -> str:
        """``host:port`` (for messages)."""
        return f"{self.host}:{self.port}"

    def describe(self) -> str:
        return f"PostgreSQL at {self.where} (user {self.user}, database {self.database})"

    def libpq_params(self) -> dict[str, str]:
        params = {
            "host": self.host,
            "port": str(self.port),
            "user": self.user,
            "dbname": self.database,
            "connect_timeout": str(self.connect_timeout),
            "application_name": self.application_name,
        }
        if self.password:
            params["password"] = self.password
        return params

    def dsn(self) -> str:
        """A libpq keyword/value connection string (holds the password: never print it)."""
        return " ".join(f"{key}={_quote_libpq(value)}" for key, value in self.libpq_params().items())


def _quote_libpq(value: str) -> str:
    if value and not re.search(r"[\s'\\]", value):
        return value
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _first_line_reason(exc: BaseException, settings: PgSettings) -> str:
    """The useful line of a libpq / DuckDB error, without the password or the DSN."""
    text = str(exc)
    if settings.password:
        text = text.replace(settings.password, "***")
    text = re.sub(r'at "[^"]*":\s*', "", text)  # DuckDB quotes the whole DSN
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    reason = lines[0] if lines else type(exc).__name__
    reason = re.sub(r"^(IO Error: )?(Unable to connect to Postgres )?", "", reason)
    reason = re.sub(r'^connection to server at "[^"]*" \([^)]*\), port \d+ failed: ', "", reason)
    reason = re.sub(r'^connection to server at "[^"]*", port \d+ failed: ', "", reason)
    return reason.rstrip(".") or type(exc).__name__


#: what to do, by what libpq said (the first match wins)
_HINTS = (
    (("password authentication failed", "no password supplied", "authentication failed"),
     "wrong user or password: check ARTICLE_RECS_PG_USER and ARTICLE_RECS_PG_PASSWORD"),
    (("does not exist",),
     "no such database or role: check ARTICLE_RECS_PG_DATABASE and ARTICLE_RECS_PG_USER"),
    (("no pg_hba.conf entry",), "the server does not accept this user or host: see its pg_hba.conf"),
    (("connection refused", "timeout expired", "could not translate host name", "no route to host",
      "server closed the connection", "is the server running"),
     "is PostgreSQL up? (`make pg-up` for the local one; ARTICLE_RECS_PG_HOST / _PORT)"),
)  # fmt: skip


def unavailable(exc: BaseException, settings: PgSettings) -> PgUnavailable:
    """The connection error in one line: what libpq said, and what to do about it."""
    reason = _first_line_reason(exc, settings)
    lowered = str(exc).lower()
    hint = next((text for needles, text in _HINTS if any(n in lowered for n in needles)), None)
    return PgUnavailable(
        f"cannot connect to {settings.describe()}: {reason}" + (f" ({hint})" if hint else "")
    )


def connect(
    settings: PgSettings | None = None, *, autocommit: bool = False
) -> psycopg2.extensions.connection:
    """A psycopg2 connection, or :class:`PgUnavailable` within ``connect_timeout`` seconds."""
    import psycopg2

    settings = settings or PgSettings.from_env()
    try:
        conn = psycopg2.connect(**settings.libpq_params())
    except psycopg2.OperationalError as exc:
        raise unavailable(exc, settings) from None
    conn.autocommit = autocommit
    return conn


@contextmanager
def connection(settings: PgSettings | None = None, *, autocommit: bool = False) -> Iterator:
    conn = connect(settings, autocommit=autocommit)
    try:
        yield conn
    finally:
        conn.close()


# ---------------------------------------------------------------------------------------------- DuckDB attach
def postgres_extension_path() -> Path:
    """The postgres_scanner extension in the duckdb-extension-postgres-scanner wheel, for this duckdb."""
    import duckdb
    import duckdb_extension_postgres_scanner

    path = (
        Path(duckdb_extension_postgres_scanner.__file__).parent
        / "extensions"
        / f"v{duckdb.__version__}"
        / "postgres_scanner.duckdb_extension"
    )
    if not path.exists():
        raise RuntimeError(
            f"{path} is missing: duckdb-extension-postgres-scanner must match duckdb {duckdb.__version__}"
        )
    return path


def load_postgres_extension(con: duckdb.DuckDBPyConnection) -> None:
    """Load DuckDB's postgres extension from its PyPI wheel (never from the network). LOAD straight from the
    wheel's file: nothing is copied into ~/.duckdb, so parallel processes cannot race on an INSTALL."""
    con.execute(f"LOAD '{postgres_extension_path()}'")


def attach_postgres(
    con: duckdb.DuckDBPyConnection, settings: PgSettings, *, alias: str = "pg", read_only: bool = False
) -> None:
    """ATTACH the PostgreSQL database to a DuckDB connection as ``alias`` (loads the extension first)."""
    load_postgres_extension(con)
    options = "TYPE postgres" + (", READ_ONLY" if read_only else "")
    try:
        con.execute(f"ATTACH '{settings.dsn().replace(chr(39), chr(39) * 2)}' AS {alias} ({options})")
    except Exception as exc:  # duckdb.IOException, with the DSN (and password) in its text
        raise unavailable(exc, settings) from None

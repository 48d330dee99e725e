"""The project's settings, resolved in one place: where the project is, which warehouse, which DuckDB file.

Environment variables (the ones profiles.yml reads, so Python and dbt agree):

- ``ARTICLE_RECS_DUCKDB_PATH``: the DuckDB warehouse; default ``warehouse/article_recs.duckdb``. A relative
  value is relative to the project directory, as dbt (run from the project) resolves it.
- ``ARTICLE_RECS_TARGET``: ``duckdb`` (default) or ``postgres``, the dbt target profiles.yml picks.
- ``ARTICLE_RECS_PG_*``: the PostgreSQL connection (:class:`article_recs.serving.connection.PgSettings`).
"""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
DEFAULT_DUCKDB_PATH = "warehouse/article_recs.duckdb"  # profiles.yml's default for the dev target
DUCKDB_PATH_HELP = f"DuckDB warehouse (default: $ARTICLE_RECS_DUCKDB_PATH or {DEFAULT_DUCKDB_PATH})"


def duckdb_path(explicit: str | os.PathLike[str] | None = None) -> Path:
    """The DuckDB warehouse: ``explicit`` (a command-line path: relative to the shell's folder), else
    ``ARTICLE_RECS_DUCKDB_PATH`` or the default (relative to the project, as dbt resolves it)."""
    if explicit:
        return Path(explicit)
    path = Path(os.environ.get("ARTICLE_RECS_DUCKDB_PATH") or DEFAULT_DUCKDB_PATH)
    return path if path.is_absolute() else PROJECT_DIR / path


def target() -> str:
    """The warehouse dbt builds: ``postgres`` when ARTICLE_RECS_TARGET says so, else ``duckdb``."""
    return "postgres" if os.environ.get("ARTICLE_RECS_TARGET", "").lower() == "postgres" else "duckdb"

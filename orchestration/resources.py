"""Where things are: the dbt project, its manifest, the warehouse file, the dbt vars and the alert webhook.

Everything honours the same environment variables as dbt itself, so a test or a second engineer can run
Dagster beside other dbt runs without sharing files:

- ``DBT_TARGET_PATH``      dbt artifacts (manifest.json, one sub-folder per Dagster dbt invocation); default
                           ``target`` in the project directory.
- ``DBT_PROFILES_DIR``     where profiles.yml is; default the project directory.
- ``ARTICLE_RECS_DUCKDB_PATH``  the DuckDB file (read by profiles.yml; the metadata and the quality checks
                           read the same file).
- ``ARTICLE_RECS_DBT_VARS`` dbt ``--vars`` for the scheduled build (YAML or JSON), e.g.
                           ``{"article_recs__events_path": "/data/snowplow/enriched/**/*.tsv.gz"}``.
- ``ARTICLE_RECS_ALERT_WEBHOOK_URL``  Slack-compatible incoming webhook for run failures (unset: logged only).
- ``ARTICLE_RECS_DAGSTER_URL``  base URL of the Dagster UI, for links in alerts; default http://127.0.0.1:3000.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import yaml
from dagster_dbt import DbtCliResource, DbtProject

from article_recs import settings
from article_recs.dbt_runner import dbt_executable
from article_recs.settings import PROJECT_DIR

DEFAULT_DAGSTER_URL = "http://127.0.0.1:3000"



def dbt_target_path() -> Path:
    """The dbt target folder: DBT_TARGET_PATH, else ``target`` (relative to the project directory)."""
    return Path(os.environ.get("DBT_TARGET_PATH") or "target")


def dbt_profiles_dir() -> Path:
    return Path(os.environ.get("DBT_PROFILES_DIR") or PROJECT_DIR)


def build_dbt_project() -> DbtProject:
    return DbtProject(
        project_dir=PROJECT_DIR,
        target_path=dbt_target_path(),
        profiles_dir=dbt_profiles_dir(),
    )


def build_dbt_resource(project: DbtProject) -> DbtCliResource:
    # The dbt next to this interpreter (the project's .venv), not whichever `dbt` is first on PATH.
    return DbtCliResource(project_dir=project, dbt_executable=dbt_executable())


def prepare_manifest(project: DbtProject) -> None:
    """Make sure ``project.manifest_path`` exists before ``@dbt_assets`` reads it: dagster-dbt's
    ``prepare_if_dev()`` parses the project on every code load under ``dagster dev`` (model edits show up on
    "Reload definitions"); elsewhere (tests, a daemon, a clean clone) it is parsed when there is none. A
    deployment parses once at build time (``dbt parse``), as dagster-dbt advises.
    """
    project.prepare_if_dev()
    if not project.manifest_path.exists():
        build_dbt_resource(project).cli(["parse", "--quiet"], target_path=project.target_path).wait()
    if not project.manifest_path.exists():
        raise FileNotFoundError(f"dbt parse did not write {project.manifest_path}")


def dbt_vars() -> dict[str, object]:
    """dbt vars for the build, from ARTICLE_RECS_DBT_VARS (YAML or JSON mapping); empty when unset."""
    raw = os.environ.get("ARTICLE_RECS_DBT_VARS", "").strip()
    if not raw:
        return {}
    parsed = yaml.safe_load(raw)
    if not isinstance(parsed, dict):
        raise ValueError(f"ARTICLE_RECS_DBT_VARS must be a YAML/JSON mapping, got {raw!r}")
    return parsed


def dbt_vars_args() -> list[str]:
    values = dbt_vars()
    return ["--vars", json.dumps(values)] if values else []


def warehouse_duckdb_path() -> Path:
    """The DuckDB file dbt writes (:func:`article_recs.settings.duckdb_path`)."""
    return settings.duckdb_path()


def alert_webhook_url() -> str | None:
    return os.environ.get("ARTICLE_RECS_ALERT_WEBHOOK_URL", "").strip() or None


def dagster_url() -> str:
    return (os.environ.get("ARTICLE_RECS_DAGSTER_URL", "").strip() or DEFAULT_DAGSTER_URL).rstrip("/")

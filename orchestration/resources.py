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
import logging
import os
from pathlib import Path

import yaml
from dagster_dbt import DbtCliResource, DbtProject
from dagster_dbt.dbt_project import using_dagster_dev

from article_recs.dbt_runner import dbt_executable

PROJECT_DIR = Path(__file__).resolve().parent.parent

DEFAULT_DUCKDB_PATH = "warehouse/article_recs.duckdb"  # profiles.yml's default for the dev target
DEFAULT_DAGSTER_URL = "http://127.0.0.1:3000"

logger = logging.getLogger("article_recs.orchestration")


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


# Files whose change makes a parsed manifest stale (besides the folders dbt_project.yml names).
PROJECT_FILES = ("dbt_project.yml", "profiles.yml", "packages.yml", "dependencies.yml", "selectors.yml")
DBT_SUFFIXES = {".sql", ".yml", ".yaml", ".csv", ".md", ".jinja"}
PATH_KEYS = ("model-paths", "macro-paths", "seed-paths", "test-paths", "analysis-paths", "snapshot-paths")


def project_sources_newer_than(project: DbtProject, when: float) -> Path | None:
    """A project file modified after ``when`` (a timestamp), or None."""
    config = yaml.safe_load((project.project_dir / "dbt_project.yml").read_text()) or {}
    candidates = [project.project_dir / name for name in PROJECT_FILES]
    for key in PATH_KEYS:
        # dbt reads .py only as Python models (tests/python holds pytest files, not dbt's)
        suffixes = DBT_SUFFIXES | ({".py"} if key == "model-paths" else set())
        for folder in config.get(key, []):
            for root, dirs, files in os.walk(project.project_dir / folder):
                dirs[:] = [d for d in dirs if not d.startswith((".", "__"))]
                candidates += [Path(root) / name for name in files if Path(name).suffix in suffixes]
    for path in candidates:
        try:
            if path.stat().st_mtime > when:
                return path
        except FileNotFoundError:
            continue
    return None


def manifest_is_stale(project: DbtProject) -> bool:
    if not project.manifest_path.exists():
        return True
    newer = project_sources_newer_than(project, project.manifest_path.stat().st_mtime)
    if newer is not None:
        logger.info("%s changed since %s was parsed", newer, project.manifest_path)
    return newer is not None


def prepare_manifest(project: DbtProject) -> None:
    """Make sure ``project.manifest_path`` exists, and describes the project as it is, before ``@dbt_assets``
    reads it.

    Under ``dagster dev`` the project is parsed on every code load (as dagster-dbt's ``prepare_if_dev``
    does), so model edits show up on "Reload definitions". Elsewhere (tests, a daemon, a clean clone) it is
    parsed when the manifest is missing or older than a project file: a stale manifest would make the
    build run models Dagster does not know about. ``dbt parse`` uses the project's profiles dir and writes
    to the target path above (partial parsing keeps a re-parse quick).
    """
    if using_dagster_dev() or manifest_is_stale(project):
        logger.info("dbt parse -> %s", project.manifest_path)
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
    """The DuckDB file dbt writes, resolved the way profiles.yml resolves it (relative to the project)."""
    path = Path(os.environ.get("ARTICLE_RECS_DUCKDB_PATH") or DEFAULT_DUCKDB_PATH)
    return path if path.is_absolute() else PROJECT_DIR / path


def alert_webhook_url() -> str | None:
    return os.environ.get("ARTICLE_RECS_ALERT_WEBHOOK_URL", "").strip() or None


def dagster_url() -> str:
    return (os.environ.get("ARTICLE_RECS_DAGSTER_URL", "").strip() or DEFAULT_DAGSTER_URL).rstrip("/")

"""Run dbt commands against this project from Python (CLI verbs, tests, benchmarks).

dbt runs in a subprocess: each invocation gets a fresh adapter and its own DuckDB connection, so the
file lock is released when it returns, and a failure cannot leave state behind in the caller.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from article_recs.settings import PROJECT_DIR  # noqa: E402 - re-exported for the callers of run_dbt

#: the scheduled two-hourly build: seeds, models and data tests. Unit tests test the code, not the data, and
#: the code does not change between runs: they run in CI and `make test` (dbt's advice for production).
SCHEDULED_BUILD_ARGS = ["build", "--exclude-resource-type", "unit_test"]
#: the Snowplow layers (staging to the core and monitoring marts) and the seeds they read: what a
#: dbt-snowplow-web user compares, and what the incremental tests build (not the recommender models on top)
SNOWPLOW_SELECTION = [
    "path:models/staging",
    "path:models/intermediate",
    "path:models/marts/core",
    "path:models/marts/monitoring",
    "sites",
    "bot_useragent_patterns",
]


class DbtError(RuntimeError):
    """A dbt command failed; the message carries dbt's own error lines."""


@dataclass(frozen=True)
class DbtResult:
    args: list[str]
    returncode: int
    stdout: str
    stderr: str

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    def error_lines(self) -> str:
        keep = [
            line
            for line in self.stdout.splitlines()
            if any(word in line for word in ("ERROR", "Error", "FAIL", "error:", "Failure", "WARN"))
        ]
        return "\n".join(keep[-40:]) or self.stdout[-4000:] or self.stderr[-4000:]


def dbt_executable() -> str:
    """The dbt of this interpreter's environment (the project's .venv when run from it)."""
    # sys.prefix too: a code server started by `dg dev` may run the base interpreter of the venv
    for folder in (Path(sys.executable).parent, Path(sys.prefix) / "bin"):
        if (folder / "dbt").exists():
            return str(folder / "dbt")
    return "dbt"


def dbt_env(
    *,
    duckdb_path: str | os.PathLike[str] | None = None,
    target_path: str | os.PathLike[str] | None = None,
    target: str | None = None,
    extra: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """Environment for a dbt subprocess: the project's profiles.yml, and optional overrides of the DuckDB
    file, the target folder (keep parallel runs apart) and the profile target."""
    env = dict(os.environ)
    env.setdefault("DBT_PROFILES_DIR", str(PROJECT_DIR))
    env.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    env.setdefault("GX_ANALYTICS_ENABLED", "false")
    if duckdb_path is not None:
        env["ARTICLE_RECS_DUCKDB_PATH"] = str(duckdb_path)
    if target_path is not None:
        env["DBT_TARGET_PATH"] = str(target_path)
        env["DBT_LOG_PATH"] = str(Path(target_path) / "logs")
    if target is not None:
        env["ARTICLE_RECS_TARGET"] = target
    if extra:
        env.update(extra)
    return env


def run_dbt(
    args: Sequence[str],
    *,
    dbt_vars: Mapping[str, object] | None = None,
    duckdb_path: str | os.PathLike[str] | None = None,
    target_path: str | os.PathLike[str] | None = None,
    target: str | None = None,
    env: Mapping[str, str] | None = None,
    check: bool = True,
    stream: bool = False,
) -> DbtResult:
    """Run `dbt <args>` in the project directory. With check, a failure raises DbtError with dbt's error
    lines. With stream, dbt's output goes to this process's stdout as it runs (and is not captured)."""
    command = [dbt_executable(), *args]
    if dbt_vars:
        command += ["--vars", json.dumps(dict(dbt_vars))]
    proc = subprocess.run(
        command,
        cwd=PROJECT_DIR,
        env=dbt_env(duckdb_path=duckdb_path, target_path=target_path, target=target, extra=env),
        text=True,
        capture_output=not stream,
    )
    result = DbtResult(command, proc.returncode, proc.stdout or "", proc.stderr or "")
    if check and not result.ok:
        raise DbtError(f"`dbt {' '.join(args)}` failed (exit {proc.returncode}):\n{result.error_lines()}")
    return result

"""The runtime apart from the tools: what the scheduled build (the Dagster definitions and the modules the dbt
Python models import), the quality run and the serving path import does not pull in the event generator,
the replay or the benchmark harness (article_recs.tools, article_recs.bench)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

RUNTIME = (
    "orchestration.definitions",  # the two-hourly build, its checks and sensors
    "article_recs.recommend.dbt_models",  # what python_models/ import
    "article_recs.recommend.ranker",
    "article_recs.cli",  # every verb is imported lazily
    "article_recs.quality.cli",
    "article_recs.quality.runner",
    "article_recs.summary",
    "article_recs.serving.api",
    "article_recs.serving.publish",
    "article_recs.serving.load_postgres",
)
TOOLS = ("article_recs.tools", "article_recs.bench")


def test_runtime_entry_points_do_not_import_the_tools(tmp_path: Path) -> None:
    code = (
        "import importlib, json, sys\n"
        f"for name in {RUNTIME!r}: importlib.import_module(name)\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    env = {**os.environ, "DBT_PROFILES_DIR": str(REPO), "DBT_TARGET_PATH": str(tmp_path / "target"),
           "ARTICLE_RECS_DUCKDB_PATH": str(tmp_path / "runtime.duckdb")}  # fmt: skip
    proc = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=600)  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    loaded = json.loads(proc.stdout.strip().splitlines()[-1])
    assert set(RUNTIME) <= set(loaded)
    pulled_in = [name for name in loaded if name.startswith(TOOLS)]
    assert pulled_in == [], f"the runtime imports tool modules: {pulled_in}"


def test_the_tools_are_their_own_packages() -> None:
    """The layout shows the split: the generator and the replay live under article_recs/tools."""
    tools = REPO / "article_recs" / "tools"
    assert {"generate.py", "replay.py"} <= {p.name for p in tools.glob("*.py")}
    assert not (REPO / "article_recs" / "events" / "generate.py").exists()

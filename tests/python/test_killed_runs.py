"""A run killed part-way (kill -9: a lost machine, an OOM kill, a deploy) loses nothing: the next normal run
ends with every mart and the current recommendations equal, row for row, to a full refresh of the same files.

The scheduled build (the whole project, data tests aside) runs on generated events landed hour by hour: a
first build, then more hours land and a build is killed with SIGKILL right after dbt reports a chosen model
built (the next model may already be running: the kill lands wherever it lands), sometimes twice in a row,
then a normal build runs. Kill points cover the event store, the sessions lifecycle, what the run rebuilds,
page views, sessions, interactions (users is built right after it, the same way) and the recommendations
(written, not yet registered); one case kills the very first (full) run, one kills no run (the control).
Before the run manifest (int_runs_completed), a run killed after the event store committed left its sessions
out of every later run.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from article_recs.dbt_runner import PROJECT_DIR, dbt_env, dbt_executable, run_dbt

pytestmark = pytest.mark.slow

BUILD = ["build", "--exclude-resource-type", "test", "--exclude-resource-type", "unit_test"]
#: every table a reader or a model reads (the marts, the monitoring marts, the stateful scratch tables)
TABLES = [
    "marts.page_views",
    "marts.sessions",
    "marts.users",
    "marts.articles",
    "marts.interactions",
    "marts.event_load_stats",
    "marts.sessions_quarantine",
    "staging.events_quarantine",
    "intermediate.int_events_deduplicated",
    "intermediate.int_sessions_lifecycle",
    "intermediate.int_articles_aggregated",
]
#: columns that record which run did the work, not what the data is
RUN_COLUMNS = {"loaded_in_run", "updated_in_run", "is_late"}
CURRENT_RECOMMENDATIONS = """
    select r.site_id, r.strategy, r.source_entity_type, r.source_entity_id, r.recommended_article_id, r.rank,
           round(r.score, 9) as score
    from recommender.recommendations as r
    inner join recommender.model_registry as m on r.model_id = m.model_id
    where m.status = 'current'
    order by all
"""
CURRENT_MODELS = """
    select site_id, strategy, n_interactions, n_readers, n_articles, n_recommendations
    from recommender.model_registry where status = 'current' order by all
"""
FIRST_CUTOFF = "2026-01-08 18"
SECOND_CUTOFF = "2026-01-09 23"
#: (case, the models after which successive builds are killed, whether the first build is killed too)
CASES = [
    ("no_kill", [], False),
    ("after_event_store", ["int_events_deduplicated"], False),
    ("after_sessions_lifecycle", ["int_sessions_lifecycle"], False),
    ("twice_after_sessions_this_run_then_sessions", ["int_sessions_this_run", "sessions"], False),
    ("after_page_views", ["page_views"], False),
    ("after_interactions", ["interactions"], False),
    ("after_recommendations_before_registry", ["recommendations"], False),
    ("first_full_run_after_page_views", ["page_views"], True),
]
OK_CREATED = re.compile(r"OK created .* model [a-z_]+\.([a-z_]+) ")


def _hour_of(path: Path, events: Path) -> str:
    y, m, d, h = path.relative_to(events).parts[:4]
    return f"{y}-{m}-{d} {h}"


def _land(generated: Path, landing: Path, cutoff: str) -> None:
    """Copy the hour folders up to `cutoff` into the landing folder (what the loader has written so far)."""
    events = generated / "events"
    for path in sorted(events.rglob("*.tsv.gz")):
        target = landing / path.relative_to(events)
        if _hour_of(path, events) <= cutoff and not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(path, target)


def _reset(generated: Path, landing: Path, cutoff: str) -> None:
    """The landing folder holds the hours up to `cutoff`, no more."""
    shutil.rmtree(landing, ignore_errors=True)
    _land(generated, landing, cutoff)


def _vars(generated: Path, landing: Path) -> dict:
    return {
        "article_recs__events_path": f"{landing}/**/*.tsv*",
        "article_recs__article_metadata_path": str(generated / "articles" / "articles.csv"),
        "article_recs__ground_truth_path": "",
        "article_recs__max_session_days": 1,
        "article_recs__als_threads": 1,  # one thread: ALS is deterministic, its lists comparable row for row
    }


def _killed_build(dbt_vars: dict, db: Path, target: Path, after_model: str) -> None:
    """Start the build and SIGKILL dbt as soon as it reports `after_model` built."""
    command = [dbt_executable(), *BUILD, "--vars", json.dumps(dbt_vars)]
    proc = subprocess.Popen(
        command, cwd=PROJECT_DIR, env=dbt_env(duckdb_path=db, target_path=target), text=True,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )
    assert proc.stdout is not None
    seen = []
    for line in proc.stdout:
        seen.append(line)
        match = OK_CREATED.search(line)
        if match and match.group(1) == after_model:
            os.kill(proc.pid, signal.SIGKILL)
            break
    proc.stdout.close()
    code = proc.wait()
    assert code == -signal.SIGKILL, f"the build ended before {after_model} was built:\n{''.join(seen[-30:])}"


def _state(db: Path) -> dict[str, list[tuple]]:
    with duckdb.connect(str(db), read_only=True) as con:
        result = {}
        for table in TABLES:
            columns = [c for c in con.sql(f"select * from {table} limit 0").columns if c not in RUN_COLUMNS]
            result[table] = con.sql(f"select {', '.join(columns)} from {table} order by all").fetchall()
        result["current recommendations"] = con.sql(CURRENT_RECOMMENDATIONS).fetchall()
        result["current models"] = con.sql(CURRENT_MODELS).fetchall()
        return result


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("killed") / "gen"
    subprocess.run(
        [str(Path(sys.executable).parent / "article-recs"), "generate", "--out", str(out), "--users", "300",
         "--articles", "40", "--days", "3", "--sites", "2", "--seed", "11", "--end", "2026-01-10", "--quiet"],
        check=True,
    )
    return out


@pytest.fixture(scope="module")
def landing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The one landing folder every build reads: the warehouse names the files it read, so the reference, the
    first build and every case land their files at the same paths."""
    return tmp_path_factory.mktemp("landing") / "events"


@pytest.fixture(scope="module")
def reference(
    generated: Path, landing: Path, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, list[tuple]]:
    """A full build of every file up to the second cutoff, in a warehouse of its own."""
    root = tmp_path_factory.mktemp("reference")
    _reset(generated, landing, SECOND_CUTOFF)
    db = root / "full.duckdb"
    run_dbt(BUILD, dbt_vars=_vars(generated, landing), duckdb_path=db, target_path=root / "target")
    state = _state(db)
    assert len(state["marts.page_views"]) > 100 and len(state["current recommendations"]) > 100
    served = {row[1] for row in state["current recommendations"]}
    assert {"als", "item_knn", "popularity", "trending"} <= served
    return state


@pytest.fixture(scope="module")
def first_build(generated: Path, landing: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The warehouse after a normal build of the hours up to the first cutoff (each case starts from it)."""
    root = tmp_path_factory.mktemp("first")
    _reset(generated, landing, FIRST_CUTOFF)
    run_dbt(BUILD, dbt_vars=_vars(generated, landing), duckdb_path=root / "first.duckdb",
            target_path=root / "target")
    return root / "first.duckdb"


@pytest.mark.parametrize(("case", "kill_after", "first_run"), CASES, ids=[case[0] for case in CASES])
def test_a_killed_run_then_a_normal_run_equals_a_full_refresh(
    case: str, kill_after: list[str], first_run: bool, generated: Path, landing: Path, first_build: Path,
    reference: dict[str, list[tuple]], tmp_path: Path,
) -> None:
    db = tmp_path / "warehouse.duckdb"
    if not first_run:
        shutil.copy(first_build, db)
    _reset(generated, landing, SECOND_CUTOFF)
    dbt_vars = _vars(generated, landing)

    for model in kill_after:
        _killed_build(dbt_vars, db, tmp_path / "target", model)
    run_dbt(BUILD, dbt_vars=dbt_vars, duckdb_path=db, target_path=tmp_path / "target")

    with duckdb.connect(str(db), read_only=True) as con:
        last = con.sql(
            "select is_full_refresh from marts.snowplow_run_stats order by run_seq desc limit 1"
        ).fetchone()
    # the rerun after a killed incremental run is incremental too: it redoes the killed run's work, no more
    assert last[0] == first_run, "a killed first run is redone in full, a killed later run incrementally"
    state = _state(db)
    for name, rows in reference.items():
        assert state[name] == rows, (
            f"{case}: {name} differs from a full refresh "
            f"({len(state[name])} rows against {len(rows)}; "
            f"missing {len(set(rows) - set(state[name]))}, extra {len(set(state[name]) - set(rows))})"
        )

"""The Snowplow models alone, as a dbt-snowplow-web user would compare them (issue #17): a full build of the
tier's full window and a run after one more hour of events, on DuckDB (files) and on PostgreSQL
(``article-recs load-postgres`` into ``atomic.events``, then the models with ``article_recs__events_source:
atomic``). dbt-snowplow-web itself cannot be installed here (no dbt hub), so its figures are the issue's,
measured outside the project; these are the four article-recs figures to hold against them.

Each full build starts from an empty warehouse; each incremental run adds the next hour of the increment
window (DuckDB: to a copy of the warehouse the full build left; PostgreSQL: loaded into the same database,
so run *i* runs on top of the *i - 1* hours before it). Loading is not measured.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from article_recs.bench import tiers as tiers_mod
from article_recs.bench.measure import Sample, summarize
from article_recs.dbt_runner import SCHEDULED_BUILD_ARGS, SNOWPLOW_SELECTION, dbt_env, dbt_executable

if TYPE_CHECKING:
    from article_recs.bench.run import Bench, DbtPlace
    from article_recs.bench.tiers import Tier, TierData

#: ... built with their tests, not the tests of recommender models that reference them
SNOWPLOW_MODELS = [*SCHEDULED_BUILD_ARGS, "--indirect-selection", "cautious", "-s", *SNOWPLOW_SELECTION]
#: targets on this machine, from the issue: 3x faster than dbt-snowplow-web on Postgres (43.2 s full, 6.4 s
#: one more hour) on DuckDB, no slower than it on Postgres
TARGETS_S = {
    "duckdb": {"full": 14.0, "one_more_hour": 2.0},
    "postgres": {"full": 43.2, "one_more_hour": 6.0},
}
BENCH_DATABASE = "article_recs_bench_snowplow"


def _hour_folder(root: Path, files, start, hours: int = 1) -> list[Path]:
    """Hard links to the files of the ``hours`` after ``start`` under ``root`` (created)."""
    return tiers_mod.link_window(files, root, start, start + timedelta(hours=hours))


def _summary(samples: list[Sample], command: list[str], target_s: float) -> dict:
    out = summarize(samples, dbt_elapsed_s="dbt_elapsed_s")
    out["command"] = "dbt " + " ".join(command)
    out["target_wall_s"] = target_s
    return out


def on_duckdb(bench: Bench, tier: Tier, data: TierData, files, landing: Path, work: Path) -> dict:
    from article_recs.bench.run import dbt_vars_for

    place = bench.place(work / "snowplow_duckdb")
    place.root.mkdir(parents=True, exist_ok=True)
    dbt_vars = dbt_vars_for(data, landing)
    repeats = bench.repeats(tier, "build_repeats")
    bench.dbt("snowplow-duckdb-parse", place, ["parse"], dbt_vars, tier.name)
    full: list[Sample] = []
    for i in range(repeats):
        place.remove_db()
        full.append(bench.dbt(f"snowplow-duckdb-full-{i + 1}", place, SNOWPLOW_MODELS, dbt_vars, tier.name))
    out: dict = {"full": _summary(full, SNOWPLOW_MODELS, TARGETS_S["duckdb"]["full"])}
    if not full[-1].ok:
        out["one_more_hour"] = {"status": "not measured: the full build failed"}
        return out
    base = place.root / "warehouse-full.duckdb"
    shutil.copy(place.db, base)
    start, _ = tier.windows()["increment"]
    runs: list[Sample] = []
    for i in range(bench.repeats(tier, "incremental_repeats")):
        shutil.copy(base, place.db)
        Path(f"{place.db}.wal").unlink(missing_ok=True)
        links = _hour_folder(landing, files, start)
        try:
            runs.append(
                bench.dbt(f"snowplow-duckdb-hour-{i + 1}", place, SNOWPLOW_MODELS, dbt_vars, tier.name)
            )
        finally:
            for link in links:
                link.unlink(missing_ok=True)
    base.unlink(missing_ok=True)
    out["one_more_hour"] = _summary(runs, SNOWPLOW_MODELS, TARGETS_S["duckdb"]["one_more_hour"])
    return out


def _postgres_env(place: DbtPlace) -> dict[str, str]:
    env = dbt_env(target_path=place.target, target="postgres")
    env["DBT_LOG_PATH"] = str(place.root / "logs")
    env["ARTICLE_RECS_PG_DATABASE"] = BENCH_DATABASE
    return env


def _load(env: dict[str, str], folder: Path, articles: str | None, replace: bool) -> None:
    command = [sys.executable, "-m", "article_recs.cli", "load-postgres", "--input", str(folder), "--quiet"]
    if replace:
        command.append("--replace")
    if articles:
        command += ["--articles", articles]
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"load-postgres failed: {(done.stderr or done.stdout).strip()[-2000:]}")


def on_postgres(bench: Bench, tier: Tier, data: TierData, files, work: Path) -> dict:
    from article_recs.bench.run import DbtPlace, log
    from article_recs.serving.bench import _recreate_database
    from article_recs.serving.connection import PgSettings, PgUnavailable

    settings = PgSettings.from_env()
    try:
        _recreate_database(settings, BENCH_DATABASE)
    except PgUnavailable as exc:
        return {"status": f"not measured: {exc}"}
    place = DbtPlace(work / "snowplow_postgres")
    place.root.mkdir(parents=True, exist_ok=True)
    env = _postgres_env(place)
    loads = place.root / "loads"
    if loads.exists():
        shutil.rmtree(loads)
    start, stop = tier.windows()["full"]
    log(f"[{tier.name}] load-postgres: the full window into {BENCH_DATABASE} (not measured)")
    tiers_mod.link_window(files, loads / "full" / "events", start, stop)
    articles = str(next(iter(sorted(Path(data.root).glob("gen/chunk-*/articles/articles.csv"))), "")) or None
    _load(env, loads / "full", articles, replace=True)
    dbt_vars = {
        "article_recs__events_source": "atomic",
        "article_recs__article_metadata_path": "",
        "article_recs__ground_truth_path": "",
    }

    def run(name: str, extra: list[str]) -> Sample:
        command = [dbt_executable(), *SNOWPLOW_MODELS, *extra, "--vars", json.dumps(dbt_vars)]
        sample = bench.measured(name, command, env=env, tier=tier.name)
        results = place.target / "run_results.json"
        if results.exists():
            kept = bench.run_dir / tier.name / f"{name}.run_results.json"
            shutil.copy(results, kept)
            sample.extra["run_results"] = str(kept)
            sample.extra["dbt_elapsed_s"] = json.loads(results.read_text()).get("elapsed_time")
        return sample

    parse = [dbt_executable(), "parse", "--vars", json.dumps(dbt_vars)]
    bench.measured("snowplow-postgres-parse", parse, env=env, tier=tier.name)
    repeats = bench.repeats(tier, "build_repeats")
    full = [run(f"snowplow-postgres-full-{i + 1}", ["--full-refresh"]) for i in range(repeats)]
    out: dict = {
        "events_database": BENCH_DATABASE,
        "full": _summary(full, [*SNOWPLOW_MODELS, "--full-refresh"], TARGETS_S["postgres"]["full"]),
    }
    if not full[-1].ok:
        out["one_more_hour"] = {"status": "not measured: the full build failed"}
        return out
    increment, _ = tier.windows()["increment"]
    runs: list[Sample] = []
    for i in range(bench.repeats(tier, "incremental_repeats")):
        folder = loads / f"hour-{i + 1}"
        (folder / "events").mkdir(parents=True, exist_ok=True)
        if _hour_folder(folder / "events", files, increment + timedelta(hours=i)):
            _load(env, folder, None, replace=False)
        runs.append(run(f"snowplow-postgres-hour-{i + 1}", []))
    out["one_more_hour"] = _summary(runs, SNOWPLOW_MODELS, TARGETS_S["postgres"]["one_more_hour"])
    return out

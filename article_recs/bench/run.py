"""Run the benchmarks of one or more tiers and write the results (see the package doc).

Every dbt invocation is isolated: its own DuckDB file (``ARTICLE_RECS_DUCKDB_PATH``), target and log folders
(``DBT_TARGET_PATH``, ``DBT_LOG_PATH``) under the work folder, the DuckDB target forced, and dbt vars pointing
at the tier's landing folders. Nothing is read from or written to the project's own warehouse or target.
"""

from __future__ import annotations

import json
import os
import platform
import re
import shutil
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from article_recs.bench import snowplow as snowplow_mod
from article_recs.bench import tiers as tiers_mod
from article_recs.bench.measure import Sample, median, ratio, run_measured, summarize, wait_until_quiet
from article_recs.bench.tiers import TIERS, Tier, TierData
from article_recs.dbt_runner import (
    PROJECT_DIR,
    SCHEDULED_BUILD_ARGS,
    SNOWPLOW_SELECTION,
    dbt_env,
    dbt_executable,
)

#: the layers (layer_of) of the Snowplow models: the folders of SNOWPLOW_SELECTION, one list for both
SNOWPLOW_LAYERS = tuple(
    s.removeprefix("path:models/") for s in SNOWPLOW_SELECTION if s.startswith("path:models/")
)
MEASUREMENTS = ("build", "scan", "profile", "als", "incremental", "snowplow", "serving", "api")
NO_TESTS = ["--exclude-resource-type", "test", "--exclude-resource-type", "unit_test"]
#: what runs every two hours: the whole project (the Dagster job), and the Snowplow layers alone
INCREMENTAL_VARIANTS = {
    "project": list(SCHEDULED_BUILD_ARGS),
    "snowplow": [*SCHEDULED_BUILD_ARGS, "-s", *SNOWPLOW_SELECTION],
}


def log(message: str) -> None:
    print(f"[bench {datetime.now().strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


@dataclass
class Options:
    tiers: list[str]
    out_dir: Path
    work_dir: Path
    data_dir: Path
    skip: frozenset[str] = frozenset()
    repeats: int | None = None  # override every tier's repeat counts
    quiet_load: float = 1.0
    wait_quiet_s: float = 0.0
    retries: int = 0
    retry_wait_s: float = 120.0
    keep_work: bool = False
    timeout_s: float | None = None
    ablate_budget_s: float = 0.0  # CPU seconds for the column costs of a profiled model (0: off)
    memory_limit: str | None = (
        None  # DuckDB memory_limit for the dbt builds (None: the profile's, i.e. 80% RAM)
    )


# ================================================================================================= dbt
def effective_memory_limit(override: str | None) -> str:
    """The DuckDB memory_limit the dbt builds run with: the harness's override, else the profile's
    (ARTICLE_RECS_DUCKDB_MEMORY_LIMIT, default 3GB - profiles.yml)."""
    return override or os.environ.get("ARTICLE_RECS_DUCKDB_MEMORY_LIMIT") or "3GB"


def write_profiles(folder: Path, memory_limit: str) -> Path:
    """A copy of the project's profiles.yml whose DuckDB target sets ``memory_limit`` (dbt-duckdb's
    ``config_options``, given to duckdb.connect); returns its folder (for DBT_PROFILES_DIR)."""
    import yaml

    profiles = yaml.safe_load((PROJECT_DIR / "profiles.yml").read_text())
    for profile in profiles.values():
        for output in (profile.get("outputs") or {}).values():
            if output.get("type") == "duckdb":
                output.setdefault("config_options", {})["memory_limit"] = memory_limit
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "profiles.yml").write_text(yaml.safe_dump(profiles, sort_keys=False, width=1000))
    return folder


def events_reader_sql(glob: str) -> str:
    """The DuckDB reader expression of the dbt source ``snowplow_files.events_tsv`` (its
    ``external_location``) with the events glob filled in: the scan floor reads exactly like the build."""
    import yaml

    path = PROJECT_DIR / "models" / "staging" / "snowplow" / "_snowplow__sources.yml"
    doc = yaml.safe_load(path.read_text())
    source = next(s for s in doc["sources"] if s["name"] == "snowplow_files")
    table = next(t for t in source["tables"] if t["name"] == "events_tsv")
    template = " ".join(table["meta"]["external_location"].split())
    sql, n = re.subn(
        r"\{\{\s*var\(\s*['\"]article_recs__events_path['\"]\s*\)\s*\}\}", glob.replace("'", "''"), template
    )
    if n != 1 or "{{" in sql:
        raise RuntimeError(f"cannot fill the events glob into the source's external_location: {template}")
    return sql


def dbt_vars_for(data: TierData, landing: Path) -> dict:
    return {
        "article_recs__events_source": "tsv",
        "article_recs__events_path": f"{landing}/**/*.tsv*",
        "article_recs__article_metadata_path": data.article_metadata_glob,
        # production has no hidden truth: the oracle evaluation model stays empty (as on real events)
        "article_recs__ground_truth_path": "",
    }


@dataclass
class DbtPlace:
    """Where one scenario's dbt runs: a DuckDB file and a target folder of its own."""

    root: Path
    profiles_dir: Path | None = (
        None  # a profiles.yml of the harness's (with --memory-limit), else the project's
    )

    @property
    def db(self) -> Path:
        return self.root / "warehouse.duckdb"

    @property
    def target(self) -> Path:
        return self.root / "target"

    def env(self) -> dict[str, str]:
        env = dbt_env(duckdb_path=self.db, target_path=self.target, target="dev")
        env["DBT_LOG_PATH"] = str(self.root / "logs")
        if self.profiles_dir is not None:
            env["DBT_PROFILES_DIR"] = str(self.profiles_dir)
        return env

    def remove_db(self) -> None:
        for suffix in ("", ".wal"):
            Path(f"{self.db}{suffix}").unlink(missing_ok=True)


def error_lines(log_path: Path, limit: int = 25) -> str:
    try:
        text = log_path.read_text(errors="replace")
    except OSError:
        return ""
    keep = [ln for ln in text.splitlines() if re.search(r"ERROR|Error|FAIL|Failure|Traceback|error:", ln)]
    return "\n".join(keep[-limit:]) or text[-3000:]


class Bench:
    def __init__(self, options: Options) -> None:
        self.o = options
        self.stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        self.run_dir = options.out_dir / "runs" / self.stamp
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self.profiles_dir = (
            write_profiles(self.run_dir / "profiles", options.memory_limit) if options.memory_limit else None
        )

    def place(self, root: Path) -> DbtPlace:
        return DbtPlace(root, self.profiles_dir)

    # ---------------------------------------------------------------------------------------- helpers
    def measured(
        self,
        name: str,
        command: list[str],
        *,
        env: dict | None = None,
        tier: str = "",
        log_name: str | None = None,
    ) -> Sample:
        """Run one measured command (after waiting for a quiet machine if asked)."""
        wait_until_quiet(self.o.quiet_load, self.o.wait_quiet_s, log)
        log_path = self.run_dir / tier / f"{log_name or name}.log"
        log_path.parent.mkdir(parents=True, exist_ok=True)
        sample = run_measured(
            command, env=env, cwd=PROJECT_DIR, log_path=log_path, timeout_s=self.o.timeout_s
        )
        sample.extra["log"] = str(log_path)
        state = "ok" if sample.ok else f"FAILED (exit {sample.returncode}, log {log_path})"
        log(
            f"  {name}: wall {sample.wall_s:.1f} s, cpu {sample.cpu_s:.1f} s, "
            f"max rss {sample.max_rss_bytes / 2**30:.2f} GiB, load {sample.load_start[0]:.1f} -> "
            f"{sample.load_end[0]:.1f}: {state}"
        )
        return sample

    def with_retries(self, what: str, attempt: Callable[[], Sample]) -> Sample:
        """Run ``attempt``; when it fails (a build broken upstream while others work on the models), wait and
        try again up to ``retries`` times. The failed attempts are kept in the sample's extra."""
        failures = []
        for i in range(self.o.retries + 1):
            sample = attempt()
            if sample.ok:
                break
            failures.append(
                {"log": sample.extra.get("log"), "errors": error_lines(Path(sample.extra.get("log", "")))}
            )
            if i < self.o.retries:
                log(f"  {what} failed; retrying in {self.o.retry_wait_s:.0f} s:\n{failures[-1]['errors']}")
                time.sleep(self.o.retry_wait_s)
        if failures:
            sample.extra["failed_attempts"] = failures
        if not sample.ok:
            sample.extra["errors"] = error_lines(Path(sample.extra.get("log", "")))
            log(f"  {what} failed:\n{sample.extra['errors']}")
        return sample

    def dbt(self, name: str, place: DbtPlace, args: list[str], dbt_vars: dict, tier: str) -> Sample:
        command = [dbt_executable(), *args, "--vars", json.dumps(dbt_vars)]
        sample = self.measured(name, command, env=place.env(), tier=tier)
        results_path = place.target / "run_results.json"
        if results_path.exists() and results_path.stat().st_mtime >= time.time() - sample.wall_s - 5:
            kept = self.run_dir / tier / f"{name}.run_results.json"
            shutil.copy(results_path, kept)
            sample.extra["run_results"] = str(kept)
            try:
                results = json.loads(results_path.read_text())
                sample.extra["dbt_elapsed_s"] = results.get("elapsed_time")
                sample.extra["failed_nodes"] = [
                    r["unique_id"] for r in results["results"] if r["status"] in ("error", "fail")
                ]
                if sample.returncode != 0 and only_data_tests_failed(results):
                    sample.extra["only_tests_failed"] = True
                if sample.extra.get("tree_peak_at"):
                    sample.extra["peak_node"] = node_running_at(results, sample.extra["tree_peak_at"])
            except (OSError, ValueError, KeyError):
                pass
        return sample

    def repeats(self, tier: Tier, field: str) -> int:
        return self.o.repeats if self.o.repeats else getattr(tier, field)

    # ------------------------------------------------------------------------------------------ tiers
    def run_tier(self, tier: Tier) -> dict:
        out: dict = {"tier": tier.to_dict(), "memory_limit": effective_memory_limit(self.o.memory_limit)}
        log(f"tier {tier.name}: {tier.label}")
        data = tiers_mod.ensure_data(tier, self.o.data_dir, log)
        work = self.o.work_dir / tier.name
        landings = {}
        files = tiers_mod.event_files(data)
        for window in ["full"] + [f"history_{d}d" for d in tier.history_days]:
            landing = work / "landing" / window
            if landing.exists():
                shutil.rmtree(landing)
            start, stop = tier.windows()[window]
            tiers_mod.link_window(files, landing, start, stop)
            landings[window] = landing
        out["data"] = {
            "root": str(data.root),
            "generated_s": data.generated_seconds,
            "generated_lines": data.events,
            "chunks": [
                {
                    "seed": m["seed"],
                    "window_start": m["window_start"],
                    "window_end": m["window_end"],
                    "lines": m["lines"],
                }
                for m in data.manifests
            ],
            "windows": {k: [a.isoformat(), b.isoformat()] for k, (a, b) in tier.windows().items()},
        }
        out["data"]["lines_per_window"] = self._count_lines(files, tier)

        full_place = self.place(work / "full")
        full_vars = dbt_vars_for(data, landings["full"])
        if "build" not in self.o.skip:
            out["full_build"] = self.full_build(tier, full_place, full_vars)
        if "scan" not in self.o.skip:
            out["scan"] = self.scan(tier, landings["full"])
        if "build" not in self.o.skip and "scan" not in self.o.skip:
            fb, sc = out["full_build"], out["scan"]
            out["build_vs_scan"] = {
                "wall_ratio": ratio(fb["wall_s"], sc["query_wall_s"]),
                "cpu_ratio": ratio(fb["cpu_s"], sc["query_cpu_s"]),
                "target": 4.0,
            }
        if full_place.db.exists() and out.get("full_build", {}).get("ok_runs"):
            if "profile" not in self.o.skip:
                out["full_build"]["profile"] = self.profile_slowest(
                    tier, full_place, out["full_build"], "full-build"
                )
            if "als" not in self.o.skip:
                out["als"] = self.als(tier, full_place, out["full_build"])
        elif "als" not in self.o.skip:
            out["als"] = {"status": "not measured: no successful full build to train on"}
        if "incremental" not in self.o.skip:
            out["incremental"] = self.incremental(tier, data, files, landings, work)
        if "snowplow" not in self.o.skip:
            log(f"[{tier.name}] Snowplow models only: full build and one more hour, DuckDB and PostgreSQL")
            out["snowplow"] = {
                "duckdb": snowplow_mod.on_duckdb(self, tier, data, files, landings["full"], work),
                "postgres": snowplow_mod.on_postgres(self, tier, data, files, work),
            }
        if not self.o.keep_work:
            for place in work.glob("*/warehouse*.duckdb*"):
                # DuckDB spills to a folder beside the file (warehouse.duckdb.tmp) when the build outgrows
                # its memory_limit
                if place.is_dir():
                    shutil.rmtree(place, ignore_errors=True)
                else:
                    place.unlink(missing_ok=True)
        return out

    def _count_lines(self, files, tier: Tier) -> dict:
        """Lines (events) per window, counted from the files' gzip streams (cheap next to a build)."""
        import gzip

        counts = {}
        for window, (start, stop) in tier.windows().items():
            if window not in ("full", "increment"):
                continue
            n = 0
            for path, _, hour in files:
                if start <= hour < stop:
                    opener = gzip.open if path.suffix == ".gz" else open
                    with opener(path, "rb") as fh:
                        n += sum(chunk.count(b"\n") for chunk in iter(lambda fh=fh: fh.read(1 << 20), b""))
            counts[window] = n
        return counts

    # ------------------------------------------------------------------------------------- full build
    def full_build(self, tier: Tier, place: DbtPlace, dbt_vars: dict) -> dict:
        log(f"[{tier.name}] full dbt build x{self.repeats(tier, 'build_repeats')}")
        place.root.mkdir(parents=True, exist_ok=True)
        # parse once with the same profile and vars, so that every measured build starts from a partial parse
        self.dbt("full-build-parse", place, ["parse"], dbt_vars, tier.name)
        samples = []
        for i in range(self.repeats(tier, "build_repeats")):

            def attempt(i: int = i) -> Sample:
                place.remove_db()
                return self.dbt(f"full-build-{i + 1}", place, ["build"], dbt_vars, tier.name)

            samples.append(self.with_retries(f"full build {i + 1}", attempt))
        summary = summarize(samples, dbt_elapsed_s="dbt_elapsed_s")
        summary["breakdown"] = breakdown(
            [s.extra.get("run_results") for s in samples if s.ok],
            place.target / "manifest.json",
            "full-build",
        )
        return summary

    # ------------------------------------------------------------------------------------------- scan
    def scan(self, tier: Tier, landing: Path) -> dict:
        sql = events_reader_sql(f"{landing}/**/*.tsv*")
        log(f"[{tier.name}] raw scan x{self.repeats(tier, 'scan_repeats')}")
        samples = []
        for i in range(self.repeats(tier, "scan_repeats")):
            s = self.measured(
                f"scan-{i + 1}",
                [sys.executable, "-m", "article_recs.bench.probe", "scan", "--sql", sql],
                tier=tier.name,
            )
            s.extra.update(_last_json(Path(s.extra["log"])))
            samples.append(s)
        summary = summarize(samples, query_wall_s="query_wall_s", query_cpu_s="query_cpu_s", rows="rows")
        summary["reader_sql"] = sql
        return summary

    # ---------------------------------------------------------------------------------------- profile
    def profile_slowest(self, tier: Tier, place: DbtPlace, build: dict, label: str) -> dict:
        """DuckDB's JSON profile of the slowest SQL model of a build, on the warehouse that build left."""
        slow = [
            n
            for n in build.get("breakdown", {}).get("nodes", [])
            if n["type"] == "model" and n.get("language") == "sql" and n.get("compiled_code_file")
        ]
        if not slow:
            return {"status": "no SQL model with compiled code in run_results"}
        return self.profile_node(tier, place, slow[0], label)

    def profile_node(self, tier: Tier, place: DbtPlace, node: dict, label: str) -> dict:
        """DuckDB's JSON profile of one SQL model's compiled code, on ``place``'s warehouse."""
        out_json = self.o.out_dir / "profiles" / f"{self.stamp}-{tier.name}-{label}-{node['name']}.json"
        out_json.parent.mkdir(parents=True, exist_ok=True)
        log(f"[{tier.name}] profiling {node['name']} ({label})")
        s = self.measured(
            f"profile-{label}-{node['name']}",
            [
                sys.executable,
                "-m",
                "article_recs.bench.probe",
                "profile",
                "--db",
                str(place.db),
                "--sql-file",
                node["compiled_code_file"],
                "--out",
                str(out_json),
                "--ablate-budget",
                str(self.o.ablate_budget_s),
            ],
            tier=tier.name,
        )
        result = {
            "model": node["name"],
            "model_seconds_in_build": node["seconds"],
            "profile_json": str(out_json),
            "sample": s.to_dict(),
        }
        if s.ok:
            result.update(_last_json(Path(s.extra["log"])))
        else:
            result["status"] = "profile failed: " + error_lines(Path(s.extra["log"]))
        return result

    # -------------------------------------------------------------------------------------------- als
    def als(self, tier: Tier, place: DbtPlace, build: dict) -> dict:
        n = self.repeats(tier, "als_repeats")
        log(f"[{tier.name}] ALS model vs bare implicit x{n}")
        prof = self.o.out_dir / "profiles" / f"{self.stamp}-{tier.name}-als.prof"
        prof.parent.mkdir(parents=True, exist_ok=True)
        s = self.measured(
            "als",
            [
                sys.executable,
                "-m",
                "article_recs.bench.probe",
                "als",
                "--db",
                str(place.db),
                "--manifest",
                str(place.target / "manifest.json"),
                "--repeats",
                str(n),
                "--cprofile",
                str(prof),
            ],
            tier=tier.name,
        )
        if not s.ok:
            return {"status": "failed: " + error_lines(Path(s.extra["log"])), "sample": s.to_dict()}
        result = _last_json(Path(s.extra["log"]))
        runs = result.pop("runs")
        keys = [k for k in runs[0] if k.endswith("_s")]
        out = {k: median([r[k] for r in runs]) for k in keys}
        out.update(result)
        out["runs"] = runs
        out["wall_ratio"] = ratio(out["model_wall_s"], out["bare_wall_s"])
        out["cpu_ratio"] = ratio(out["model_cpu_s"], out["bare_cpu_s"])
        out["target"] = 1.2
        out["process"] = s.to_dict()
        node = next(
            (x for x in build.get("breakdown", {}).get("nodes", []) if x["name"] == result["model"]), None
        )
        out["dbt_node_seconds_in_build"] = node["seconds"] if node else None
        return out

    # ------------------------------------------------------------------------------------ incremental
    def incremental(self, tier: Tier, data: TierData, files, landings: dict, work: Path) -> dict:
        out: dict = {"increment_hours": tier.increment_hours, "target_wall_s": 10.0, "target_ratio": 1.3}
        for days in tier.history_days:
            out[f"{days}d"] = self.incremental_on(tier, data, files, landings[f"history_{days}d"], work, days)
        lo, hi = (f"{d}d" for d in (min(tier.history_days), max(tier.history_days)))
        out["ratios"] = {}
        for variant in INCREMENTAL_VARIANTS if lo != hi else ():  # one history (quick tier): no ratio
            a, b = out.get(lo, {}).get(variant) or {}, out.get(hi, {}).get(variant) or {}
            if a.get("wall_s") and b.get("wall_s"):
                out["ratios"][variant] = {
                    "wall_ratio": ratio(b["wall_s"], a["wall_s"]),
                    "cpu_ratio": ratio(b["cpu_s"], a["cpu_s"]),
                }
                out.setdefault("growth", {})[variant] = growth(a.get("breakdown"), b.get("breakdown"))
        # the model whose time grows most with history: what keeps the ratio above 1
        first = next((v for v in INCREMENTAL_VARIANTS if v in (out.get("growth") or {})), None)
        if first and "profile" not in self.o.skip:
            grown = [g for g in out["growth"][first] if g.get("compiled_code_file") and g["delta_s"] > 0]
            profiled = (out.get(hi) or {}).get("profile", {}).get("model")
            if grown and grown[0]["name"] != profiled:
                place = self.place(work / f"incremental_{hi}")
                out["growth_profile"] = self.profile_node(tier, place, grown[0], f"incremental-{hi}-growth")
        return out

    def incremental_on(self, tier: Tier, data: TierData, files, landing: Path, work: Path, days: int) -> dict:
        """Build ``days`` of history (not measured), then, from a copy of that warehouse each time, land the
        increment's files and run each incremental variant (measured; variants interleaved)."""
        key = f"{days}d"
        start, stop = tier.windows()["increment"]
        place = self.place(work / f"incremental_{key}")
        place.root.mkdir(parents=True, exist_ok=True)
        dbt_vars = dbt_vars_for(data, landing)
        base = place.root / "warehouse-history.duckdb"
        log(f"[{tier.name}] incremental on {days} days of history: history build")

        def setup() -> Sample:
            place.remove_db()
            return self.dbt(f"incremental-{key}-history", place, ["build", *NO_TESTS], dbt_vars, tier.name)

        history = self.with_retries(f"history build {key}", setup)
        result: dict = {"history_build": history.to_dict()}
        if not history.ok:
            result["status"] = "not measured: the history build failed"
            return result
        shutil.copy(place.db, base)
        variants = [v for v in INCREMENTAL_VARIANTS if v in tier.incremental_variants]
        samples: dict[str, list[Sample]] = {v: [] for v in variants}
        stats: dict[str, list[dict | None]] = {v: [] for v in variants}

        def attempt(name: str, variant: str) -> Sample:
            shutil.copy(base, place.db)
            Path(f"{place.db}.wal").unlink(missing_ok=True)
            links = tiers_mod.link_window(files, landing, start, stop)
            try:
                return self.dbt(name, place, INCREMENTAL_VARIANTS[variant], dbt_vars, tier.name)
            finally:
                stats[variant].append(_last_run_stats(place.db))
                for link in links:
                    link.unlink(missing_ok=True)
                _prune_empty_dirs(landing)

        for i in range(self.repeats(tier, "incremental_repeats")):
            for variant in variants:
                name = f"incremental-{key}-{variant}-{i + 1}"
                samples[variant].append(
                    self.with_retries(name, lambda name=name, variant=variant: attempt(name, variant))
                )
        for variant, runs in samples.items():
            summary = summarize(runs, dbt_elapsed_s="dbt_elapsed_s")
            summary["command"] = "dbt " + " ".join(INCREMENTAL_VARIANTS[variant])
            summary["run_stats"] = stats[variant][-1] if stats[variant] else None
            summary["breakdown"] = breakdown(
                [s.extra.get("run_results") for s in runs if s.ok],
                place.target / "manifest.json",
                f"incremental-{key}-{variant}",
            )
            result[variant] = summary
        profiled = result[variants[0]]
        if days == max(tier.history_days) and profiled["ok_runs"] and "profile" not in self.o.skip:
            # the warehouse holds the last run's state; profile the slowest SQL model of the first variant
            result["profile"] = self.profile_slowest(tier, place, profiled, f"incremental-{key}")
        base.unlink(missing_ok=True)
        return result

    # ---------------------------------------------------------------------------------------- serving
    def serving(self, rows: int, queries: int, repeats: int) -> dict:
        bench = PROJECT_DIR / "article_recs" / "serving" / "bench.py"
        if not bench.exists():
            return {"status": "not measured: article_recs/serving/bench.py does not exist"}
        log(f"serving read path: {rows:,} rows, {queries} queries x{repeats}")
        samples, reports = [], []
        for i in range(repeats):
            s = self.measured(
                f"serving-{i + 1}",
                [
                    sys.executable,
                    "-m",
                    "article_recs.serving.bench",
                    "--rows",
                    str(rows),
                    "--queries",
                    str(queries),
                    "--drop-after",
                ],
            )
            samples.append(s)
            if not s.ok:
                text = Path(s.extra["log"]).read_text(errors="replace").strip().splitlines()
                return {
                    "status": "not measured: " + (text[-1] if text else f"exit {s.returncode}"),
                    "sample": s.to_dict(),
                }
            reports.append(_last_json(Path(s.extra["log"]), whole=True))
        out = {
            k: median([r.get(k) for r in reports]) for k in ("p50_ms", "p95_ms", "p99_ms", "queries_per_s")
        }
        out.update(
            rows=reports[-1].get("rows"),
            queries=queries,
            runs=len(reports),
            index_used=all(r.get("index_used") for r in reports),
            reports=[{k: v for k, v in r.items() if k != "plan"} for r in reports],
            samples=[s.to_dict() for s in samples],
        )
        return out

    def api(self, rows: int, requests: int, max_seconds: float) -> dict:
        """The HTTP API under load (article_recs/serving/api_bench.py): one run, bounded in count and time."""
        log(f"serving API load: {rows:,} rows, at most {requests:,} requests or {max_seconds:g} s per level")
        s = self.measured(
            "api",
            [sys.executable, "-m", "article_recs.serving.api_bench", "--rows", str(rows), "--requests",
             str(requests), "--max-seconds", str(max_seconds)],
        )  # fmt: skip
        if not s.ok:
            text = Path(s.extra["log"]).read_text(errors="replace").strip().splitlines()
            return {"status": "not measured: " + (text[-1] if text else f"exit {s.returncode}")}
        return _last_json(Path(s.extra["log"]), whole=True)

    # -------------------------------------------------------------------------------------------- all
    def run(self) -> dict:
        started = datetime.now(UTC)
        results: dict = {
            "started_at": started.isoformat(timespec="seconds"),
            "machine": machine_info(),
            "options": {
                "memory_limit": self.o.memory_limit,
                "tiers": self.o.tiers,
                "skip": sorted(self.o.skip),
                "repeats": self.o.repeats,
                "quiet_load": self.o.quiet_load,
                "wait_quiet_s": self.o.wait_quiet_s,
            },
            "tiers": {},
        }
        for name in self.o.tiers:
            try:
                results["tiers"][name] = self.run_tier(TIERS[name])
            except Exception as exc:  # keep what the other tiers measured
                log(f"tier {name} failed: {exc!r}")
                results["tiers"][name] = {"tier": TIERS[name].to_dict(), "status": f"failed: {exc!r}"}
            # what is measured so far survives an interrupted run
            (self.run_dir / "partial-results.json").write_text(json.dumps(results, indent=2, default=str))
        if "serving" not in self.o.skip:
            biggest = TIERS[self.o.tiers[-1]]
            results["serving"] = self.serving(
                biggest.serving_rows, biggest.serving_queries, self.repeats(biggest, "serving_repeats")
            )
        if "api" not in self.o.skip:
            biggest = TIERS[self.o.tiers[-1]]
            results["api"] = self.api(biggest.serving_rows, biggest.api_requests, biggest.api_max_seconds)
        results["finished_at"] = datetime.now(UTC).isoformat(timespec="seconds")
        results["machine"]["load_end"] = [round(x, 2) for x in os.getloadavg()]
        results["run_dir"] = str(self.run_dir)
        return results


# ============================================================================================ helpers
def _last_json(log_path: Path, whole: bool = False) -> dict:
    """The JSON object a probe printed last (``whole``: the log's JSON document that may span lines)."""
    text = log_path.read_text(errors="replace")
    if whole:
        start = text.find("{")
        return json.loads(text[start:]) if start >= 0 else {}
    for line in reversed(text.splitlines()):
        line = line.strip()
        if line.startswith("{"):
            return json.loads(line)
    return {}


def _last_run_stats(db: Path) -> dict | None:
    import duckdb

    try:
        with duckdb.connect(str(db), read_only=True) as con:
            rel = con.sql("select * from marts.snowplow_run_stats order by run_seq desc limit 1")
            row = rel.fetchone()
            return (
                {
                    k: (v if isinstance(v, int | float | bool | type(None)) else str(v))
                    for k, v in zip(rel.columns, row, strict=True)
                }
                if row
                else None
            )
    except Exception as exc:  # the stats model may be missing while models are reworked
        return {"error": repr(exc)}


def _prune_empty_dirs(root: Path) -> None:
    for path in sorted((p for p in root.rglob("*") if p.is_dir()), key=lambda p: -len(p.parts)):
        try:
            path.rmdir()
        except OSError:
            pass


def only_data_tests_failed(run_results: dict) -> bool:
    """True when the nodes that failed are all data tests and nothing was skipped: every model ran, so the
    build's time counts (the failures are data, reported). A failing unit test skips its model: no timing."""
    results = run_results.get("results", [])
    failed = [r["unique_id"] for r in results if r["status"] in ("error", "fail")]
    skipped = any(r["status"] == "skipped" for r in results)
    return bool(failed) and not skipped and all(f.startswith("test.") for f in failed)


def growth(small: dict | None, large: dict | None, top: int = 8) -> list[dict]:
    """Nodes whose median time grew most from the ``small`` to the ``large`` breakdown (the SQL models keep
    their compiled code file, from the large run, for profiling)."""
    if not small or not large:
        return []
    before = {n["id"]: n["seconds"] or 0.0 for n in small.get("nodes", [])}
    rows = []
    for n in large.get("nodes", []):
        row = {
            "name": n["name"],
            "type": n["type"],
            "small_s": before.get(n["id"], 0.0),
            "large_s": n["seconds"],
        }
        row["delta_s"] = (n["seconds"] or 0.0) - row["small_s"]
        if n["type"] == "model" and n.get("language") == "sql" and n.get("compiled_code_file"):
            row["compiled_code_file"] = n["compiled_code_file"]
            row["seconds"] = n["seconds"]
        rows.append(row)
    rows.sort(key=lambda r: -r["delta_s"])
    return rows[:top]


def node_running_at(run_results: dict, epoch: float) -> str | None:
    """The node dbt was compiling or executing at ``epoch`` (run_results timings are UTC), else None."""
    for r in run_results.get("results", []):
        for t in r.get("timing") or []:
            try:
                start = datetime.fromisoformat(t["started_at"].replace("Z", "+00:00")).timestamp()
                end = datetime.fromisoformat(t["completed_at"].replace("Z", "+00:00")).timestamp()
            except (KeyError, TypeError, ValueError):
                continue
            if start <= epoch <= end + 0.5:
                return r["unique_id"]
    return None


def node_name(unique_id: str) -> str:
    """A short name: the model / seed / test name; a unit test as ``model::test``."""
    parts = unique_id.split(".")
    if parts[0] == "unit_test" and len(parts) >= 4:
        return f"{parts[2]}::{parts[3]}"
    return parts[2] if len(parts) >= 3 else unique_id


def layer_of(original_file_path: str) -> str:
    parts = Path(original_file_path).parts
    if not parts:
        return "?"
    if parts[0] == "models" and len(parts) > 2:
        return "/".join(parts[1:3]) if len(parts) > 3 else parts[1]
    if parts[0] == "python_models":
        return "/".join(parts[:2])
    return parts[0]


def breakdown(run_results_paths: list[str | None], manifest_path: Path, label: str = "build") -> dict:
    """Per-node median seconds over the runs (dbt's run_results), costliest first, with totals per resource
    type and per layer (models only: the folder under models/)."""
    runs = []
    for p in run_results_paths:
        if p:
            try:
                runs.append(json.loads(Path(p).read_text()))
            except (OSError, ValueError):
                pass
    if not runs:
        return {}
    try:
        manifest_nodes = json.loads(Path(manifest_path).read_text())["nodes"]
    except (OSError, ValueError, KeyError):
        manifest_nodes = {}
    per_node: dict[str, list[float]] = {}
    compiled: dict[str, str] = {}
    for run in runs:
        for r in run["results"]:
            per_node.setdefault(r["unique_id"], []).append(float(r["execution_time"]))
            if r.get("compiled_code"):
                compiled[r["unique_id"]] = r["compiled_code"]
    code_dir = Path(next(p for p in reversed(run_results_paths) if p)).parent / f"compiled-{label}"
    nodes = []
    for uid, times in per_node.items():
        m = manifest_nodes.get(uid, {})
        node = {
            "id": uid,
            "name": node_name(uid),
            "type": uid.split(".")[0],
            "seconds": median(times),
            "language": m.get("language"),
            "layer": layer_of(m.get("original_file_path", ""))
            if uid.startswith("model.")
            else uid.split(".")[0],
            "materialized": (m.get("config") or {}).get("materialized"),
        }
        if uid.startswith("model.") and uid in compiled and node["language"] == "sql":
            code_dir.mkdir(parents=True, exist_ok=True)
            path = code_dir / f"{node['name']}.sql"
            path.write_text(compiled[uid])
            node["compiled_code_file"] = str(path)
        nodes.append(node)
    nodes.sort(key=lambda n: -(n["seconds"] or 0))
    by_type: dict[str, float] = {}
    by_layer: dict[str, float] = {}
    for n in nodes:
        by_type[n["type"]] = by_type.get(n["type"], 0.0) + (n["seconds"] or 0)
        if n["type"] == "model":
            by_layer[n["layer"]] = by_layer.get(n["layer"], 0.0) + (n["seconds"] or 0)
    snowplow = sum(v for k, v in by_layer.items() if k.startswith(SNOWPLOW_LAYERS))
    return {
        "runs": len(runs),
        "dbt_elapsed_s": median([r.get("elapsed_time") for r in runs]),
        "by_type": dict(sorted(by_type.items(), key=lambda kv: -kv[1])),
        "by_layer": dict(sorted(by_layer.items(), key=lambda kv: -kv[1])),
        "snowplow_models_s": snowplow,
        "nodes": nodes,
    }


def machine_info() -> dict:
    import duckdb

    mem = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem = int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        from importlib.metadata import version

        dbt_version, dbt_duckdb = version("dbt-core"), version("dbt-duckdb")
        implicit_version = version("implicit")
    except Exception:
        dbt_version = dbt_duckdb = implicit_version = None
    cpu_model = None
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "hostname": platform.node(),
        "cores": os.cpu_count(),
        "cpu_model": cpu_model,
        "memory_bytes": mem,
        "load_start": [round(x, 2) for x in os.getloadavg()],
        "platform": platform.platform(),
        "python": platform.python_version(),
        "duckdb": duckdb.__version__,
        "dbt_core": dbt_version,
        "dbt_duckdb": dbt_duckdb,
        "implicit": implicit_version,
    }

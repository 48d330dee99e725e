"""The measurements that run in a process of their own (so that their CPU time and memory are theirs alone):

- ``scan``: DuckDB's ``select count(*)`` over the events reader (the floor of any build);
- ``profile``: one compiled model's SQL with DuckDB's JSON profiling on, and its costliest operators;
- ``als``: the ``als_lists`` dbt Python model, called the way dbt calls it on a full build
  (``model(dbt, session)`` with ``dbt.ref`` giving DuckDB relations of the built warehouse, not incremental:
  every cut of ``recommender_cuts`` is fitted; then the table written back), against bare ``implicit`` (fit,
  ``similar_items`` for every item, ``recommend`` for every reader) on the same confidence matrices, one per
  (site, cut), built from the warehouse's ``recommender_training_interactions``.

``python -m article_recs.bench.probe {scan,profile,als} ...`` prints one JSON object on its last line.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
import time
from pathlib import Path
from typing import Any


class _Clock:
    """Wall and process-CPU seconds of a block (CPU counts every thread of this process)."""

    def __enter__(self) -> _Clock:
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall_s = time.perf_counter() - self.wall
        self.cpu_s = time.process_time() - self.cpu


# ================================================================================================ scan
def scan(reader_sql: str, threads: int | None = None) -> dict:
    import duckdb

    con = duckdb.connect()
    if threads:
        con.execute(f"set threads = {int(threads)}")
    with _Clock() as clock:
        rows = con.sql(f"select count(*) from {reader_sql}").fetchone()[0]
    return {
        "rows": int(rows),
        "query_wall_s": clock.wall_s,
        "query_cpu_s": clock.cpu_s,
        "threads": int(con.sql("select current_setting('threads')").fetchone()[0]),
    }


# ============================================================================================= profile
def _walk(node: dict, out: list[dict], depth: int = 0) -> None:
    name = node.get("operator_name") or node.get("operator_type") or node.get("query_name") or "?"
    extra = node.get("extra_info") or {}
    out.append(
        {
            "operator": str(name).strip(),
            "depth": depth,
            "seconds": float(node.get("operator_timing") or 0.0),
            "rows": node.get("operator_cardinality"),
            "extra_info": {k: (v if len(str(v)) < 400 else str(v)[:400] + "...") for k, v in extra.items()}
            if isinstance(extra, dict)
            else str(extra)[:400],
        }
    )
    for child in node.get("children") or []:
        _walk(child, out, depth + 1)


def summarize_profile(profile: dict, top: int = 8) -> dict:
    """The operators of a DuckDB JSON profile, costliest first (their own time, not their children's)."""
    ops: list[dict] = []
    for child in profile.get("children") or []:
        _walk(child, ops)
    total = sum(op["seconds"] for op in ops) or None
    ranked = sorted(ops, key=lambda op: -op["seconds"])
    for op in ranked:
        op["share"] = round(op["seconds"] / total, 3) if total else None
    return {
        "latency_s": profile.get("latency"),
        "cpu_time_s": profile.get("cpu_time"),
        "operators_total_s": total,
        "top_operators": ranked[:top],
    }


def column_costs(con, sql: str, budget_s: float, top: int = 10) -> dict:
    """Which output columns cost the most: the CPU seconds of ``select count("col") from (<sql>)`` over
    ``select count(*)`` (DuckDB computes only what a column needs, through views too), single-threaded.
    Skipped when (columns + 1) x the baseline would exceed ``budget_s``."""
    con.execute("set threads = 1")
    columns = [d[0] for d in con.sql(f"select * from ({sql}) limit 0").description]

    def cpu(query: str) -> float:
        started = time.process_time()
        con.sql(query).fetchall()
        return time.process_time() - started

    baseline = cpu(f"select count(*) from ({sql})")
    estimate = baseline * (len(columns) + 1)
    if estimate > budget_s:
        return {
            "status": f"skipped: about {estimate:.0f} s of CPU for {len(columns)} columns, "
            f"over the budget of {budget_s:.0f} s",
            "baseline_cpu_s": baseline,
        }
    costs = []
    for col in columns:
        quoted = col.replace('"', '""')
        costs.append({"column": col, "cpu_s": cpu(f'select count("{quoted}") from ({sql})') - baseline})
    costs.sort(key=lambda c: -c["cpu_s"])
    everything = cpu(f"select count(*) from (select * from ({sql}))")
    return {"baseline_cpu_s": baseline, "all_columns_cpu_s": everything, "top_columns": costs[:top]}


def profile_query(db: str, sql: str, out_json: str, ablate_budget_s: float = 0.0) -> dict:
    import duckdb

    con = duckdb.connect(db)
    con.execute("pragma enable_profiling = 'json'")
    con.execute(f"pragma profiling_output = '{out_json}'")
    con.execute("pragma profiling_mode = 'detailed'")
    with _Clock() as clock:
        con.execute(f"create or replace temp table __bench_profile as {sql}")
    con.execute("pragma disable_profiling")
    rows = con.sql("select count(*) from __bench_profile").fetchone()[0]
    con.execute("drop table __bench_profile")
    summary = summarize_profile(json.loads(Path(out_json).read_text()))
    result = {"rows": int(rows), "query_wall_s": clock.wall_s, "query_cpu_s": clock.cpu_s, **summary}
    if ablate_budget_s > 0:
        result["column_costs"] = column_costs(con, sql, ablate_budget_s)
    con.close()
    return result


# ================================================================================================= als
class _Config:
    def __init__(self, config: dict) -> None:
        self._config = config

    def __call__(self, **kwargs: Any) -> None:  # dbt.config(materialized=...) in the model body
        return None

    def get(self, key: str, default: Any = None) -> Any:
        return self._config.get(key, default)

    def meta_get(self, key: str, default: Any = None) -> Any:
        return (self._config.get("meta") or {}).get(key, default)


class _Dbt:
    """What a dbt-duckdb Python model sees as ``dbt``: ``ref`` (a DuckDB relation), ``config``, ``this`` and
    ``is_incremental`` (False: a full build, every cut computed)."""

    is_incremental = False

    def __init__(self, con: Any, manifest: dict, node: dict) -> None:
        self._con = con
        self._by_name = {
            n["name"]: n for n in manifest["nodes"].values() if n["resource_type"] in ("model", "seed")
        }
        self.config = _Config(node["config"])
        self.this = self._relation(node)

    @staticmethod
    def _relation(node: dict) -> str:
        return f'"{node["database"]}"."{node["schema"]}"."{node.get("alias") or node["name"]}"'

    def ref(self, name: str, *args: Any, **kwargs: Any) -> Any:
        # as dbt-duckdb's local environment does (a view works too)
        return self._con.query(f"select * from {self._relation(self._by_name[name])}")


def _load_model(project_dir: Path, node: dict):
    path = project_dir / node["original_file_path"]
    spec = importlib.util.spec_from_file_location(f"_bench_model_{node['name']}", path)
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def _cprofile_top(
    stats_path: str,
    prefixes: tuple[str, ...] = ("article_recs", "implicit", "pandas", "duckdb"),
    top: int = 15,
) -> list[dict]:
    """The functions of a cProfile dump with the most cumulative time, among the packages that matter."""
    import pstats

    stats = pstats.Stats(stats_path)
    rows = []
    for (filename, line, func), (_, ncalls, tottime, cumtime, _) in stats.stats.items():  # type: ignore[attr-defined]
        where = filename.replace("\\", "/")
        package = next((p for p in prefixes if f"/{p}/" in where), None)
        if package is None and "python_models" not in where and "duckdb" not in func.lower():
            continue
        short = where.split("/site-packages/")[-1].split("/main/")[-1]
        rows.append(
            {
                "function": f"{short}:{line}({func})",
                "calls": ncalls,
                "own_s": tottime,
                "cumulative_s": cumtime,
            }
        )
    rows.sort(key=lambda r: -r["cumulative_s"])
    return rows[:top]


def _site_matrices(matrices: dict, serving: dict) -> dict[str, dict]:
    """Per site: the (site, cut) matrices fitted (``cuts``), their non-zero cells summed (``interactions``),
    and the size of the serving cut's matrix, the model served (``readers`` x ``articles``)."""
    sites: dict[str, dict] = {}
    for (site, cut_at), m in matrices.items():
        entry = sites.setdefault(site, {"cuts": 0, "interactions": 0, "readers": 0, "articles": 0})
        entry["cuts"] += 1
        entry["interactions"] += int(m.nnz)
        if serving.get(site) == cut_at:
            entry.update(readers=int(m.shape[0]), articles=int(m.shape[1]))
    return sites


def als(
    db: str,
    manifest_path: str,
    repeats: int = 3,
    model_name: str = "als_lists",
    cprofile_out: str | None = None,
) -> dict:
    import duckdb
    import numpy as np
    import pandas as pd
    from threadpoolctl import threadpool_limits

    from article_recs.dbt_runner import PROJECT_DIR
    from article_recs.recommend.als import build_user_items, new_als
    from article_recs.recommend.params import RecommenderParams

    manifest = json.loads(Path(manifest_path).read_text())
    node = next(
        n for n in manifest["nodes"].values() if n["resource_type"] == "model" and n["name"] == model_name
    )
    module = _load_model(PROJECT_DIR, node)
    con = duckdb.connect(db)
    shim = _Dbt(con, manifest, node)
    params = RecommenderParams.from_vars(shim.config.meta_get("recommender_vars"))
    n = params.recs_per_source

    # the training matrix of every (site, cut), as the model builds it (not timed: both sides start from it)
    training = shim.ref("recommender_training_interactions").df()
    serving_cuts = shim.ref("recommender_cuts").filter("is_serving").project("site_id, cut_at")
    serving = {str(site): pd.Timestamp(cut_at) for site, cut_at in serving_cuts.fetchall()}
    matrices = {}
    for (site, cut_at), rows in training.groupby(["site_id", "cut_at"], sort=True):
        matrices[(str(site), pd.Timestamp(cut_at))] = build_user_items(rows, params.als_alpha)[0]

    runs: list[dict] = []
    for _ in range(max(1, repeats)):  # model and bare interleaved
        run: dict[str, float] = {}
        with _Clock() as model_clock:
            frame = module.model(shim, con)
            with _Clock() as write_clock:
                con.register("__bench_frame", frame)
                con.execute("create or replace temp table __bench_als as select * from __bench_frame")
                con.unregister("__bench_frame")
        run.update(
            model_wall_s=model_clock.wall_s,
            model_cpu_s=model_clock.cpu_s,
            write_wall_s=write_clock.wall_s,
            write_cpu_s=write_clock.cpu_s,
            rows=len(frame),
        )
        del frame
        bare = {"fit": [0.0, 0.0], "similar_items": [0.0, 0.0], "recommend": [0.0, 0.0]}
        with threadpool_limits(limits=1, user_api="blas"):  # as the wrapper (implicit's own threads only)
            for user_items in matrices.values():
                if not user_items.nnz:
                    continue
                with _Clock() as c:
                    model = new_als(params)
                    model.fit(user_items, show_progress=False)
                bare["fit"][0] += c.wall_s
                bare["fit"][1] += c.cpu_s
                with _Clock() as c:
                    model.similar_items(np.arange(user_items.shape[1]), N=n + 1)
                bare["similar_items"][0] += c.wall_s
                bare["similar_items"][1] += c.cpu_s
                with _Clock() as c:
                    model.recommend(
                        np.arange(user_items.shape[0]), user_items, N=n, filter_already_liked_items=True
                    )
                bare["recommend"][0] += c.wall_s
                bare["recommend"][1] += c.cpu_s
        for step, (wall, cpu) in bare.items():
            run[f"bare_{step}_wall_s"], run[f"bare_{step}_cpu_s"] = wall, cpu
        run["bare_wall_s"] = sum(v[0] for v in bare.values())
        run["bare_cpu_s"] = sum(v[1] for v in bare.values())
        runs.append(run)
    profile_top = None
    if cprofile_out:  # one more call of the model under cProfile: where its time goes beyond implicit's
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
        frame = module.model(shim, con)
        con.register("__bench_frame", frame)
        con.execute("create or replace temp table __bench_als as select * from __bench_frame")
        con.unregister("__bench_frame")
        profiler.disable()
        profiler.dump_stats(cprofile_out)
        profile_top = _cprofile_top(cprofile_out)
    con.close()
    return {
        "cprofile": {"path": cprofile_out, "top": profile_top} if cprofile_out else None,
        "model": model_name,
        "runs": runs,
        "sites": _site_matrices(matrices, serving),
        "training_rows": len(training),
        "params": {
            k: v for k, v in params.to_dict().items() if k.startswith("als_") or k == "recs_per_source"
        },
    }


# ================================================================================================ main
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m article_recs.bench.probe")
    sub = parser.add_subparsers(dest="what", required=True)
    p = sub.add_parser("scan")
    p.add_argument("--sql", required=True, help="the reader expression, e.g. read_csv('...', ...)")
    p.add_argument("--threads", type=int)
    p = sub.add_parser("profile")
    p.add_argument("--db", required=True)
    p.add_argument("--sql-file", required=True)
    p.add_argument("--out", required=True, help="where DuckDB writes its JSON profile")
    p.add_argument(
        "--ablate-budget", type=float, default=0.0, help="CPU seconds for the column costs (0: off)"
    )
    p = sub.add_parser("als")
    p.add_argument("--db", required=True)
    p.add_argument("--manifest", required=True)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--cprofile", help="also profile one call of the model with cProfile, dumped here")
    args = parser.parse_args(argv)
    if args.what == "scan":
        result = scan(args.sql, args.threads)
    elif args.what == "profile":
        result = profile_query(args.db, Path(args.sql_file).read_text(), args.out, args.ablate_budget)
    else:
        result = als(args.db, args.manifest, args.repeats, cprofile_out=args.cprofile)
    print(json.dumps(result, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Spark local against DuckDB on one machine: the full build of a tier's 30-day window on each, and ALS
trained two ways on the Spark interactions of the serving cut - `implicit` on one box (what
article_recs.spark_models runs: the als_lists model's own code) and Spark MLlib's ALS(implicitPrefs=True).

    python -m article_recs.bench.spark --tier 1m [--data-dir bench/data] [--skip-duckdb]

Wall and CPU time of each step, the machine's load average before and after (the machine may be shared:
the numbers say so), written to bench/spark-<tier>-<time>.json and printed. Needs make spark-deps.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import time
from datetime import UTC, datetime
from pathlib import Path

from article_recs.bench.tiers import TIERS, TierData, fresh_landing
from article_recs.dbt_runner import PROJECT_DIR, run_dbt


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _timed(label: str, results: dict, fn, *args, **kwargs):  # noqa: ANN001, ANN202
    load_before = os.getloadavg()
    cpu0, t0 = _children_cpu() + time.process_time(), time.monotonic()
    value = fn(*args, **kwargs)
    wall, cpu = time.monotonic() - t0, _children_cpu() + time.process_time() - cpu0
    results[label] = {
        "wall_s": round(wall, 1),
        "cpu_s": round(cpu, 1),
        "load_before": [round(x, 2) for x in load_before],
        "load_after": [round(x, 2) for x in os.getloadavg()],
    }
    print(
        f"{label}: {wall:.1f} s wall, {cpu:.1f} s CPU (load {load_before[0]:.1f}->{os.getloadavg()[0]:.1f})",
        flush=True,
    )
    return value


def _tier_data(tier_name: str, data_dir: Path) -> TierData:
    """The tier's generated chunks as they are (never regenerated here: `make bench` generates them)."""
    tier = TIERS[tier_name]
    root = data_dir / tier.name
    chunk_dirs = sorted((root / "gen").glob("chunk-*"))
    if not chunk_dirs:
        raise SystemExit(
            f"no generated data in {root}/gen: run `make bench` (or the bench's ensure_data) first"
        )
    manifests = [
        json.loads((d / "manifest.json").read_text()) for d in chunk_dirs if (d / "manifest.json").exists()
    ]
    return TierData(tier, root, chunk_dirs, manifests)


def als_two_ways(results: dict, target: str = "spark") -> None:
    """ALS on the serving cut's training interactions of each site, read from Spark: `implicit` (the project's
    fit, pandas in this process) and MLlib ALS(implicitPrefs=True) with the same factors, regularization,
    iterations and confidence."""
    from pyspark.ml.recommendation import ALS
    from pyspark.sql import functions as F

    from article_recs.recommend.als import fit_als
    from article_recs.recommend.params import RecommenderParams
    from article_recs.spark_models import spark_session

    params = RecommenderParams()  # dbt_project.yml's defaults, as the build used
    spark = spark_session(target)
    try:
        serving = spark.table("recommender.recommender_cuts").filter("is_serving").select("site_id", "cut_at")
        training = spark.table("recommender.recommender_training_interactions").join(
            serving, ["site_id", "cut_at"]
        )
        frame = _timed("als_read_interactions_from_spark", results, training.toPandas)
        results["als_interactions"] = len(frame)
        for site, rows in frame.groupby("site_id"):
            _timed(f"als_implicit_{site}", results, fit_als, rows, params, site)
        # MLlib's implicit confidence is 1 + alpha * rating: rating = als_alpha * log1p(dwell) and alpha 1,
        # as the project's matrix holds 1 + als_alpha * log1p(dwell)
        rated = training.withColumn(
            "rating", F.log1p(F.greatest(F.col("dwell_s"), F.lit(0.0))) * params.als_alpha
        )
        users = rated.select("site_id", "domain_userid").distinct()
        users = users.withColumn("u", F.monotonically_increasing_id().cast("int"))
        items = rated.select("site_id", "article_id").distinct()
        items = items.withColumn("i", F.monotonically_increasing_id().cast("int"))
        data = rated.join(users, ["site_id", "domain_userid"]).join(items, ["site_id", "article_id"]).cache()
        data.count()
        for site in sorted(frame["site_id"].unique()):
            als = ALS(
                rank=params.als_factors,
                maxIter=params.als_iterations,
                regParam=params.als_regularization,
                implicitPrefs=True,
                alpha=1.0,
                userCol="u",
                itemCol="i",
                ratingCol="rating",
                seed=params.als_seed,
            )
            model = _timed(f"als_mllib_{site}", results, als.fit, data.filter(F.col("site_id") == site))
            results[f"als_mllib_{site}_item_factors"] = model.itemFactors.count()
    finally:
        spark.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m article_recs.bench.spark", description=__doc__)
    parser.add_argument("--tier", default="1m", choices=sorted(TIERS))
    parser.add_argument("--data-dir", type=Path, default=PROJECT_DIR / "bench" / "data")
    parser.add_argument("--work", type=Path, default=PROJECT_DIR / "bench" / "spark")
    parser.add_argument("--skip-duckdb", action="store_true")
    parser.add_argument("--skip-spark", action="store_true")
    parser.add_argument("--sql-only", action="store_true", help="Spark: the SQL models only")
    args = parser.parse_args(argv)

    from article_recs.spark_models import build

    data = _tier_data(args.tier, args.data_dir)
    landing = args.work / args.tier / "landing"
    fresh_landing(data, landing, "full")
    dbt_vars = {
        "article_recs__events_path": f"{landing}/**/*.tsv*",
        "article_recs__article_metadata_path": data.article_metadata_glob,
        "article_recs__ground_truth_path": "",
    }
    results: dict = {
        "tier": args.tier,
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
        "cores": os.cpu_count(),
    }
    args_build = ["build", "--exclude-resource-type", "unit_test", "test"]
    if not args.skip_duckdb:
        path = args.work / args.tier / "duckdb" / "warehouse.duckdb"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.unlink(missing_ok=True)
        _timed(
            "duckdb_full_build",
            results,
            run_dbt,
            args_build,
            duckdb_path=path,
            target_path=args.work / args.tier / "duckdb" / "target",
            dbt_vars=dbt_vars,
        )
    if not args.skip_spark:
        warehouse = args.work / args.tier / "spark"
        env = {"ARTICLE_RECS_SPARK_WAREHOUSE": str(warehouse)}
        _timed(
            "spark_full_build",
            results,
            build,
            args_build,
            dbt_vars=dbt_vars,
            target="spark",
            target_path=args.work / args.tier / "spark-target",
            env=env,
            python_models=not args.sql_only,
        )
        os.environ["ARTICLE_RECS_SPARK_WAREHOUSE"] = str(warehouse)
        als_two_ways(results)
    out = PROJECT_DIR / "bench" / f"spark-{args.tier}-{datetime.now(UTC).strftime('%Y%m%dT%H%M%S')}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2))
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

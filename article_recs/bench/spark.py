"""Spark local against DuckDB on one machine: the full build of a tier's 30-day window on each, and ALS
trained two ways on the Spark interactions of the serving cut - `implicit` on one box (what
article_recs.spark_models runs: the als_lists model's own code) and Spark MLlib's ALS(implicitPrefs=True).

    python -m article_recs.bench.spark --tier 1m [--data-dir bench/data] [--skip-duckdb]
    python -m article_recs.bench.spark --als-only interactions.parquet   # ALS both ways, no build

Wall and CPU time of each step, the machine's load average before and after (the machine may be shared:
the numbers say so), written to bench/spark-<tier>-<time>.json and printed. Needs make spark-deps.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import time
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from article_recs.bench.tiers import TIERS, TierData, event_files, link_window
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


def _fresh_landing(data: TierData, landing: Path, window: str) -> None:
    """A new landing folder holding exactly the tier's ``window`` files (hard links)."""
    if landing.exists():
        shutil.rmtree(landing)
    landing.mkdir(parents=True)
    start, stop = data.tier.windows()[window]
    link_window(event_files(data), landing, start, stop)


def als_two_ways(results: dict, target: str = "spark", interactions: Path | None = None, n: int = 10) -> None:
    """ALS on one cut's training interactions of each site: `implicit` (the project's fit and lists, pandas in
    this process) and MLlib ALS(implicitPrefs=True) with the same factors, regularization, iterations and
    confidence; each then lists the top-n for every reader and every article of the matrix (every article a
    candidate, decay 1). The interactions: the serving cut read from the Spark warehouse, or a Parquet file of
    recommender_training_interactions rows (``interactions``; its latest cut_at of each site)."""
    from pyspark.ml.recommendation import ALS
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    from article_recs.recommend.als import fit_als, reader_recommendations, related_articles
    from article_recs.recommend.params import RecommenderParams
    from article_recs.spark_models import spark_session

    params = RecommenderParams()  # dbt_project.yml's defaults, as the build used
    spark = spark_session(target)
    try:
        if interactions is None:
            cuts = spark.table("recommender.recommender_cuts").filter("is_serving")
            training = spark.table("recommender.recommender_training_interactions").join(
                cuts.select("site_id", "cut_at"), ["site_id", "cut_at"]
            )
        else:
            rows = spark.read.parquet(str(interactions))
            cuts = rows.groupBy("site_id").agg(F.max("cut_at").alias("cut_at"))
            training = rows.join(cuts, ["site_id", "cut_at"])
        training = training.select("site_id", "domain_userid", "article_id", F.col("dwell_s").cast("double"))
        frame = _timed("als_read_interactions", results, training.toPandas)
        results["als_interactions"] = len(frame)
        for site, rows in frame.groupby("site_id"):
            fitted = _timed(f"als_implicit_fit_{site}", results, fit_als, rows, params, site)
            candidates = pd.DataFrame({"article_id": fitted.article_ids, "decay": 1.0})

            def implicit_lists(fitted=fitted, candidates=candidates) -> int:  # noqa: ANN001
                related = related_articles(fitted, candidates, n)
                return len(related) + len(reader_recommendations(fitted, candidates, n))

            results[f"als_implicit_{site}_rows"] = _timed(
                f"als_implicit_recommend_{site}", results, implicit_lists
            )
        # MLlib's implicit confidence is 1 + alpha * rating: rating = als_alpha * log1p(dwell) and alpha 1,
        # as the project's matrix holds 1 + als_alpha * log1p(dwell)
        rated = training.withColumn(
            "rating", F.log1p(F.greatest(F.col("dwell_s"), F.lit(0.0))) * params.als_alpha
        )
        # dense 0-based int ids (monotonically_increasing_id does not fit an int past the first partition)
        users = rated.select("site_id", "domain_userid").distinct()
        users = users.withColumn("u", F.row_number().over(Window.orderBy("site_id", "domain_userid")) - 1)
        items = rated.select("site_id", "article_id").distinct()
        items = items.withColumn("i", F.row_number().over(Window.orderBy("site_id", "article_id")) - 1)
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
            model = _timed(f"als_mllib_fit_{site}", results, als.fit, data.filter(F.col("site_id") == site))

            def mllib_lists(model=model) -> int:  # noqa: ANN001
                """MLlib's top-n per reader (it does not skip what the reader read), and per article the top-n
                by cosine of the item factors (MLlib has no item-item call: a cross join in Spark SQL)."""
                readers = model.recommendForAllUsers(n).select("u", F.explode("recommendations")).count()
                unit = model.itemFactors.select(
                    "id",
                    F.expr(
                        "transform(features, x -> x / sqrt(aggregate(features, 0D, (s, y) -> s + y * y)))"
                    ).alias("f"),
                )
                pairs = (
                    unit.alias("a")
                    .crossJoin(unit.alias("b"))
                    .where("a.id <> b.id")
                    .select(
                        F.col("a.id").alias("source"),
                        F.expr("aggregate(zip_with(a.f, b.f, (x, y) -> x * y), 0D, (s, z) -> s + z)").alias(
                            "score"
                        ),
                    )
                )
                ranked = pairs.withColumn(
                    "rank", F.row_number().over(Window.partitionBy("source").orderBy(F.desc("score")))
                )
                return readers + ranked.where(f"rank <= {n}").count()

            results[f"als_mllib_{site}_rows"] = _timed(f"als_mllib_recommend_{site}", results, mllib_lists)
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
    parser.add_argument(
        "--als-only",
        type=Path,
        metavar="PARQUET",
        help="no build: ALS both ways on these recommender_training_interactions rows (latest cut per site)",
    )
    args = parser.parse_args(argv)
    if args.als_only:
        results = {"als_only": str(args.als_only), "started": datetime.now(UTC).isoformat(timespec="seconds")}
        results["cores"] = os.cpu_count()
        als_two_ways(results, interactions=args.als_only)
        _write_results(results, f"als-{datetime.now(UTC).strftime('%Y%m%dT%H%M%S')}")
        return 0

    from article_recs.spark_models import build

    data = _tier_data(args.tier, args.data_dir)
    landing = args.work / args.tier / "landing"
    _fresh_landing(data, landing, "full")
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
    _write_results(results, f"{args.tier}-{datetime.now(UTC).strftime('%Y%m%dT%H%M%S')}")
    return 0


def _write_results(results: dict, name: str) -> None:
    out = PROJECT_DIR / "bench" / f"spark-{name}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2))
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    raise SystemExit(main())

"""``article-recs demo``: generate demo events (unless the same ones are already there), build the whole dbt
project on the embedded DuckDB warehouse, and print what came out and what to open next."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from article_recs import settings
from article_recs.dbt_runner import DbtError, run_dbt


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", type=Path, default=Path("data/demo"), help="where the events go (data/demo)")
    parser.add_argument("--users", type=int, default=3000)
    parser.add_argument("--articles", type=int, default=600)
    parser.add_argument("--days", type=int, default=14)
    parser.add_argument("--sites", type=int, default=2)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--regenerate", action="store_true", help="generate even if the same data exists")
    parser.add_argument("--full-refresh", action="store_true", help="rebuild incremental models from scratch")


def _generate_if_needed(args: argparse.Namespace) -> None:
    from article_recs.cli import main as cli_main

    wanted = {
        "users": args.users, "articles": args.articles, "days": args.days, "sites": args.sites,
        "seed": args.seed, "end": time.strftime("%Y-%m-%d", time.gmtime()),
    }
    stamp = args.out / ".demo_args.json"
    if not args.regenerate and stamp.exists() and json.loads(stamp.read_text()) == wanted:
        print(f"reusing the events already in {args.out} (same arguments; --regenerate to redo)")
        return
    code = cli_main([
        "generate", "--out", str(args.out), "--users", str(args.users), "--articles", str(args.articles),
        "--days", str(args.days), "--sites", str(args.sites), "--seed", str(args.seed),
    ])
    if code != 0:
        raise SystemExit(code)
    stamp.write_text(json.dumps(wanted))


def _build_on_spark(build_args: list[str], dbt_vars: dict[str, str], target: str) -> Path:
    """The build on a Spark target (article_recs.spark_models: the Python models between the dbt steps);
    returns a DuckDB file of views over the Spark tables, which the summary reads."""
    from article_recs.spark_models import build
    from article_recs.spark_warehouse import duckdb_of_spark, warehouse_dir

    warehouse = warehouse_dir(settings.PROJECT_DIR)
    print(f"\n== dbt build on Spark (target {target}, tables in {warehouse})", flush=True)
    # the unit tests pin the SQL on DuckDB (CI runs them there); on Spark a float may differ in its last digit
    build_args = [*build_args, "--exclude-resource-type", "unit_test"]
    build(build_args, dbt_vars=dbt_vars, target=target, stream=True)
    return duckdb_of_spark(warehouse, warehouse / "views.duckdb")


def run(args: argparse.Namespace) -> int:
    from article_recs.summary import format_summary, read_summary

    started = time.monotonic()
    out = args.out if args.out.is_absolute() else (Path.cwd() / args.out)
    args.out = out
    _generate_if_needed(args)
    generated = time.monotonic()

    db_file = settings.duckdb_path()
    db_file.parent.mkdir(parents=True, exist_ok=True)
    dbt_vars = {
        "article_recs__events_path": str(out / "events" / "**" / "*.tsv*"),
        "article_recs__article_metadata_path": str(out / "articles" / "articles.csv"),
        "article_recs__ground_truth_path": str(out / "ground_truth"),
    }
    build_args = ["build"] + (["--full-refresh"] if args.full_refresh else [])
    target = os.environ.get("ARTICLE_RECS_TARGET", "dev")
    try:
        if target.startswith("spark"):
            db_file = _build_on_spark(build_args, dbt_vars, target)
        else:
            print(f"\n== dbt build on DuckDB ({db_file})", flush=True)
            run_dbt(build_args, dbt_vars=dbt_vars, stream=True)
    except (DbtError, subprocess.CalledProcessError) as error:
        print(f"\ndemo: the dbt build failed - see the lines above. {str(error).splitlines()[0]}",
              file=sys.stderr)
        return 1
    built = time.monotonic()

    print("\n== summary")
    print(format_summary(read_summary(db_file)))
    print(f"\ntook {built - started:.0f} s (generate {generated - started:.0f} s, dbt build "
          f"{built - generated:.0f} s)")
    print("\nnext:")
    print("  make docs                     # dbt docs: lineage, every model and column documented")
    print("  .venv/bin/article-recs report  # evaluation plots (HTML)")
    print("  make quality                  # Great Expectations suites + Data Docs")
    print("  make dagster                  # the two-hourly schedule in Dagster's UI")
    return 0

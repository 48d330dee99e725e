"""``python -m article_recs.bench``: see the package doc and ``--help``."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from article_recs.bench.run import MEASUREMENTS, Bench, Options, log
from article_recs.bench.tiers import TIERS
from article_recs.dbt_runner import PROJECT_DIR


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m article_recs.bench",
        description="Benchmarks: full build vs raw scan, incremental runs vs history, ALS vs bare implicit, "
        "peak memory, serving latency. Markdown table on stdout, JSON in --out.",
    )
    parser.add_argument(
        "--quick", action="store_true", help="the quick tier only, one run of each (smoke test)"
    )
    parser.add_argument("--tiers", help=f"comma-separated tiers ({', '.join(TIERS)}); default 1m,10m")
    parser.add_argument(
        "--out", type=Path, default=PROJECT_DIR / "bench", help="results folder (default bench/)"
    )
    parser.add_argument(
        "--work", type=Path, help="warehouses, dbt targets, landing folders (default OUT/work)"
    )
    parser.add_argument("--data", type=Path, help="generated events, reused across runs (default OUT/data)")
    parser.add_argument(
        "--skip", default="", help=f"comma-separated measurements to skip: {', '.join(MEASUREMENTS)}"
    )
    parser.add_argument("--repeats", type=int, help="override every repeat count")
    parser.add_argument(
        "--quiet-load",
        type=float,
        default=float(os.cpu_count() or 2) / 2,
        help="1-minute load average under which the machine counts as quiet (default cores / 2)",
    )
    parser.add_argument(
        "--wait-quiet",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="before each measurement, wait up to SECONDS for a quiet machine (default 0)",
    )
    parser.add_argument("--retries", type=int, default=0, help="retry a failed dbt build this many times")
    parser.add_argument("--retry-wait", type=float, default=120.0, metavar="SECONDS")
    parser.add_argument("--timeout", type=float, metavar="SECONDS", help="kill a measured command after this")
    parser.add_argument(
        "--ablate",
        type=float,
        default=0.0,
        metavar="CPU_SECONDS",
        help="with the profile of the slowest model, time each of its output columns alone (what costs), "
        "when that fits in CPU_SECONDS (default 0: off)",
    )
    parser.add_argument(
        "--memory-limit",
        metavar="SIZE",
        help="DuckDB memory_limit for the dbt builds, e.g. 3GB (a copy of profiles.yml with it is used; "
        "default: the project's profile, i.e. DuckDB's 80%% of RAM)",
    )
    parser.add_argument("--keep-work", action="store_true", help="keep the warehouses of the work folder")
    parser.add_argument(
        "--report",
        type=Path,
        nargs="+",
        metavar="JSON",
        help="only print the Markdown of results files (several: their tiers in one table)",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    from article_recs.bench.report import markdown, write_results

    if args.report:
        import json

        from article_recs.bench.report import merge

        print(markdown(merge([json.loads(p.read_text()) for p in args.report])), end="")
        return 0
    tiers = ["quick"] if args.quick else [t.strip() for t in (args.tiers or "1m,10m").split(",") if t.strip()]
    unknown = [t for t in tiers if t not in TIERS]
    skip = frozenset(s.strip() for s in args.skip.split(",") if s.strip())
    if unknown or skip - set(MEASUREMENTS):
        print(
            f"bench: error: unknown tier or measurement: {sorted(set(unknown) | (skip - set(MEASUREMENTS)))}",
            file=sys.stderr,
        )
        return 2
    out = args.out.resolve()
    options = Options(
        tiers=tiers,
        out_dir=out,
        work_dir=(args.work or out / "work").resolve(),
        data_dir=(args.data or out / "data").resolve(),
        skip=skip,
        repeats=args.repeats,
        quiet_load=args.quiet_load,
        wait_quiet_s=args.wait_quiet,
        retries=args.retries,
        retry_wait_s=args.retry_wait,
        keep_work=args.keep_work,
        timeout_s=args.timeout,
        ablate_budget_s=args.ablate,
        memory_limit=args.memory_limit,
    )
    results = Bench(options).run()
    path, latest, md = write_results(results, out)
    log(f"results: {path} (and {latest})")
    print(md, end="")
    failed = [name for name, t in results["tiers"].items() if str(t.get("status", "")).startswith("failed")]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

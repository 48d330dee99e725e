"""``article-recs quality``: run the checkpoints, build Data Docs, print a line per suite.

Exit status (:mod:`article_recs.exit_codes`): 0 when every critical suite passed, 1 when one failed (its
failing expectations are printed in plain words), 2 when the arguments are wrong or the DuckDB file is
missing, 3 when the warehouse cannot be used (DuckDB file locked, PostgreSQL down or refusing the login).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from article_recs import exit_codes, settings
from article_recs.events.errors import InputError, UnavailableError
from article_recs.quality.suites import SUITES

PROG = "article-recs quality"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--duckdb", type=Path, default=None, metavar="PATH", help=settings.DUCKDB_PATH_HELP)
    parser.add_argument(
        "--target",
        choices=("duckdb", "postgres"),
        default=None,
        help="warehouse (default duckdb unless ARTICLE_RECS_TARGET=postgres; "
        "PostgreSQL from the ARTICLE_RECS_PG_* settings)",
    )
    parser.add_argument(
        "--docs-dir",
        type=Path,
        default=settings.PROJECT_DIR / "reports" / "data_docs",
        metavar="DIR",
        help="where the Data Docs HTML goes (default: reports/data_docs)",
    )
    parser.add_argument("--no-docs", action="store_true", help="validate only, build no Data Docs")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.add_argument(
        "--suite",
        action="append",
        choices=list(SUITES),
        metavar="NAME",
        dest="suites",
        help=f"run only this suite (repeatable): {', '.join(SUITES)}",
    )


def run(args: argparse.Namespace) -> int:
    from article_recs.quality.runner import run_all

    try:
        report = run_all(
            duckdb_path=args.duckdb,
            target=args.target,
            suites=args.suites,
            data_docs_dir=None if args.no_docs else args.docs_dir,
            progress=not args.quiet,
        )
    except InputError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return exit_codes.UNAVAILABLE if isinstance(exc, UnavailableError) else exit_codes.USAGE

    if report.data_docs_index is not None:
        print(f"Data Docs: {report.data_docs_index}")
        print(f"Summary:   {report.summary_html} (no scripts: readable offline)")
    for line in report.summary_lines():
        print(line)
    failures = [(name, r) for name, r in report.results.items() if not r.success]
    if failures:
        print()
    for name, result in failures:
        kind = "critical" if name in report.critical else "warning"
        for line in result.failures:
            print(f"  [{kind}] {line}")
    if report.success:
        warned = [name for name, _ in failures]
        tail = f" (warnings: {', '.join(warned)})" if warned else ""
        print(f"\nquality: PASSED{tail}")
        return exit_codes.OK
    sys.stdout.flush()  # the verdict (stderr) comes after the lines above, also when both are piped
    print(
        f"\nquality: FAILED — critical suite(s) failed: {', '.join(report.critical_failures)}",
        file=sys.stderr,
    )
    return exit_codes.CHECKS_FAILED


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=PROG, description=__doc__.splitlines()[0])
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())

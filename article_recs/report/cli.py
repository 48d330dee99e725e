"""``article-recs report``: write the offline-evaluation report (HTML, inline SVG plots), print its path.

Wired into ``article_recs/cli.py`` as ``add_arguments(parser)`` / ``run(args) -> int``. Exit status 0 when the
page was written, 2 when the warehouse cannot be read (missing or locked DuckDB file).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from article_recs import settings
from article_recs.settings import PROJECT_DIR

PROG = "article-recs report"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--duckdb",
        type=Path,
        default=None,
        metavar="PATH",
        help=settings.DUCKDB_PATH_HELP,
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=PROJECT_DIR / "reports" / "evaluation",
        metavar="DIR",
        help="folder of the report; the page is DIR/index.html (default: reports/evaluation, gitignored)",
    )


def run(args: argparse.Namespace) -> int:
    import duckdb

    from article_recs.report.evaluation import write_report

    duckdb_path = settings.duckdb_path(args.duckdb)
    if not Path(duckdb_path).exists():
        print(f"{PROG}: no warehouse at {duckdb_path} (run `make demo` or dbt build first)", file=sys.stderr)
        return 2
    try:
        page = write_report(duckdb_path, args.out)
    except duckdb.IOException as exc:  # locked by a running dbt, or not a DuckDB file
        print(f"{PROG}: cannot read {duckdb_path}: {exc}", file=sys.stderr)
        return 2
    print(page.resolve())
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=PROG, description=__doc__.splitlines()[0])
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())

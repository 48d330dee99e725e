"""``article-recs``: the project's command line.

Two ways to add a verb:

- here: ``_add_<verb>(subparsers)`` declares the arguments and sets ``func`` to ``_run_<verb>(args) -> int``;
  list the ``_add_`` function in :data:`VERBS`;
- in its own module with ``add_arguments(parser)`` and ``run(args) -> int``: add one line to
  :data:`MODULE_VERBS`. The module is imported only when that verb is used.

Heavy imports (numpy, pandas, dbt...) happen inside the ``run`` functions so ``article-recs --help`` is fast.

Errors the user can fix (:class:`article_recs.events.errors.InputError`, including missing files) print one
line on stderr and exit with status 2, a warehouse or server that cannot be used
(:class:`~article_recs.events.errors.UnavailableError`) with status 3; never a traceback. Every status:
:mod:`article_recs.exit_codes`.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable, Sequence
from datetime import date, datetime
from pathlib import Path

from article_recs import __version__, exit_codes
from article_recs.events.errors import InputError, UnavailableError

PROG = "article-recs"


# ---------------------------------------------------------------------------------------------- arg types
def _date(text: str) -> date:
    try:
        return datetime.strptime(text, "%Y-%m-%d").date()
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date YYYY-MM-DD, got {text!r}") from None


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected at least 1, got {value}")
    return value


def _rate(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number between 0 and 0.5, got {text!r}") from None
    if not 0.0 <= value <= 0.5:
        raise argparse.ArgumentTypeError(f"expected a number between 0 and 0.5, got {value}")
    return value


# ---------------------------------------------------------------------------------------------- generate
def _add_generate(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "generate",
        help="generate synthetic Snowplow enriched events with a hidden ground truth",
        description=(
            "Generate Snowplow enriched events (131-field TSV, split by hour) for demo news sites, the CMS "
            "article export and the hidden ground truth. The data covers the DAYS whole days before --end "
            "00:00 UTC. Same arguments, same bytes."
        ),
    )
    p.add_argument("--out", required=True, type=Path, help="output directory")
    p.add_argument("--users", type=_positive_int, default=3000, help="readers, all sites (default 3000)")
    p.add_argument("--articles", type=_positive_int, default=600, help="articles, all sites (default 600)")
    p.add_argument("--days", type=_positive_int, default=14, help="days of events (default 14)")
    p.add_argument(
        "--sites", type=_positive_int, default=2, help="sites: herald, metro, site3... (default 2)"
    )
    p.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
    p.add_argument(
        "--end",
        type=_date,
        default=None,
        help="end of the window, exclusive, at 00:00 UTC (YYYY-MM-DD; default today UTC)",
    )
    p.add_argument(
        "--gzip",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="gzip the event files (default: yes)",
    )
    p.add_argument("--bot-rate", type=_rate, default=None, help="share of events from crawlers (0.02)")
    p.add_argument(
        "--duplicate-rate", type=_rate, default=None, help="share of events delivered twice (0.01)"
    )
    p.add_argument("--malformed-rate", type=_rate, default=None, help="share of malformed lines (0.001)")
    p.add_argument(
        "--late-rate",
        type=_rate,
        default=None,
        help="share of events reaching the collector hours late (0.002)",
    )
    p.add_argument(
        "--bad-input",
        action="store_true",
        help="data-quality mode: high rates of bots, duplicates, late and malformed lines, garbage",
    )
    p.add_argument(
        "--force",
        action="store_true",
        help="replace events/, articles/, ground_truth/ in --out even without a manifest.json",
    )
    p.add_argument(
        "--no-widget",
        dest="widget",
        action="store_false",
        help="leave out the recommendation widget's rec_impression / rec_click events (on by default)",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_run_generate)


def _run_generate(args: argparse.Namespace) -> int:
    from article_recs.tools.generate import GenerateConfig, generate, summary_line

    config = GenerateConfig(
        out=args.out,
        users=args.users,
        articles=args.articles,
        days=args.days,
        sites=args.sites,
        seed=args.seed,
        end=args.end,
        gzip=args.gzip,
        bot_rate=args.bot_rate,
        duplicate_rate=args.duplicate_rate,
        malformed_rate=args.malformed_rate,
        late_rate=args.late_rate,
        bad_input=args.bad_input,
        quiet=args.quiet,
        force=args.force,
        widget=args.widget,
    )
    manifest = generate(config)
    print(f"{summary_line(manifest)} -> {args.out} ({manifest['_elapsed_s']:.1f}s)")
    return 0


# ---------------------------------------------------------------------------------------------- replay
def _add_replay(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "replay",
        help="turn a real interaction log (CSV/TSV/Parquet or MIND) into enriched events",
        description=(
            "Replay reads (user_id, article_id, timestamp[, dwell_seconds]) as Snowplow page views and page "
            "pings (none when a read has no dwell: unknown, not invented), sessionised with a 30-minute gap, "
            "with pseudonymous domain_userids. --mind reads MIND's behaviors.tsv (clicked impressions) and "
            "news.tsv beside it; --articles adds titles, publish dates, sections and authors."
        ),
    )
    p.add_argument("--input", required=True, type=Path, help="interactions file, or MIND behaviors.tsv")
    p.add_argument("--out", required=True, type=Path, help="output directory")
    p.add_argument(
        "--site",
        default=None,
        help="site template for URLs and app_id (default: mind with --mind, else replay)",
    )
    p.add_argument(
        "--articles",
        default=None,
        type=Path,
        help="article metadata (CSV/TSV/Parquet: article_id, title, published_at[, section, author]): titles "
        "become page titles, and DIR/articles/articles.csv (the CMS export) carries it all",
    )
    p.add_argument("--mind", action="store_true", help="input is MIND behaviors.tsv")
    p.add_argument(
        "--mind-history",
        action="store_true",
        help="with --mind: also replay each user's click history (no timestamps: placed hourly "
        "before the user's first impression)",
    )
    p.add_argument(
        "--gzip",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="gzip the event files (default: yes)",
    )
    p.add_argument(
        "--seed", type=int, default=0, help="seed for ids, scroll depths and ping jitter (default 0)"
    )
    p.add_argument(
        "--force",
        action="store_true",
        help="replace events/ and articles/ in --out even without a manifest.json",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_run_replay)


def _run_replay(args: argparse.Namespace) -> int:
    from article_recs.tools.replay import ReplayConfig, replay, summary_line

    manifest = replay(
        ReplayConfig(
            input=args.input,
            out=args.out,
            site=args.site,
            articles=args.articles,
            mind=args.mind,
            mind_history=args.mind_history,
            gzip=args.gzip,
            seed=args.seed,
            quiet=args.quiet,
            force=args.force,
        )
    )
    print(f"{summary_line(manifest)} -> {args.out}")
    return 0


# ---------------------------------------------------------------------------------------------- parser, main
#: Verbs declared here, in the order ``--help`` lists them.
VERBS: list[Callable[[argparse._SubParsersAction], None]] = [_add_generate, _add_replay]

#: Verbs living in their own module, which defines ``add_arguments(parser)`` and ``run(args) -> int``:
#: ``verb: (module, one-line help)``. The module is imported only when its verb runs (or shows its help).
MODULE_VERBS: dict[str, tuple[str, str]] = {
    "demo": ("article_recs.demo", "generate demo events, build everything on DuckDB, print a summary"),
    "load-postgres": (
        "article_recs.serving.load_postgres",
        "load enriched TSV files into Snowplow's Postgres loader layout",
    ),
    "publish": ("article_recs.serving.publish", "publish the current models to the Postgres serving store"),
    "serve": ("article_recs.serving.api", "run the serving HTTP API (127.0.0.1; /docs, /demo)"),
    "pg": ("article_recs.serving.pg_server", "start, stop or check the local PostgreSQL (up|down|status)"),
    "spark-build": (
        "article_recs.spark_models",
        "dbt build on Spark (ARTICLE_RECS_TARGET=spark), the Python models run between the dbt steps",
    ),
    "summary": ("article_recs.summary", "print counts, recommendations and evaluation of the last build"),
    "quality": ("article_recs.quality.cli", "run the Great Expectations suites and build Data Docs"),
    "report": ("article_recs.report.cli", "write the offline-evaluation report (HTML with plots)"),
    "compare": (
        "article_recs.report.compare",
        "the same held-out cases scored by two warehouses: after - before per case, with an interval",
    ),
}


def _add_module_verb(sub: argparse._SubParsersAction, verb: str, load: bool) -> None:
    module_name, help_text = MODULE_VERBS[verb]
    parser = sub.add_parser(verb, help=help_text, description=help_text)
    if not load:
        return
    module = importlib.import_module(module_name)
    module.add_arguments(parser)
    parser.set_defaults(func=module.run)


def build_parser(verb: str | None = None) -> argparse.ArgumentParser:
    """The ``article-recs`` parser. Module verbs get their arguments only when ``verb`` names them."""
    parser = argparse.ArgumentParser(
        prog=PROG, description="News-article recommendations from Snowplow clickstream."
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for add in VERBS:
        add(sub)
    for name in MODULE_VERBS:
        _add_module_verb(sub, name, load=name == verb)
    return parser


def _verb_of(argv: Sequence[str]) -> str | None:
    return next((a for a in argv if not a.startswith("-")), None)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(_verb_of(argv))
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except UnavailableError as exc:  # before InputError: the quality warehouse error is both
        print(f"{PROG} {args.command}: error: {exc}", file=sys.stderr)
        return exit_codes.UNAVAILABLE
    except InputError as exc:
        print(f"{PROG} {args.command}: error: {exc}", file=sys.stderr)
        return exit_codes.USAGE
    except KeyboardInterrupt:
        print(f"{PROG} {args.command}: interrupted", file=sys.stderr)
        return exit_codes.INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())

"""What a build produced, read back from the DuckDB warehouse: the numbers `make demo` prints and the
Dagster assets carry as metadata. Every query tolerates a table that is not there yet (a partial build)."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path

import duckdb


@dataclass
class BuildSummary:
    lines_read: int | None = None
    outcomes: dict[str, int] = field(default_factory=dict)
    page_views: int | None = None
    article_page_views: int | None = None
    sessions: int | None = None
    readers: int | None = None
    articles: int | None = None
    sites: list[str] = field(default_factory=list)
    recommendations: dict[str, int] = field(default_factory=dict)  # strategy -> rows of current models
    sources_covered: dict[str, float] = field(default_factory=dict)  # strategy -> share of read articles
    current_models: int | None = None
    evaluation: list[tuple[str, str, str, str, int, float]] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)


def _scalar(con: duckdb.DuckDBPyConnection, sql: str) -> int | None:
    row = con.execute(sql).fetchone()
    return None if row is None or row[0] is None else int(row[0])


def _exists(con: duckdb.DuckDBPyConnection, relation: str) -> bool:
    schema, table = relation.split(".")
    row = con.execute(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
        [schema, table],
    ).fetchone()
    return bool(row and row[0])


def read_summary(duckdb_path: str | Path) -> BuildSummary:
    summary = BuildSummary()
    con = duckdb.connect(str(duckdb_path), read_only=True)
    try:
        def have(relation: str) -> bool:
            ok = _exists(con, relation)
            if not ok:
                summary.missing.append(relation)
            return ok

        if have("marts.event_load_stats"):
            summary.outcomes = dict(con.execute(
                "select outcome, events from marts.event_load_stats order by events desc"
            ).fetchall())
            summary.lines_read = sum(summary.outcomes.values())
        if have("marts.page_views"):
            summary.page_views = _scalar(con, "select count(*) from marts.page_views")
            summary.article_page_views = _scalar(
                con, "select count(*) from marts.page_views where article_id is not null")
        if have("marts.sessions"):
            summary.sessions = _scalar(con, "select count(*) from marts.sessions")
        if have("marts.users"):
            summary.readers = _scalar(con, "select count(*) from marts.users")
        if have("marts.articles"):
            summary.articles = _scalar(con, "select count(*) from marts.articles")
            summary.sites = [r[0] for r in con.execute(
                "select distinct site_id from marts.articles order by 1").fetchall()]
        if have("recommender.recommendations") and have("recommender.model_registry"):
            current = """
                select r.* from recommender.recommendations as r
                inner join recommender.model_registry as m
                    on r.model_id = m.model_id and m.status = 'current'
            """
            summary.recommendations = dict(con.execute(
                f"select strategy, count(*) from ({current}) group by strategy order by strategy"
            ).fetchall())
            summary.current_models = _scalar(
                con, "select count(*) from recommender.model_registry where status = 'current'")
            if _exists(con, "marts.articles"):
                summary.sources_covered = dict(con.execute(f"""
                    with current_recs as ({current}),
                    covered as (
                        select strategy, site_id, source_entity_id as article_id
                        from current_recs where source_entity_type = 'article'
                        group by all
                    )
                    select c.strategy, count(*) / (select count(*) from marts.articles)
                    from covered as c
                    inner join marts.articles as a using (site_id, article_id)
                    group by c.strategy order by c.strategy
                """).fetchall())
        if have("evaluation.model_evaluations"):
            summary.evaluation = con.execute("""
                select site_id, strategy, task, metric, k, value
                from evaluation.model_evaluations
                where run_id = (
                    select run_id from evaluation.model_evaluations
                    order by evaluated_at desc limit 1
                )
                order by site_id, task, metric, strategy
            """).fetchall()
    finally:
        con.close()
    return summary


def _n(value: int | float | None) -> str:
    if value is None:
        return "-"
    return f"{value:,}" if isinstance(value, int) else f"{value:.3f}"


def format_summary(summary: BuildSummary) -> str:
    out: list[str] = []
    out.append(f"events read        {_n(summary.lines_read)} lines "
               f"({', '.join(f'{k} {v:,}' for k, v in summary.outcomes.items())})")
    out.append(f"page views         {_n(summary.page_views)} ({_n(summary.article_page_views)} of articles)")
    out.append(f"sessions           {_n(summary.sessions)}")
    out.append(f"readers            {_n(summary.readers)}")
    out.append(f"articles           {_n(summary.articles)} on {len(summary.sites)} sites "
               f"({', '.join(summary.sites)})")
    if summary.recommendations:
        recs = ", ".join(f"{k} {v:,}" for k, v in summary.recommendations.items())
        out.append(f"recommendations    {recs} rows in {summary.current_models} current models")
        cover = ", ".join(f"{k} {v:.0%}" for k, v in summary.sources_covered.items())
        out.append(f"articles covered   {cover}")
    if summary.evaluation:
        out.append("")
        out.append("offline evaluation (latest run: hold out the latest window, train on what came before)")
        header = f"  {'site':<8} {'task':<8} {'metric':<16} " + " ".join(
            f"{s:>10}" for s in _strategies(summary))
        out.append(header)
        rows: dict[tuple[str, str, str], dict[str, float]] = {}
        cases: dict[tuple[str, str], int] = {}
        for site, strategy, task, metric, k, value in summary.evaluation:
            if metric == "n_cases":
                cases[(site, task)] = int(value)
                continue
            rows.setdefault((site, task, f"{metric}@{k}" if k else metric), {})[strategy] = value
        for (site, task, metric), values in rows.items():
            out.append(f"  {site:<8} {task:<8} {metric:<16} " + " ".join(
                f"{_n(values.get(s)):>10}" for s in _strategies(summary)))
        if cases:
            out.append("  test cases: " + ", ".join(
                f"{site} {task} {n:,}" for (site, task), n in sorted(cases.items())))
    if summary.missing:
        out.append(f"(not built: {', '.join(summary.missing)})")
    return "\n".join(out)


def _strategies(summary: BuildSummary) -> list[str]:
    order = ["popularity", "item_knn", "als", "oracle"]
    seen = {row[1] for row in summary.evaluation}
    return [s for s in order if s in seen] + sorted(seen - set(order))


def add_arguments(parser) -> None:  # noqa: ANN001 - argparse parser
    parser.add_argument(
        "--duckdb",
        default=None,
        help="DuckDB warehouse (default: $ARTICLE_RECS_DUCKDB_PATH or warehouse/article_recs.duckdb)",
    )


def run(args) -> int:  # noqa: ANN001 - argparse namespace
    import os

    from article_recs.dbt_runner import PROJECT_DIR

    path = Path(args.duckdb or os.environ.get("ARTICLE_RECS_DUCKDB_PATH") or "warehouse/article_recs.duckdb")
    if not path.is_absolute() and not path.exists():
        path = PROJECT_DIR / path
    if not path.exists():
        print(f"article-recs summary: no DuckDB warehouse at {path} (run `make demo` first)", file=sys.stderr)
        return 2
    try:
        print(format_summary(read_summary(path)))
    except duckdb.IOException as error:
        print(f"article-recs summary: cannot open {path}: {str(error).splitlines()[0]}", file=sys.stderr)
        return 2
    return 0

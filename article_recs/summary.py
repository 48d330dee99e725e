"""What a build produced, read back from the DuckDB warehouse: the numbers `make demo` prints. The counts
are ``marts.build_summary``'s (the dbt view the Dagster metadata reads too); the evaluation table, the
protocol and the training filters come from the recommender marts. Every query tolerates a table that is
not there yet (a partial build)."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from article_recs import settings
from article_recs.report.online import online_table


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
    # the latest run of model_evaluations: (site, strategy, task, metric, k, value, ci_low, ci_high)
    evaluation: list[tuple] = field(default_factory=list)
    evaluated_at: object = None  # when that evaluation ran
    latest_training_at: object = None  # when the latest models were trained (model_registry)
    unscored_sites: list[str] = field(default_factory=list)  # sites with cuts but no scored cut yet
    protocol: dict[str, int] = field(default_factory=dict)  # retrain_hours, holdout cuts
    # the training filters at each site's serving cut: site -> counts (recommender_cut_reads' flags)
    training_filters: dict[str, dict[str, int]] = field(default_factory=dict)
    online: str | None = None  # the online evaluation table (article_recs.report.online), when there is one
    missing: list[str] = field(default_factory=list)


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

        if have("marts.build_summary"):
            read_build_counts(con, summary)
        if _exists(con, "recommender.model_registry"):
            summary.latest_training_at = con.execute(
                "select max(trained_at) from recommender.model_registry where status <> 'failed'"
            ).fetchone()[0]
        if _exists(con, "recommender.recommender_cuts"):
            row = con.execute("""
                select max(retrain_hours), count(*) filter (where is_scored), count(distinct site_id)
                from recommender.recommender_cuts
            """).fetchone()
            summary.protocol = {"retrain_hours": row[0], "scored_cuts": row[1], "sites": row[2]}
            summary.unscored_sites = [r[0] for r in con.execute("""
                select site_id from recommender.recommender_cuts group by site_id
                having count(*) filter (where is_scored) = 0 order by site_id
            """).fetchall()]
        if _exists(con, "recommender.recommender_cut_reads") and _exists(
            con, "recommender.recommender_training_interactions"
        ):
            _read_training_filters(con, summary)
        summary.online = online_table(con)
        if have("evaluation.model_evaluations"):
            latest = con.execute("""
                select run_id, evaluated_at from evaluation.model_evaluations
                order by evaluated_at desc limit 1
            """).fetchone()
            if latest:
                summary.evaluated_at = latest[1]
                summary.evaluation = con.execute("""
                    select site_id, strategy, task, metric, k, value, ci_low, ci_high
                    from evaluation.model_evaluations
                    where run_id = ?
                    order by site_id, task, metric, strategy
                """, [latest[0]]).fetchall()
    finally:
        con.close()
    return summary


def read_build_counts(con: duckdb.DuckDBPyConnection, summary: BuildSummary) -> None:
    """The counts of ``marts.build_summary`` (the dbt view that defines them), totalled over sites."""
    rows = con.execute("select fact, site_id, strategy, outcome, amount from marts.build_summary").fetchall()
    totals: dict[str, int] = {}
    by_strategy: dict[str, dict[str, int]] = {}
    for fact, site_id, strategy, outcome, value in rows:
        value = int(value)
        if fact == "lines_read":
            summary.outcomes[outcome] = value
        elif strategy is not None:
            slot = by_strategy.setdefault(fact, {})
            slot[strategy] = slot.get(strategy, 0) + value
        else:
            totals[fact] = totals.get(fact, 0) + value
        if fact == "articles":
            summary.sites.append(site_id)
    summary.outcomes = dict(sorted(summary.outcomes.items(), key=lambda item: -item[1]))
    summary.lines_read = sum(summary.outcomes.values()) if summary.outcomes else None
    summary.page_views = totals.get("page_views")
    summary.article_page_views = totals.get("article_page_views")
    summary.sessions = totals.get("sessions")
    summary.readers = totals.get("readers")
    summary.articles = totals.get("articles")
    summary.sites.sort()
    summary.recommendations = dict(sorted(by_strategy.get("recommendations", {}).items()))
    if summary.recommendations:
        summary.current_models = sum(by_strategy.get("current_models", {}).values())
    if summary.articles:
        covered = by_strategy.get("articles_covered", {})
        summary.sources_covered = {s: covered.get(s, 0) / summary.articles for s in summary.recommendations}


def _read_training_filters(con: duckdb.DuckDBPyConnection, summary: BuildSummary) -> None:
    """What each training filter keeps at the serving cut (recommender_cut_reads' per-read flags, then the
    minimum readers per article / articles per reader that recommender_training_interactions applies)."""
    rows = con.execute("""
        with serving as (
            select site_id, cut_at, dwell_known from recommender.recommender_cuts where is_serving
        ),
        reads as (
            select
                r.site_id,
                count(*) as pairs,
                count(*) filter (where not r.is_dwell_in_range) as dwell_dropped,
                count(*) filter (where r.is_dwell_in_range and not r.is_article_in_age) as age_dropped,
                count(*) filter (where r.is_dwell_in_range and r.is_article_in_age) as passed
            from recommender.recommender_cut_reads as r
            inner join serving as s using (site_id, cut_at)
            group by r.site_id
        ),
        kept as (
            select t.site_id, count(*) as kept, count(distinct t.domain_userid) as readers,
                   count(distinct t.article_id) as articles
            from recommender.recommender_training_interactions as t
            inner join serving as s using (site_id, cut_at)
            group by t.site_id
        )
        select reads.*, coalesce(kept.kept, 0), coalesce(kept.readers, 0), coalesce(kept.articles, 0),
               serving.dwell_known
        from reads left join kept using (site_id) inner join serving using (site_id)
        order by reads.site_id
    """).fetchall()
    names = ["pairs", "dwell_dropped", "age_dropped", "passed", "kept", "readers", "articles", "dwell_known"]
    for row in rows:
        summary.training_filters[row[0]] = dict(zip(names, row[1:], strict=True))


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
    for site, f in summary.training_filters.items():
        dwell = ("dwell outside the bounds drops" if f["dwell_known"]
                 else "dwell unknown (no page pings), the dwell filter drops")
        out.append(
            f"training filters   {site}: {f['pairs']:,} reader x article pairs in the window; {dwell} "
            f"{f['dwell_dropped']:,}; too old drops {f['age_dropped']:,}; minimum readers per article and "
            f"articles per reader drop {f['passed'] - f['kept']:,}; {f['kept']:,} kept "
            f"({f['readers']:,} readers, {f['articles']:,} articles)"
        )
    out.extend(_format_evaluation(summary))
    if summary.online:
        out.extend(["", summary.online])
    if summary.missing:
        out.append(f"(not built: {', '.join(summary.missing)})")
    return "\n".join(out)


#: the metrics the summary shows, in this order (model_evaluations has a few more)
SHOWN_METRICS = ("hr", "hr_cold_start", "ndcg", "mrr", "recall", "coverage", "mean_age_days")


def _format_evaluation(summary: BuildSummary) -> list[str]:
    out = [""]
    protocol = summary.protocol
    if not summary.evaluation:
        out.append("offline evaluation: none yet - no evaluation cut has had its "
                   f"{protocol.get('retrain_hours', 2)} hours of held-out reads (needs more events)")
        return out
    if (summary.latest_training_at is not None and summary.evaluated_at is not None
            and summary.evaluated_at < summary.latest_training_at):
        out.append(f"NOTE: the latest run (models of {summary.latest_training_at}) produced no evaluation; "
                   f"the table below is the one of {summary.evaluated_at}")
    out.append(
        f"offline evaluation, rolling (run of {summary.evaluated_at}): every strategy retrained every "
        f"{protocol.get('retrain_hours', '?')} h across the hold-out window "
        f"({protocol.get('scored_cuts', '?')} "
        "scored cuts over all sites); each held-out case scored against the lists served when it happened. "
        "value [95% bootstrap interval]"
    )
    strategies = _strategies(summary)
    out.append(f"  {'site':<8} {'task':<8} {'metric':<17}" + "".join(f"{s:>22}" for s in strategies))
    rows: dict[tuple[str, str, str], dict[str, str]] = {}
    counts: dict[tuple[str, str], dict[str, float]] = {}
    for site, strategy, task, metric, k, value, low, high in summary.evaluation:
        if metric in ("n_cases", "n_cuts", "cold_start_share"):
            counts.setdefault((site, task), {})[metric] = value
            continue
        if metric not in SHOWN_METRICS:
            continue
        shown = _n(value) if low is None else f"{value:.3f} [{low:.3f},{high:.3f}]"
        rows.setdefault((site, task, metric, k), {})[strategy] = shown
    for (site, task, metric, k), values in sorted(
        rows.items(), key=lambda item: (item[0][0], item[0][1], SHOWN_METRICS.index(item[0][2]))
    ):
        label = f"{metric}@{k}" if k else metric
        out.append(f"  {site:<8} {task:<8} {label:<17}" + "".join(
            f"{values.get(s, '-'):>22}" for s in strategies))
    for (site, task), c in sorted(counts.items()):
        out.append(f"  {site} {task}: {int(c.get('n_cases', 0)):,} cases over "
                   f"{int(c.get('n_cuts', 0))} cuts, "
                   f"{c.get('cold_start_share', 0):.0%} of them on articles nobody had read before their cut")
    for site in summary.unscored_sites:
        out.append(f"  {site}: no evaluation cut scored yet (fewer than "
                   f"{protocol.get('retrain_hours', 2)} hours of events after its first cut)")
    return out


def _strategies(summary: BuildSummary) -> list[str]:
    order = ["popularity", "trending", "item_knn", "covisitation", "als", "content", "ranked", "oracle"]
    seen = {row[1] for row in summary.evaluation}
    return [s for s in order if s in seen] + sorted(seen - set(order))


def add_arguments(parser) -> None:  # noqa: ANN001 - argparse parser
    parser.add_argument("--duckdb", default=None, help=settings.DUCKDB_PATH_HELP)


def run(args) -> int:  # noqa: ANN001 - argparse namespace
    path = settings.duckdb_path(args.duckdb)
    if not path.exists():
        print(f"article-recs summary: no DuckDB warehouse at {path} (run `make demo` first)", file=sys.stderr)
        return 2
    try:
        print(format_summary(read_summary(path)))
    except duckdb.IOException as error:
        print(f"article-recs summary: cannot open {path}: {str(error).splitlines()[0]}", file=sys.stderr)
        return 2
    except duckdb.Error as error:  # e.g. a copied or renamed warehouse: its views name the file of the build
        first = str(error).splitlines()[0]
        hint = ""
        if isinstance(error, duckdb.BinderException) and "Catalog" in first:
            hint = (
                " (DuckDB views name the database file they were built in: a copied or renamed warehouse"
                " is read under its original file name, or rebuilt with dbt build)"
            )
        print(f"article-recs summary: cannot read {path}: {first}{hint}", file=sys.stderr)
        return 2
    return 0

"""Materialization metadata people look at, read from the warehouse once `dbt build` has exited.

DuckDB has one writer: while dbt runs, its process holds the file, so the numbers are read after the build,
through one short-lived read-only connection that is closed before the next step (the quality checks, or
the next run) needs the file. Every number is best effort: a table that is missing (not built yet, or a
model another branch has not written) or a query that fails is logged and left out, never failing the run.

What is attached (metadata keys):
- every table model: ``dagster/row_count`` (the UI's "Rows" column; views are not counted);
- ``event_load_stats``: ``rows_in`` (enriched lines ever read) and the outcome of each (used, bot, duplicate,
  quarantined ...), the counts of the ``build_summary`` view (the numbers ``article-recs summary`` prints);
- ``snowplow_run_stats``: what the latest (incremental) load read and wrote: ``rows_in`` (lines read this
  run), ``files_read``, ``rows_quarantined``, ``events_stored``, ``page_views_written``;
- ``page_views``: ``page_views``, ``article_page_views``, ``readers`` (build_summary);
- every strategy model that records its fit time (a ``train_seconds`` column per ``(site_id, cut_at)``: ALS's
  ``als_lists``): ``training_seconds``, the fit of the model served (the serving cut of ``recommender_cuts``),
  summed over sites;
- ``model_evaluations``: one float per ``strategy/task/metric@k`` (mean over sites, latest evaluation run);
- the run's headline (``rows_in`` this run and ``rows_in_total``, ``page_views``, ``recommendations_written``
  per strategy, ``training_seconds``, next-article HR / NDCG and reader recall per strategy, the evaluation
  table) on ``recommendations``, the table the widget serves (or, until ``recommendations`` exists, on
  ``recommendation_lists``); rows per strategy are build_summary's (``current_recommendations``).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from dagster import AssetCheckResult, AssetMaterialization, MetadataValue, Output

logger = logging.getLogger("article_recs.orchestration")

# The tables the headline is read from, by dbt model name.
EVENT_LOAD_STATS = "event_load_stats"
RUN_STATS = "snowplow_run_stats"
# snowplow_run_stats column -> metadata key, for the latest run (incremental loads: this run's numbers)
RUN_STATS_COLUMNS = {
    "lines_read": "rows_in",
    "files_read": "files_read",
    "lines_quarantined": "rows_quarantined",
    "events_stored": "events_stored",
    "page_views_written": "page_views_written",
    "is_full_refresh": "is_full_refresh",
}
PAGE_VIEWS = "page_views"
RECOMMENDATIONS = "recommendations"
# the counts (lines read per outcome, page views, readers, rows served per strategy): a dbt view
BUILD_SUMMARY = "build_summary"
MODEL_EVALUATIONS = "model_evaluations"
RECOMMENDER_CUTS = "recommender_cuts"
# every strategy's padded lists at every cut; the serving cut's rows are what recommendations serves
RECOMMENDATION_LISTS = "recommendation_lists"
LOGGED_HEADLINE = ("rows_in", "rows_in_total", "page_views", "recommendations_written", "training_seconds")
HEADLINE_METRICS = ("related/hr", "related/ndcg", "reader/recall")
# Where the headline goes: the first of these that was materialized in the run.
HEADLINE_MODELS = (RECOMMENDATIONS, RECOMMENDATION_LISTS)


class _Warehouse:
    """A read-only DuckDB connection with the few helpers the metadata needs."""

    def __init__(self, connection: Any, tables: Mapping[str, str]) -> None:
        self.connection = connection
        self.tables = tables  # model name -> "schema"."alias"

    def has(self, model: str) -> bool:
        return model in self.tables

    def columns(self, model: str) -> set[str]:
        cursor = self.connection.execute(f"select * from {self.tables[model]} limit 0")
        return {column[0] for column in cursor.description}

    def rows(self, sql: str) -> list[tuple]:
        return self.connection.execute(sql).fetchall()


def _quoted(schema: str, alias: str) -> str:
    return '"' + schema.replace('"', '""') + '"."' + alias.replace('"', '""') + '"'


def model_tables(manifest: Mapping[str, Any]) -> dict[str, str]:
    """dbt model/seed name -> quoted ``schema.alias`` (without the database: the manifest's database is the
    file name at parse time, which need not be the file this run wrote)."""
    tables = {}
    for node in manifest.get("nodes", {}).values():
        if node.get("resource_type") in ("model", "seed", "snapshot"):
            tables[node["name"]] = _quoted(node["schema"], node.get("alias") or node["name"])
    return tables


def _safe(label: str, fn, *args) -> dict[str, Any]:
    try:
        return fn(*args) or {}
    except Exception as exc:  # a metadata query must never fail the build
        logger.warning("metadata: skipped %s (%s: %s)", label, type(exc).__name__, exc)
        return {}


def _md_table(header: list[str], rows: Iterable[Iterable[Any]]) -> MetadataValue:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in rows:
        lines.append("| " + " | ".join(_fmt(value) for value in row) + " |")
    return MetadataValue.md("\n".join(lines))


def _fmt(value: Any) -> str:
    return f"{value:.4f}" if isinstance(value, float) else str(value)


def _build_summary(wh: _Warehouse) -> dict[tuple[str, str | None], int]:
    """``build_summary`` (the dbt view of the warehouse's counts) as (fact, outcome or strategy) -> count,
    totalled over sites."""
    totals: dict[tuple[str, str | None], int] = {}
    for fact, detail, value in wh.rows(
        f"select fact, coalesce(outcome, strategy), sum(amount) from {wh.tables[BUILD_SUMMARY]} group by 1, 2"
    ):
        totals[(fact, detail)] = int(value or 0)
    return totals


def _event_load_stats(summary: Mapping[tuple[str, str | None], int]) -> dict[str, Any]:
    """Outcomes of every line ever read (all loads)."""
    counts = {outcome: n for (fact, outcome), n in summary.items() if fact == "lines_read"}
    counts = dict(sorted(counts.items(), key=lambda item: -item[1]))
    if not counts:
        return {}
    return {
        "rows_in": sum(counts.values()),
        "rows_used": counts.get("used", 0),
        "rows_duplicate": counts.get("duplicate", 0),
        "rows_bot": counts.get("bot", 0),
        "rows_quarantined": sum(v for k, v in counts.items() if k.startswith("quarantined")),
        "outcomes": _md_table(["outcome", "events"], counts.items()),
    }


def _run_stats(wh: _Warehouse) -> dict[str, Any]:
    """What the latest (possibly incremental) load read and wrote."""
    columns = wh.columns(RUN_STATS)
    wanted = [c for c in RUN_STATS_COLUMNS if c in columns]
    if not wanted:
        return {}
    order = "order by run_seq desc" if "run_seq" in columns else ""
    rows = wh.rows(f"select {', '.join(wanted)} from {wh.tables[RUN_STATS]} {order} limit 1")
    if not rows:
        return {}
    out: dict[str, Any] = {}
    for column, value in zip(wanted, rows[0], strict=True):
        if value is None:
            value = 0
        out[RUN_STATS_COLUMNS[column]] = value if isinstance(value, bool) else int(value)
    return out


def _page_views(summary: Mapping[tuple[str, str | None], int]) -> dict[str, Any]:
    return {key: summary[(key, None)] for key in ("page_views", "article_page_views", "readers")
            if (key, None) in summary}


def _serving_cuts_sql(wh: _Warehouse) -> str:
    return f"select site_id, cut_at from {wh.tables[RECOMMENDER_CUTS]} where is_serving"


def _training_seconds(wh: _Warehouse, model: str) -> dict[str, Any]:
    """Seconds the model took to fit the lists served now, per site: its ``train_seconds`` at the serving cut
    (constant per (site, cut)); nothing for a model without that column (the SQL strategies)."""
    if not wh.has(RECOMMENDER_CUTS) or not {"site_id", "cut_at", "train_seconds"} <= wh.columns(model):
        return {}
    per_site = wh.rows(
        f"""
        select lists.site_id, max(lists.train_seconds)
        from {wh.tables[model]} as lists
        inner join ({_serving_cuts_sql(wh)}) as serving
            on lists.site_id = serving.site_id and lists.cut_at = serving.cut_at
        group by lists.site_id
        order by lists.site_id
        """
    )
    per_site = [(site, float(seconds)) for site, seconds in per_site if seconds is not None]
    if not per_site:
        return {}
    return {
        "training_seconds": round(sum(seconds for _, seconds in per_site), 3),
        "training_seconds_by_site": _md_table(["site", "seconds"], per_site),
    }


def _recommendations(summary: Mapping[tuple[str, str | None], int]) -> dict[str, Any]:
    """Rows served per strategy: the rows of ``current_recommendations``."""
    by_strategy = sorted((s, n) for (fact, s), n in summary.items() if fact == "recommendations")
    return {
        "recommendations_written": sum(n for _, n in by_strategy),
        **{f"recommendations_{strategy}": n for strategy, n in by_strategy},
    }


def _evaluations(wh: _Warehouse) -> dict[str, Any]:
    table = wh.tables[MODEL_EVALUATIONS]
    rows = wh.rows(
        f"""
        select strategy, task, metric, k, avg(value) as value
        from {table}
        where run_id = (select run_id from {table} order by evaluated_at desc limit 1)
        group by all
        order by task, metric, k, strategy
        """
    )
    metrics: dict[str, Any] = {}
    for strategy, task, metric, k, value in rows:
        if value is None:
            continue
        suffix = f"@{k}" if k is not None else ""
        metrics[f"eval/{strategy}/{task}/{metric}{suffix}"] = float(value)
    if metrics:
        metrics["evaluation"] = _md_table(
            ["strategy", "task", "metric", "k", "value (mean over sites)"],
            [(s, t, m, k, float(v)) for s, t, m, k, v in rows if v is not None],
        )
    return metrics


def _row_count(wh: _Warehouse, model: str) -> dict[str, Any]:
    [(count,)] = wh.rows(f"select count(*) from {wh.tables[model]}")
    return {"dagster/row_count": MetadataValue.int(int(count))}  # TableMetadataSet's key: the UI's "Rows"


def read_build_metadata(
    duckdb_path: Path,
    manifest: Mapping[str, Any],
    materialized_models: Mapping[str, str],
) -> dict[str, dict[str, Any]]:
    """Metadata per dbt model name, for the models materialized in this build.

    ``materialized_models`` maps model name -> its dbt materialization (views are not row-counted).
    """
    import duckdb

    if not duckdb_path.exists():
        logger.warning("metadata: no warehouse at %s", duckdb_path)
        return {}
    try:
        connection = duckdb.connect(str(duckdb_path), read_only=True)
    except Exception as exc:  # locked by another writer, or not a DuckDB file
        logger.warning("metadata: cannot open %s read-only (%s)", duckdb_path, exc)
        return {}

    try:
        wh = _Warehouse(connection, model_tables(manifest))
        result: dict[str, dict[str, Any]] = {}
        for model, materialized in materialized_models.items():
            if wh.has(model) and materialized != "view":
                result.setdefault(model, {}).update(_safe(f"row count of {model}", _row_count, wh, model))

        headline: dict[str, Any] = {}
        summary = _safe(BUILD_SUMMARY, _build_summary, wh) if wh.has(BUILD_SUMMARY) else {}
        stats = _event_load_stats(summary)
        if stats:
            result.setdefault(EVENT_LOAD_STATS, {}).update(stats)
            headline.update({k: stats[k] for k in ("rows_in", "rows_quarantined")})
        if wh.has(RUN_STATS):  # incremental loads: "rows in" is what this run read
            run = _safe(RUN_STATS, _run_stats, wh)
            result.setdefault(RUN_STATS, {}).update(run)
            if "rows_in" in headline and "rows_in" in run:
                headline["rows_in_total"] = headline["rows_in"]
            for key in ("rows_in", "rows_quarantined", "page_views_written"):
                if key in run:
                    headline[key] = run[key]
        views = _page_views(summary)
        if views:
            result.setdefault(PAGE_VIEWS, {}).update(views)
            headline.update({k: views[k] for k in ("page_views",) if k in views})
        training_seconds = 0.0
        for model, materialized in materialized_models.items():
            if not wh.has(model) or materialized == "view":
                continue
            training = _safe(f"training seconds of {model}", _training_seconds, wh, model)
            if training:
                result.setdefault(model, {}).update(training)
                training_seconds += training["training_seconds"]
                headline["training_seconds"] = round(training_seconds, 3)
        if summary:
            headline.update(_recommendations(summary))
        if wh.has(MODEL_EVALUATIONS):
            evaluation = _safe(MODEL_EVALUATIONS, _evaluations, wh)
            result.setdefault(MODEL_EVALUATIONS, {}).update(evaluation)
            # the numbers the recommender is judged by: next-article HR / NDCG, per-reader recall
            for key, value in evaluation.items():
                if key.startswith("eval/") and any(f"/{m}@" in key for m in HEADLINE_METRICS):
                    if not key.endswith("@0"):
                        headline[key] = value
            if "evaluation" in evaluation:
                headline["evaluation"] = evaluation["evaluation"]

        target = next((m for m in HEADLINE_MODELS if m in materialized_models), None)
        if target is not None and headline:
            result.setdefault(target, {}).update(headline)
        return result
    finally:
        connection.close()


def _model_name(event: Any, manifest: Mapping[str, Any]) -> str | None:
    unique_id = event.metadata.get("unique_id") if event.metadata else None
    unique_id = getattr(unique_id, "value", unique_id)
    node = manifest.get("nodes", {}).get(unique_id) if unique_id else None
    return node["name"] if node else None


def with_build_metadata(
    events: Iterable[Output | AssetMaterialization | AssetCheckResult | Any],
    *,
    manifest: Mapping[str, Any],
    duckdb_path: Path | None,
    log: logging.Logger | Any = logger,
) -> Iterator[Any]:
    """Yield dbt's Dagster events with the warehouse metadata attached, re-raising dbt's error at the end.

    The stream is drained first (dbt holds the DuckDB file until it exits), then the numbers are read once
    and added to the matching materializations. A failed build still reports what it materialized before
    the error is raised.
    """
    collected: list[Any] = []
    error: BaseException | None = None
    try:
        for event in events:
            collected.append(event)
    except Exception as exc:  # dbt failed: report what was built, then fail the step
        error = exc

    materialized: dict[str, str] = {}
    nodes = manifest.get("nodes", {})
    for event in collected:
        if isinstance(event, (Output, AssetMaterialization)):
            name = _model_name(event, manifest)
            if name:
                unique_id = event.metadata["unique_id"]
                node = nodes.get(getattr(unique_id, "value", unique_id), {})
                materialized[name] = node.get("config", {}).get("materialized", "table")

    extra: dict[str, dict[str, Any]] = {}
    if duckdb_path is not None and materialized:
        extra = read_build_metadata(duckdb_path, manifest, materialized)
        target = next((model for model in HEADLINE_MODELS if model in extra), None)
        headline = {k: v for k, v in extra.get(target, {}).items() if k in LOGGED_HEADLINE}
        if headline:
            log.info("build headline: " + ", ".join(f"{k}={v}" for k, v in headline.items()))

    for event in collected:
        if isinstance(event, (Output, AssetMaterialization)):
            name = _model_name(event, manifest)
            if name in extra:
                event = event.with_metadata({**event.metadata, **extra[name]})
        yield event

    if error is not None:
        raise error

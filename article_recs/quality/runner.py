"""Run the suites with Great Expectations' own machinery and turn the results into plain words.

Each suite's relation is read into a pandas DataFrame (DuckDB read-only, or PostgreSQL through SQLAlchemy:
GX 1.x has no DuckDB SQL datasource, so one pandas datasource serves both); a relation larger than
``sample_rows`` is validated on a deterministic sample (the rows with the smallest hash). Each suite is one GX
ExpectationSuite, ValidationDefinition and Checkpoint whose ``UpdateDataDocsAction`` writes its pages into the
Data Docs site; the checkpoints of one run share a run id. Text values are HTML-escaped before GX sees them
(its pages print observed values as they are); the messages unescape them again.
"""

from __future__ import annotations

import html
import json
import logging
import os
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from article_recs import settings
from article_recs.events.errors import InputError, InputFileNotFoundError, UnavailableError
from article_recs.quality.suites import (
    CRITICAL_SUITES,
    SUITE_DEFINITIONS,
    SUITES,
    THRESHOLDS_RELATION,
    Rule,
    Suite,
    Thresholds,
)

DEFAULT_DOCS_DIR = settings.PROJECT_DIR / "reports" / "data_docs"
DOCS_SITE = "article_recs"
EXAMPLES = 3
LABELS = {"passed": "PASS", "failed": "FAIL", "missing": "MISSING", "error": "ERROR"}


class WarehouseError(InputError, UnavailableError):
    """The warehouse cannot be used (locked, server down, login refused): one line, exit status 3."""


@dataclass
class SuiteResult:
    """``failures``: one plain-words line per failed rule. ``status``: passed | failed | missing | error."""

    suite: str
    relation: str
    success: bool
    statistics: dict[str, Any] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)
    status: str = "passed"

    def summary_line(self, critical: bool = True) -> str:
        stats = self.statistics
        if self.status in ("missing", "error"):
            detail = "not built yet" if self.status == "missing" else "could not be read"
        else:
            detail = f"{stats['rows']:,} {stats['unit']}"
            if stats.get("sampled"):
                detail += f" (sampled {stats['sample_rows']:,})"
            detail += (
                f", {stats['successful_expectations']}/{stats['evaluated_expectations']} expectations met"
            )
        label = LABELS[self.status] + (" (warning)" if self.status != "passed" and not critical else "")
        return f"{self.suite:<16} {label:<17} {self.relation:<32} {detail}"


@dataclass
class QualityReport:
    results: dict[str, SuiteResult]
    critical: frozenset[str] = CRITICAL_SUITES
    data_docs_index: Path | None = None  # GX's site (its index loads Bootstrap from CDNs)
    summary_html: Path | None = None  # a page without scripts: readable offline

    @property
    def critical_failures(self) -> list[str]:
        return [name for name, r in self.results.items() if name in self.critical and not r.success]

    @property
    def success(self) -> bool:
        return not self.critical_failures

    def summary_lines(self) -> list[str]:
        return [r.summary_line(critical=name in self.critical) for name, r in self.results.items()]


# ---------------------------------------------------------------------------------------------- warehouse
class Warehouse:
    """Reads relations of the DuckDB file (read-only) or of PostgreSQL into pandas."""

    def __init__(self, target: str | None = None, duckdb_path: str | os.PathLike[str] | None = None):
        self.kind = target or settings.target()
        if self.kind == "postgres":
            self._open_postgres()
        elif self.kind == "duckdb":
            self._open_duckdb(settings.duckdb_path(duckdb_path))
        else:
            raise InputError(f"unknown target {self.kind!r}: expected duckdb or postgres")

    def _open_duckdb(self, path: Path) -> None:
        import duckdb

        if not path.exists():
            raise InputFileNotFoundError(
                f"DuckDB warehouse {path} does not exist: build it first (`make demo`)"
            )
        try:
            self.con = duckdb.connect(str(path), read_only=True)
        except duckdb.Error as exc:
            why = "is locked by another process (a dbt or Dagster run?): retry when it has finished"
            raise WarehouseError(
                f"DuckDB warehouse {path} "
                + (why if "lock" in str(exc).lower() else f"cannot be opened: {exc}")
            ) from None
        # relative globs of the file-backed staging views resolve against the project, as under dbt
        self.con.execute("set file_search_path = ?", [str(settings.PROJECT_DIR)])
        self.con.execute("set enable_progress_bar = false")
        self.description = str(path)

    def _open_postgres(self) -> None:
        import sqlalchemy as sa

        from article_recs.serving.connection import PgSettings

        pg = PgSettings.from_env()
        url = sa.URL.create(
            "postgresql+psycopg2", pg.user, pg.password or None, pg.host, pg.port, pg.database
        )
        self.engine = sa.create_engine(url, connect_args={"connect_timeout": pg.connect_timeout})
        self.description = pg.describe()
        try:
            self.engine.connect().close()
        except sa.exc.SQLAlchemyError as exc:
            reason = str(getattr(exc, "orig", exc)).strip().splitlines()[0]
            self.engine.dispose()
            raise WarehouseError(f"cannot connect to {self.description}: {reason}") from None

    def query(self, sql: str):
        if self.kind == "duckdb":
            return self.con.sql(sql).df()
        import pandas as pd

        with self.engine.connect() as conn:
            return pd.read_sql_query(sql, conn)

    def exists(self, relation: str) -> bool:
        schema, table = relation.split(".")
        found = self.query(
            f"select count(*) as n from information_schema.tables "
            f"where table_schema = '{schema}' and table_name = '{table}'"
        )
        return bool(found["n"].iloc[0])

    def load(self, suite: Suite, sample_rows: int) -> tuple[Any, int]:
        """The suite's columns of its relation (a sample of ``sample_rows`` when larger) and its row count."""
        source = f"select {', '.join(suite.columns)} from {suite.relation}{self._readable_files(suite)}"
        if self.kind == "duckdb":  # one scan of the relation (the staging view parses raw files)
            self.con.execute(f"create or replace temp table quality_frame as {source}")
            source = "quality_frame"
        else:
            source = f"({source})"
        total = int(self.query(f"select count(*) as n from {source} as frame")["n"].iloc[0])
        row_hash = "hash(frame)" if self.kind == "duckdb" else "md5(cast(frame as text))"
        sample = f" order by {row_hash} limit {sample_rows}" if total > sample_rows else ""
        return self.query(f"select * from {source} as frame{sample}"), total

    def _readable_files(self, suite: Suite) -> str:
        """The raw files the build quarantined as unreadable (empty, not gzip) are left out, as the build
        them out: by name, so DuckDB never opens them (reading one fails the whole view)."""
        if "source_file" not in suite.columns or not self.exists("intermediate.int_event_files"):
            return ""
        files = self.query(
            "select source_file from intermediate.int_event_files where unreadable_reason is not null"
        )["source_file"]
        return "".join(
            (" where " if i == 0 else " and ") + "source_file <> '{}'".format(f.replace("'", "''"))
            for i, f in enumerate(files)
        )

    def thresholds(self) -> Thresholds:
        if not self.exists(THRESHOLDS_RELATION):
            raise LookupError(
                f"{THRESHOLDS_RELATION} does not exist yet — build it with "
                "`dbt build --select quality_thresholds`"
            )
        row = self.query(f"select * from {THRESHOLDS_RELATION}").iloc[0]
        as_of = row["as_of"]
        return Thresholds(
            as_of=None if as_of is None or as_of != as_of else as_of.to_pydatetime().replace(tzinfo=None),
            **{
                name: row[name].item()
                for name in (
                    "heartbeat_s",
                    "raw_tolerance_pct",
                    "raw_max_age_days",
                    "max_dwell_per_read_s",
                    "sample_rows",
                )
            },
        )

    def close(self) -> None:
        if self.kind == "duckdb":
            self.con.close()
        else:
            self.engine.dispose()


# ---------------------------------------------------------------------------------------------- GX
def make_context(data_docs_dir: str | os.PathLike[str] | None = None):
    """An ephemeral GX context (no analytics, no progress bars) with a filesystem Data Docs site."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    logging.getLogger("great_expectations").setLevel(logging.ERROR)
    import great_expectations as gx
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )

    sites, plugins = {}, None
    if data_docs_dir is not None:
        plugins = _offline_styles(Path(data_docs_dir))
        sites[DOCS_SITE] = {
            "class_name": "SiteBuilder",
            "show_how_to_buttons": False,
            "store_backend": {
                "class_name": "TupleFilesystemStoreBackend",
                "base_directory": str(Path(data_docs_dir).resolve()),
            },
            "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
        }
    config = DataContextConfig(
        store_backend_defaults=InMemoryStoreBackendDefaults(),
        data_docs_sites=sites,
        analytics_enabled=False,
        progress_bars=ProgressBarsConfig(globally=False),
        plugins_directory=plugins,
    )
    context = gx.get_context(mode="ephemeral", project_config=config)
    context.data_sources.add_pandas("warehouse")
    return context


#: GX's pages take Bootstrap and Font Awesome from CDNs; offline, these rules draw the status marks
OFFLINE_CSS = """
.fa-check-circle::before { content: "\\2714"; color: #17692f; font-family: sans-serif; font-style: normal; }
.fa-times::before { content: "\\2718"; color: #b3261e; font-family: sans-serif; font-style: normal; }
.fa-exclamation-triangle::before { content: "!"; color: #8a5a00; font-family: sans-serif; }
table { border-collapse: collapse; } th, td { padding: 0.2rem 0.6rem; vertical-align: top; }
"""


def _offline_styles(docs_dir: Path) -> str:
    plugins = docs_dir.resolve() / "_gx_plugins"
    styles = plugins / "custom_data_docs" / "styles"
    styles.mkdir(parents=True, exist_ok=True)
    (styles / "data_docs_custom_styles.css").write_text(OFFLINE_CSS, encoding="utf-8")
    return str(plugins)


def _escaped(frame):
    """Text cells with markup characters HTML-escaped (GX writes observed values into its pages as is)."""
    frame = frame.copy()
    for column in frame.columns:
        if frame[column].dtype.kind in "OSU" or str(frame[column].dtype) in ("string", "str"):
            marked = frame[column].astype("string").str.contains(r"[<>&\"']", regex=True, na=False)
            if marked.any():
                frame[column] = frame[column].astype(object)
                frame.loc[marked, column] = frame.loc[marked, column].map(lambda v: html.escape(str(v)))
    return frame


def validate(context, name: str, suite: Suite, rules: list[Rule], frame, run_id, docs: bool):
    """One Checkpoint run of ``rules`` over ``frame``, Data Docs updated by GX's own action."""
    import great_expectations as gx
    import great_expectations.expectations as gxe
    from great_expectations.checkpoint import UpdateDataDocsAction

    expectations = [getattr(gxe, r.expectation)(**r.kwargs, description=r.description) for r in rules]
    gx_suite = context.suites.add_or_update(gx.ExpectationSuite(name=name, expectations=expectations))
    datasource = context.data_sources.get("warehouse")
    if name in datasource.get_asset_names():
        datasource.delete_asset(name)
    asset = datasource.add_dataframe_asset(name)
    batch = asset.add_batch_definition_whole_dataframe(name)
    definition = context.validation_definitions.add_or_update(
        gx.ValidationDefinition(name=name, data=batch, suite=gx_suite)
    )
    checkpoint = context.checkpoints.add_or_update(
        gx.Checkpoint(
            name=name,
            validation_definitions=[definition],
            actions=[UpdateDataDocsAction(name="data_docs", site_names=[DOCS_SITE])] if docs else [],
            result_format={
                "result_format": "SUMMARY",
                "partial_unexpected_count": 20,
                "unexpected_index_column_names": list(suite.examples),
            },
        )
    )
    result = checkpoint.run(batch_parameters={"dataframe": _escaped(frame)}, run_id=run_id)
    return next(iter(result.run_results.values()))


# ---------------------------------------------------------------------------------------------- messages
def _value(value: Any) -> str:
    value = value.item() if hasattr(value, "item") else value
    if value is None or value != value or type(value).__name__ in ("NAType", "NaTType"):
        return "null"
    if isinstance(value, str):
        value = html.unescape(value)
        if "/" in value and len(value) > 48:
            value = ".../" + "/".join(value.split("/")[-5:])  # file paths: the hour folders and the file
        return repr(value)
    return f"{value:.6g}" if isinstance(value, float) else str(value)


def _share(part: int, whole: int) -> str:
    pct = 100.0 * part / whole if whole else 0.0
    return f"{pct:.2f}%" if pct == 0 or pct >= 0.01 else f"{pct:.1g}%"


def failure_message(name: str, suite: Suite, rule: Rule, evr, sampled: bool = False) -> str:
    """``<suite>: <what must hold> — N of M [sampled] <unit> (x%) <problem>, e.g. <values and ids>``."""
    if (evr.exception_info or {}).get("raised_exception"):
        reason = (evr.exception_info.get("exception_message") or "error").strip().splitlines()[0]
        return f"{name}: {rule.description} — could not be evaluated: {reason}"
    result = evr.result or {}
    unexpected, total = int(result.get("unexpected_count") or 0), int(result.get("element_count") or 0)
    mostly = rule.kwargs.get("mostly", 1.0)
    tolerance = f" (allowed: {_share(round((1 - mostly) * 10000), 10000)})" if mostly < 1.0 else ""
    shown_value = rule.kwargs.get("column") and not isinstance(rule.kwargs.get("value_set", [0])[0], bool)
    examples: list[str] = []
    for row in result.get("partial_unexpected_index_list") or []:
        ids = ", ".join(f"{c}={_value(row[c])}" for c in suite.examples if c in row)
        text = (
            f"{_value(row[rule.kwargs['column']])} ({ids})"
            if shown_value and rule.kwargs["column"] in row and rule.kwargs["column"] not in suite.examples
            else ids
        )
        if text not in examples and len(examples) < EXAMPLES:
            examples.append(text)
    tail = ", e.g. " + "; ".join(examples) if examples else ""
    unit = f"sampled {suite.unit}" if sampled else suite.unit
    return (
        f"{name}: {rule.description} — {unexpected:,} of {total:,} {unit} ({_share(unexpected, total)}) "
        f"{rule.problem}{tolerance}{tail}"
    )


# ---------------------------------------------------------------------------------------------- running
def _check(name: str, warehouse: Warehouse, context, run_id, docs: bool) -> SuiteResult:
    suite = SUITE_DEFINITIONS[name]
    started = time.perf_counter()
    if not warehouse.exists(suite.relation):
        return SuiteResult(
            name,
            suite.relation,
            False,
            {},
            [
                f"{name}: {suite.relation} does not exist yet — "
                f"build it with `dbt build --select {suite.model}`"
            ],
            "missing",
        )
    try:
        thresholds = warehouse.thresholds()
        frame, total = warehouse.load(suite, thresholds.sample_rows)
        rules = suite.rules(thresholds)
        vr = validate(context, name, suite, rules, frame, run_id, docs)
    except Exception as exc:  # noqa: BLE001 - an unreadable relation is a failed suite in words, not a traceback
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return SuiteResult(
            name, suite.relation, False, {}, [f"{name}: could not be checked: {reason}"], "error"
        )
    by_description = {rule.description: rule for rule in rules}  # GX need not keep the order
    failures = [
        failure_message(
            name, suite, by_description[evr.expectation_config.description], evr, total > len(frame)
        )
        for evr in vr.results
        if not evr.success
    ]
    stats = {
        "relation": suite.relation,
        "rows": total,
        "unit": suite.unit,
        "sampled": total > len(frame),
        "sample_rows": len(frame),
        "evaluated_expectations": len(rules),
        "successful_expectations": len(rules) - len(failures),
        "as_of": thresholds.as_of.isoformat(sep=" ") if thresholds.as_of else None,
        "seconds": round(time.perf_counter() - started, 3),
    }
    return SuiteResult(
        name, suite.relation, not failures, stats, failures, "failed" if failures else "passed"
    )


def _run_id():
    from great_expectations.core.run_identifier import RunIdentifier

    return RunIdentifier(run_name="article-recs-quality", run_time=datetime.now(UTC))


def run_suite(
    suite_name: str, *, duckdb_path: str | None = None, target: str | None = None, context=None
) -> SuiteResult:
    """Validate one suite (the Dagster asset checks call this). Only an unusable warehouse raises."""
    if suite_name not in SUITES:
        raise InputError(f"unknown suite {suite_name!r}: expected one of {', '.join(SUITES)}")
    warehouse = Warehouse(target, duckdb_path)
    try:
        return _check(suite_name, warehouse, context or make_context(), _run_id(), docs=False)
    finally:
        warehouse.close()


def run_all(
    *,
    duckdb_path: str | None = None,
    data_docs_dir: str | os.PathLike[str] | None = DEFAULT_DOCS_DIR,
    suites: Iterable[str] | None = None,
    target: str | None = None,
    progress: bool = False,
) -> QualityReport:
    """Run the suites (default: all) under one run id; Data Docs and summary.html in ``data_docs_dir``.
    ``progress``: a bar of the suites on stderr, when it is a terminal."""
    from tqdm import tqdm

    names = list(dict.fromkeys(suites)) if suites else list(SUITES)
    unknown = [n for n in names if n not in SUITES]
    if unknown:
        raise InputError(f"unknown suite(s) {', '.join(unknown)}: expected {', '.join(SUITES)}")
    docs_dir = Path(data_docs_dir).resolve() if data_docs_dir is not None else None
    if docs_dir is not None:
        docs_dir.mkdir(parents=True, exist_ok=True)
    warehouse = Warehouse(target, duckdb_path)
    try:
        context, run_id = make_context(docs_dir), _run_id()
        bar = tqdm(names, desc="suites", unit="suite", leave=False, disable=None if progress else True)
        results = {name: _check(name, warehouse, context, run_id, docs_dir is not None) for name in bar}
    finally:
        warehouse.close()
    report = QualityReport(results)
    if docs_dir is not None:
        report.data_docs_index = docs_dir / "index.html"
        report.summary_html = write_summary(report, docs_dir, warehouse.description)
    return report


def write_summary(report: QualityReport, docs_dir: Path, warehouse: str) -> Path:
    """``summary.html`` (no scripts, no external assets) and ``summary.json`` beside GX's Data Docs."""
    rows = []
    for name, r in report.results.items():
        critical = name in report.critical
        label = LABELS[r.status] + ("" if critical or r.status == "passed" else " (warning)")
        items = "".join(f"<li>{html.escape(line)}</li>" for line in r.failures)
        rows.append(
            f"<tr><td><b>{html.escape(name)}</b><br><code>{html.escape(r.relation)}</code></td>"
            f"<td class='{LABELS[r.status]}'>{label}</td><td>{html.escape(r.summary_line(critical))}</td>"
            f"<td><ul>{items}</ul></td></tr>"
        )
    verdict = (
        "PASSED" if report.success else "FAILED: critical suite(s) " + ", ".join(report.critical_failures)
    )
    page = (
        f"<!doctype html><html lang=en><head><meta charset=utf-8><title>article-recs data quality</title>"
        f"<style>body{{font-family:sans-serif;margin:2rem}} td{{border-bottom:1px solid #ddd;padding:.4rem}}"
        f" .PASS{{color:#17692f}} .FAIL,.ERROR,.MISSING{{color:#b3261e}}</style></head><body>"
        f"<h1>article-recs data quality: {html.escape(verdict)}</h1><p>{html.escape(warehouse)} · "
        f"{datetime.now(UTC):%Y-%m-%d %H:%M:%S} UTC · <a href='index.html'>Great Expectations Data Docs</a>"
        f"</p><table>{''.join(rows)}</table></body></html>\n"
    )
    path = docs_dir / "summary.html"
    path.write_text(page, encoding="utf-8")
    payload = {
        "success": report.success,
        "critical_failures": report.critical_failures,
        "suites": {
            n: {"status": r.status, "failures": r.failures, "statistics": r.statistics}
            for n, r in report.results.items()
        },
    }
    (docs_dir / "summary.json").write_text(
        json.dumps(payload, indent=2, default=str) + "\n", encoding="utf-8"
    )
    return path

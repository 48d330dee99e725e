"""Run the suites with Great Expectations (GX Core 1.x) and turn the results into plain words.

Warehouses:

- **DuckDB** (the default target): GX has no DuckDB SQL datasource, so each frame of a suite (the SQL in
  :mod:`.suites`) runs in DuckDB (read-only connection) and GX validates the resulting pandas DataFrame
  through a pandas datasource. A frame of up to ``QualityParams.max_rows`` rows (default 500,000) is validated
  in full. A larger one is validated on a deterministic sample of ``max_rows`` rows (the smallest
  ``hash(row)``), and every row-level rule is also counted exactly in SQL over the whole frame; those exact
  counts, validated by GX as a one-row frame (``<suite>.<frame>.exact``), decide success, and the sample gives
  the examples. Cross-row rules (uniqueness, list lengths, cross-table joins) are aggregated in SQL first, so
  they are exact too.
- **PostgreSQL** (``target="postgres"``): GX's Postgres datasource, one query asset per frame; GX computes
  everything in the database, in full.

Each frame is one GX expectation suite, validation definition and checkpoint; the checkpoints of one run share
a run id. The GX context is ephemeral (no ``great_expectations.yml``, nothing to commit); ``run_all`` builds
the Data Docs once at the end into an explicit filesystem site (GX drops the pages of earlier runs).
``run_suite(..., data_docs=True)`` builds the pages of each checkpoint after it instead. Either way the values
in the stored results are HTML-escaped first (``escape_stored_results``: GX writes them into the pages as they
are). Pass
``context=`` to use your own context (e.g. a file context that keeps history).
"""

from __future__ import annotations

import html
import logging
import os
import shutil
import sys
import tempfile
import time
import weakref
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from article_recs.events.errors import InputError, InputFileNotFoundError, UnavailableError
from article_recs.quality.suites import (
    CRITICAL_SUITES,
    PROJECT_DIR,
    SUITES,
    Catalog,
    Check,
    Frame,
    QualityParams,
    SuitePlan,
    allowed_failures,
    build_plan,
    format_pct,
    violation_sql,
)

DEFAULT_DOCS_DIR = PROJECT_DIR / "reports" / "data_docs"
DEFAULT_DUCKDB_PATH = "warehouse/article_recs.duckdb"
DOCS_SITE = "article_recs"
PANDAS_DATASOURCE = "duckdb_warehouse"
POSTGRES_DATASOURCE = "postgres_warehouse"
EXAMPLES = 3


class WarehouseError(InputError, UnavailableError):
    """The warehouse cannot be used (locked, server down, login refused): one line, no traceback, exit
    status 3 (a missing file is an :class:`InputFileNotFoundError`, status 2)."""


# ---------------------------------------------------------------------------------------------- results
@dataclass
class SuiteResult:
    """The outcome of one suite. ``failures``: one plain-words line per failed rule (or per rule that
    could not run). ``status``: passed | failed | missing (the relation is not built) | error (unreadable).
    """

    suite: str
    relation: str
    success: bool
    statistics: dict[str, Any] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)
    status: str = "passed"
    notes: list[str] = field(default_factory=list)
    #: frame name (".exact" for exact counts) -> GX ValidationResultIdentifier, to find its Data Docs page
    validation_ids: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def summary_line(self, critical: bool = True) -> str:
        stats = self.statistics
        if self.status == "missing":
            detail = "not built yet"
        elif self.status == "error":
            detail = "could not be read"
        else:
            rows = stats.get("rows")
            rows_words = f"{rows:,} {stats.get('unit', 'rows')}" if isinstance(rows, int) else "? rows"
            if stats.get("sampled"):
                rows_words += f" (sampled {stats.get('sample_rows', 0):,}, exact counts in SQL)"
            ok, total = stats.get("successful_expectations", 0), stats.get("evaluated_expectations", 0)
            detail = f"{rows_words}, {ok}/{total} expectations met"
        label = {"passed": "PASS", "failed": "FAIL", "missing": "MISSING", "error": "ERROR"}[self.status]
        if self.status != "passed" and not critical:
            label += " (warning)"
        return f"{self.suite:<16} {label:<17} {self.relation:<32} {detail}"


@dataclass
class QualityReport:
    results: dict[str, SuiteResult]
    critical: frozenset[str] = CRITICAL_SUITES
    #: GX's Data Docs site (its index page loads jQuery/Bootstrap from CDNs: offline it shows no tables)
    data_docs_index: Path | None = None
    target: str = "duckdb"
    #: a self-contained page in the same folder: every suite, its failures in words, links to the GX pages
    summary_html: Path | None = None
    warehouse: str = ""

    @property
    def critical_failures(self) -> list[str]:
        return [name for name, r in self.results.items() if name in self.critical and not r.success]

    @property
    def success(self) -> bool:
        """True when every critical suite passed (non-critical failures only warn)."""
        return not self.critical_failures

    def summary_lines(self) -> list[str]:
        return [r.summary_line(critical=name in self.critical) for name, r in self.results.items()]

    def failures(self) -> list[str]:
        return [line for r in self.results.values() for line in r.failures]


@dataclass
class _FrameData:
    data: Any  # pandas DataFrame (DuckDB) or SQL text (PostgreSQL)
    rows: int | None
    sampled: bool = False
    exact: Any = None  # one-row DataFrame of exact violation counts when sampled


# ---------------------------------------------------------------------------------------------- warehouses
def default_duckdb_path() -> Path:
    """``ARTICLE_RECS_DUCKDB_PATH`` (relative: to the project, as dbt resolves it) or the default."""
    path = Path(os.environ.get("ARTICLE_RECS_DUCKDB_PATH") or DEFAULT_DUCKDB_PATH)
    return path if path.is_absolute() else PROJECT_DIR / path


def default_target() -> str:
    return "postgres" if os.environ.get("ARTICLE_RECS_TARGET", "").lower() == "postgres" else "duckdb"


def postgres_url() -> str:
    """SQLAlchemy URL from ARTICLE_RECS_PG_HOST/PORT/USER/PASSWORD/DATABASE (profiles.yml's defaults)."""
    from urllib.parse import quote

    env = os.environ.get
    user = quote(env("ARTICLE_RECS_PG_USER", "article_recs"), safe="")
    password = env("ARTICLE_RECS_PG_PASSWORD", "")
    auth = f"{user}:{quote(password, safe='')}" if password else user
    host, port = env("ARTICLE_RECS_PG_HOST", "127.0.0.1"), env("ARTICLE_RECS_PG_PORT", "55432")
    return f"postgresql+psycopg2://{auth}@{host}:{port}/{env('ARTICLE_RECS_PG_DATABASE', 'article_recs')}"


class _Warehouse(Catalog):
    kind = ""
    _columns: dict[str, frozenset[str]]
    _gx_datasources: dict[int, Any]

    def gx_datasource(self, context):
        """This warehouse's GX datasource in ``context``, made once (a SQL datasource holds an engine)."""
        cache = self.__dict__.setdefault("_gx_datasources", {})
        if id(context) not in cache:
            cache[id(context)] = (context, self._add_gx_datasource(context))
        return cache[id(context)][1]

    def _add_gx_datasource(self, context):  # pragma: no cover - interface
        raise NotImplementedError

    def _dispose_gx(self) -> None:
        for _context, datasource in self.__dict__.get("_gx_datasources", {}).values():
            try:
                datasource.get_engine().dispose()
            except Exception:  # noqa: BLE001 - pandas datasources have no engine
                pass
        self.__dict__["_gx_datasources"] = {}

    def columns(self, relation: str) -> frozenset[str] | None:
        return self._columns.get(relation.lower())

    def describe(self) -> str:  # pragma: no cover - interface
        raise NotImplementedError

    def load(self, frame: Frame, checks: Sequence[Check], max_rows: int) -> _FrameData:  # pragma: no cover
        raise NotImplementedError

    def close(self) -> None:
        self._dispose_gx()


class DuckDBWarehouse(_Warehouse):
    """A read-only connection to the dbt DuckDB file (relative globs of file-backed views resolve against
    the project directory, as under dbt)."""

    kind = "duckdb"

    def __init__(self, path: str | os.PathLike[str]):
        import duckdb

        self.path = Path(path)
        if not self.path.exists():
            raise InputFileNotFoundError(
                f"DuckDB warehouse {self.path} does not exist: build it first (`make demo` or `dbt build`)"
            )
        try:
            self.con = duckdb.connect(str(self.path), read_only=True)
        except duckdb.Error as exc:
            if "lock" in str(exc).lower():
                raise WarehouseError(
                    f"DuckDB warehouse {self.path} is locked by another process (a dbt or Dagster run?): "
                    "retry when it has finished"
                ) from None
            raise WarehouseError(f"cannot open DuckDB warehouse {self.path}: {exc}") from None
        self.con.execute(f"set file_search_path = '{str(PROJECT_DIR).replace(chr(39), chr(39) * 2)}'")
        self.con.execute("set enable_progress_bar = false")
        # temporary frames may spill to disk: a private folder (the database file itself is read-only)
        self._spill = tempfile.mkdtemp(prefix="article_recs_quality_")
        self.con.execute(f"set temp_directory = '{self._spill}'")
        self._frames = 0
        self._views = {
            relation
            for (relation,) in self.con.execute(
                "select lower(table_schema || '.' || table_name) from information_schema.tables "
                "where table_catalog = current_database() and table_type = 'VIEW'"
            ).fetchall()
        }
        self._snapshots: dict[tuple[str, tuple[str, ...]], str] = {}
        self._columns = {}
        for relation, column in self.con.execute(
            "select lower(table_schema || '.' || table_name), column_name from information_schema.columns "
            "where table_catalog = current_database()"
        ).fetchall():
            self._columns.setdefault(relation, frozenset())
            self._columns[relation] = self._columns[relation] | {column}

    def describe(self) -> str:
        return str(self.path)

    def prepare(self, relation: str, columns: Iterable[str]) -> str:
        """Views (the staging views parse raw files on every read) are read once, into a temporary table of
        the needed columns; tables are read directly. The files the build quarantined as unreadable
        (``int_event_files``: empty, not gzip) are left out as the build leaves them out - by name, so DuckDB
        never opens them (a read of one fails the whole view)."""
        columns = tuple(columns)
        if relation.lower() not in self._views or not columns:
            return relation
        key = (relation.lower(), columns)
        if key not in self._snapshots:
            name = f"quality_snapshot_{len(self._snapshots) + 1}"
            cols = ", ".join(f'"{c}"' for c in columns)
            where = ""
            unreadable = self._unreadable_files()
            if unreadable and "source_file" in self._columns.get(relation.lower(), frozenset()):
                where = " where " + " and ".join(
                    "source_file <> '{}'".format(file.replace("'", "''")) for file in unreadable
                )
            self.con.execute(f"create or replace temp table {name} as select {cols} from {relation}{where}")
            self._snapshots[key] = name
        return self._snapshots[key]

    def _unreadable_files(self) -> list[str]:
        if "intermediate.int_event_files" not in self._columns:
            return []
        return [
            file
            for (file,) in self.con.execute(
                "select source_file from intermediate.int_event_files where unreadable_reason is not null"
            ).fetchall()
        ]

    def _add_gx_datasource(self, context):
        try:
            return context.data_sources.get(PANDAS_DATASOURCE)
        except Exception:  # noqa: BLE001 - not there yet
            return context.data_sources.add_pandas(PANDAS_DATASOURCE)

    def scalar(self, sql: str) -> Any:
        row = self.con.execute(sql).fetchone()
        return row[0] if row else None

    def load(self, frame: Frame, checks: Sequence[Check], max_rows: int) -> _FrameData:
        # One scan of the source (staging views parse raw files: scans are expensive): the frame's columns go
        # into a temporary table, and the count, the sample and the exact counts all read that.
        self._frames += 1
        table = f"quality_frame_{self._frames}"
        self.con.execute(f"create or replace temp table {table} as {frame.sql}")
        try:
            total = int(self.scalar(f"select count(*) from {table}"))
            if total <= max_rows:
                return _FrameData(self.con.sql(f"select * from {table}").df(), total)
            sample = self.con.sql(
                f"select * from {table} as frame order by hash(frame) limit {max_rows}"
            ).df()
            exprs = ["count(*) as _rows"] + [
                f'{sql} as "{c.key}__unexpected"' for c in checks if (sql := violation_sql(c)) is not None
            ]
            exact = self.con.sql(
                f"with frame as (select * from {table}) select {', '.join(exprs)} from frame"
            )
            return _FrameData(sample, total, sampled=True, exact=exact.df())
        finally:
            self.con.execute(f"drop table if exists {table}")

    def close(self) -> None:
        self._dispose_gx()
        self.con.close()
        shutil.rmtree(self._spill, ignore_errors=True)


class PostgresWarehouse(_Warehouse):
    """SQLAlchemy engine for introspection and scalars; GX validates through its Postgres datasource."""

    kind = "postgres"

    def __init__(self, url: str | None = None):
        import sqlalchemy as sa

        self.url = url or postgres_url()
        self.engine = sa.create_engine(self.url, connect_args={"connect_timeout": 5})
        try:
            with self.engine.connect() as conn:
                rows = conn.execute(
                    sa.text(
                        "select lower(table_schema || '.' || table_name), column_name "
                        "from information_schema.columns "
                        "where table_schema not in ('pg_catalog', 'information_schema')"
                    )
                ).fetchall()
        except sa.exc.SQLAlchemyError as exc:
            reason = str(getattr(exc, "orig", exc)).strip().splitlines()[0]
            self.engine.dispose()
            raise WarehouseError(f"cannot connect to PostgreSQL at {self.describe()}: {reason}") from None
        # GX rebuilds its datasource (and a SQLAlchemy engine) from its store while running a checkpoint;
        # those engines are not reachable from the context. Track every engine that connects to our database
        # while this warehouse is open, and dispose them on close, so no session outlives the run.
        self._engines: weakref.WeakSet = weakref.WeakSet()
        sa.event.listen(sa.engine.Engine, "engine_connect", self._track_engine)
        self._columns = {}
        for relation, column in rows:
            self._columns[relation] = self._columns.get(relation, frozenset()) | {column}

    def describe(self) -> str:
        return self.engine.url.render_as_string(hide_password=True)

    def _add_gx_datasource(self, context):
        return context.data_sources.add_or_update_postgres(POSTGRES_DATASOURCE, connection_string=self.url)

    def scalar(self, sql: str) -> Any:
        import sqlalchemy as sa

        with self.engine.connect() as conn:
            return conn.execute(sa.text(sql)).scalar()

    def load(self, frame: Frame, checks: Sequence[Check], max_rows: int) -> _FrameData:
        # GX query assets must start with SELECT; the frame may start with WITH
        rows = self.scalar(f"select count(*) from ({frame.sql}) as frame")
        return _FrameData(f"select * from ({frame.sql}) as frame", int(rows))

    def _track_engine(self, connection) -> None:
        engine = connection.engine
        if engine.url.database == self.engine.url.database and engine.url.host == self.engine.url.host:
            self._engines.add(engine)

    def close(self) -> None:
        import sqlalchemy as sa

        self._dispose_gx()
        if sa.event.contains(sa.engine.Engine, "engine_connect", self._track_engine):
            sa.event.remove(sa.engine.Engine, "engine_connect", self._track_engine)
        for engine in list(self._engines):
            engine.dispose()
        self.engine.dispose()


def open_warehouse(
    target: str | None = None, duckdb_path: str | os.PathLike[str] | None = None
) -> _Warehouse:
    target = target or default_target()
    if target == "postgres":
        return PostgresWarehouse()
    if target != "duckdb":
        raise InputError(f"unknown target {target!r}: expected duckdb or postgres")
    return DuckDBWarehouse(duckdb_path or default_duckdb_path())


# ---------------------------------------------------------------------------------------------- GX
def _quiet_gx() -> None:
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    for name in ("great_expectations", "great_expectations.core", "great_expectations.data_context"):
        logging.getLogger(name).setLevel(logging.ERROR)


def make_context(data_docs_dir: str | os.PathLike[str] | None = None):
    """An ephemeral GX context, no progress bars, no analytics; with a filesystem Data Docs site in
    ``data_docs_dir`` when given (and no other site)."""
    _quiet_gx()
    import great_expectations as gx
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )

    sites = {}
    plugins = None
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
    return gx.get_context(mode="ephemeral", project_config=config)


#: Inlined into every Data Docs page (GX's custom styles). GX's pages take Bootstrap and Font Awesome from
#: CDNs; without network (CI here) the status icons would be invisible. These rules draw them as characters.
OFFLINE_CSS = """
/* article-recs: Data Docs stay readable when the CDN stylesheets cannot load */
.fa-check-circle::before { content: "\\2714"; color: #17692f; font-family: sans-serif; font-style: normal; }
.fa-times::before { content: "\\2718"; color: #b3261e; font-family: sans-serif; font-style: normal; }
.fa-exclamation-triangle::before { content: "!"; color: #8a5a00; font-family: sans-serif; }
table { border-collapse: collapse; }
th, td { padding: 0.2rem 0.6rem; vertical-align: top; }
"""


def _offline_styles(docs_dir: Path) -> str:
    """A GX plugins folder (inside the docs folder) holding :data:`OFFLINE_CSS` as custom Data Docs styles."""
    plugins = docs_dir.resolve() / "_gx_plugins"
    styles = plugins / "custom_data_docs" / "styles"
    styles.mkdir(parents=True, exist_ok=True)
    (styles / "data_docs_custom_styles.css").write_text(OFFLINE_CSS, encoding="utf-8")
    return str(plugins)


def _expectation(check: Check, *, description: str | None = None):
    import great_expectations.expectations as gxe

    common = {"meta": {"check": check.key}, "description": description or check.description}
    mostly = {"mostly": check.mostly} if check.mostly < 1.0 else {}
    kind = check.kind
    if kind == "exists":
        return gxe.ExpectColumnToExist(column=check.column, **common)
    if kind == "non_empty":
        return gxe.ExpectTableRowCountToBeBetween(min_value=1, **common)
    if kind == "not_null":
        return gxe.ExpectColumnValuesToNotBeNull(column=check.column, **mostly, **common)
    if kind == "between":
        return gxe.ExpectColumnValuesToBeBetween(
            column=check.column, min_value=check.min_value, max_value=check.max_value, **mostly, **common
        )
    if kind == "in_set":
        return gxe.ExpectColumnValuesToBeInSet(
            column=check.column, value_set=list(check.value_set), **mostly, **common
        )
    if kind == "true":
        return gxe.ExpectColumnValuesToBeInSet(column=check.column, value_set=[True], **mostly, **common)
    if kind == "regex":
        return gxe.ExpectColumnValuesToMatchRegex(column=check.column, regex=check.regex, **mostly, **common)
    if kind == "pair_gte":
        a, b = check.columns
        return gxe.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A=a, column_B=b, or_equal=True, ignore_row_if="either_value_is_missing", **mostly, **common
        )
    if kind == "unique":
        if len(check.needed_columns) == 1:
            return gxe.ExpectColumnValuesToBeUnique(column=check.needed_columns[0], **common)
        return gxe.ExpectCompoundColumnsToBeUnique(column_list=list(check.needed_columns), **common)
    raise ValueError(f"unknown check kind {kind!r}")


def _frame_checks(frame: Frame) -> list[Check]:
    checks = list(frame.checks)
    if frame.non_empty:
        checks.insert(0, Check("not_empty", "non_empty", f"{frame.title} must not be empty", problem="empty"))
    return checks


def _get_or_add(collection, obj):
    return collection.add_or_update(obj)


def _pandas_batch(warehouse: _Warehouse, context, asset_name: str):
    datasource = warehouse.gx_datasource(context)
    asset = (
        datasource.get_asset(asset_name)
        if asset_name in datasource.get_asset_names()
        else datasource.add_dataframe_asset(asset_name)
    )
    try:
        return asset.get_batch_definition("whole frame")
    except Exception:  # noqa: BLE001 - GX raises KeyError or its own error for "not found" across versions
        return asset.add_batch_definition_whole_dataframe("whole frame")


def _postgres_batch(warehouse: _Warehouse, context, asset_name: str, query: str):
    datasource = warehouse.gx_datasource(context)
    if asset_name in datasource.get_asset_names():
        datasource.delete_asset(asset_name)
    asset = datasource.add_query_asset(asset_name, query=query)
    return asset.add_batch_definition_whole_table("whole frame")


def _run_checkpoint(
    context,
    name: str,
    batch_definition,
    expectations: list,
    *,
    batch_parameters,
    docs: bool,
    run_id,
    example_columns: Sequence[str],
):
    import great_expectations as gx

    suite = _get_or_add(context.suites, gx.ExpectationSuite(name=name, expectations=expectations))
    validation = _get_or_add(
        context.validation_definitions, gx.ValidationDefinition(name=name, data=batch_definition, suite=suite)
    )
    result_format: dict[str, Any] = {"result_format": "SUMMARY", "partial_unexpected_count": 20}
    if example_columns:
        result_format["unexpected_index_column_names"] = list(example_columns)
    # Data Docs are built after the run, from results whose values are HTML-escaped (escape_stored_results)
    actions: list = []
    checkpoint = _get_or_add(
        context.checkpoints,
        gx.Checkpoint(
            name=name,
            validation_definitions=[validation],
            actions=actions,
            result_format=result_format,
        ),
    )
    result = checkpoint.run(batch_parameters=batch_parameters, run_id=run_id)
    identifier, validation_result = next(iter(result.run_results.items()))
    validation_result.meta["article_recs_identifier"] = identifier
    if docs:
        escape_stored_results(context, [identifier])
        context.build_data_docs(site_names=[DOCS_SITE], resource_identifiers=[identifier])
    return validation_result


def _escape_for_html(value: Any) -> Any:
    if isinstance(value, str):
        return html.escape(value, quote=True)
    if isinstance(value, dict):
        return {key: _escape_for_html(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_escape_for_html(item) for item in value)
    return value


def escape_stored_results(context, identifiers: Iterable[Any] | None = None) -> None:
    """HTML-escape the values in the stored validation results (all, or those of ``identifiers``) before
    Data Docs are built from them. GX's pages put observed values (unexpected values, their counts, the
    example rows' ids, exception messages) into the HTML as they are: an event named ``<script>...`` would
    run in the browser of whoever opens the page. The results the runner words its messages from are the
    objects in memory; the store holds serialized copies."""
    store = context.validation_results_store
    for key in list(identifiers) if identifiers is not None else store.list_keys():
        stored = store.get(key)
        if stored.meta.get("article_recs_html_escaped"):
            continue
        for evr in stored.results:
            evr.result = _escape_for_html(evr.result)
            if evr.exception_info:
                evr.exception_info = _escape_for_html(evr.exception_info)
        stored.meta["article_recs_html_escaped"] = True
        store.set(key, stored)


def _docs_url(context, identifier) -> str | None:
    try:
        urls = context.get_docs_sites_urls(resource_identifier=identifier, site_name=DOCS_SITE)
    except Exception:  # noqa: BLE001 - a caller's context without our site
        return None
    return urls[0].get("site_url") if urls else None


# ---------------------------------------------------------------------------------------------- messages
def _fmt_value(value: Any) -> str:
    if hasattr(value, "item"):
        value = value.item()
    if (
        value is None
        or (isinstance(value, float) and value != value)
        or type(value).__name__ in ("NAType", "NaTType")
    ):
        return "null"
    if isinstance(value, str) and "/" in value and len(value) > 48:
        value = ".../" + "/".join(value.split("/")[-5:])  # file paths: the hour folders and the file
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, datetime) or hasattr(value, "isoformat"):
        return str(value)
    return repr(value) if isinstance(value, str) else str(value)


def _examples(check: Check, result: Mapping[str, Any], example_columns: Sequence[str]) -> str:
    rows = result.get("partial_unexpected_index_list") or []
    parts: list[str] = []
    if rows and isinstance(rows[0], Mapping) and example_columns:
        for row in rows:
            ids = ", ".join(f"{c}={_fmt_value(row[c])}" for c in example_columns if c in row)
            value = row.get(check.column) if check.column else None
            show_value = (
                check.show_value
                and check.kind not in ("true", "not_null", "unique")
                and check.column in row
                and check.column not in example_columns
                and not (check.value_set and all(isinstance(v, bool) for v in check.value_set))
            )
            text = f"{_fmt_value(value)} ({ids})" if show_value else ids
            if text not in parts:
                parts.append(text)
            if len(parts) == EXAMPLES:
                break
    else:
        for value in result.get("partial_unexpected_list") or []:
            text = _fmt_value(value)
            if text not in parts:
                parts.append(text)
            if len(parts) == EXAMPLES:
                break
    return ", e.g. " + "; ".join(parts) if parts else ""


def _counted(suite: str, check: Check, unit: str, unexpected: int, total: int) -> str:
    share = unexpected / total if total else 0.0
    tolerance = f" ({check.tolerance_words})" if check.tolerance_words else ""
    return (
        f"{suite}: {check.description} — {unexpected:,} of {total:,} {unit} ({format_pct(share)}) "
        f"{check.problem_words}{tolerance}"
    )


def _failure_message(suite: str, check: Check, frame: Frame, evr, rows: int | None) -> str:
    result = evr.result or {}
    exc = evr.exception_info or {}
    if exc.get("raised_exception"):
        reason = (exc.get("exception_message") or "error").strip().splitlines()[0]
        return f"{suite}: {check.description} — could not be evaluated: {reason}"
    if check.kind == "exists":
        return f"{suite}: {check.description} — it is missing"
    if check.kind == "non_empty":
        return f"{suite}: {check.description} — {frame.title} has {result.get('observed_value', 0)} rows"
    unexpected = int(result.get("unexpected_count") or 0)
    total = int(result.get("element_count") or rows or 0)
    return _counted(suite, check, frame.unit, unexpected, total) + _examples(
        check, result, frame.example_columns
    )


# ---------------------------------------------------------------------------------------------- running
def _validate_plan(
    plan: SuitePlan, warehouse: _Warehouse, context, params: QualityParams, *, docs: bool, run_id
) -> SuiteResult:
    started = time.perf_counter()
    stats: dict[str, Any] = {
        "relation": plan.relation,
        "backend": warehouse.kind,
        "warehouse": warehouse.describe(),
        "evaluated_expectations": 0,
        "successful_expectations": 0,
        "unsuccessful_expectations": 0,
        "frames": {},
        **plan.context,
    }
    failures = list(plan.problems)
    status = "passed"
    identifiers: dict[str, Any] = {}
    if plan.missing:
        stats["seconds"] = round(time.perf_counter() - started, 3)
        return SuiteResult(plan.suite, plan.relation, False, stats, failures, "missing", list(plan.notes))

    for frame in plan.frames:
        checks = _frame_checks(frame)
        by_key = {c.key: c for c in checks}
        name = plan.suite if frame.name == "rows" else f"{plan.suite}.{frame.name}"
        try:
            loaded = warehouse.load(frame, checks, params.max_rows)
        except Exception as exc:  # noqa: BLE001 - a SQL/IO error on one frame is a failed check, not a crash
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            failures.append(f"{plan.suite}: could not read {frame.title}: {reason}")
            status = "error" if frame.name == "rows" else "failed"
            continue
        frame_stats: dict[str, Any] = {"rows": loaded.rows, "sampled": loaded.sampled}
        if frame.name == "rows":
            stats.update(rows=loaded.rows, unit=frame.unit, sampled=loaded.sampled)
            if loaded.sampled:
                stats["sample_rows"] = len(loaded.data)
        try:
            if warehouse.kind == "postgres":
                batch = _postgres_batch(warehouse, context, name, loaded.data)
                params_ = None
            else:
                batch = _pandas_batch(warehouse, context, name)
                params_ = {"dataframe": loaded.data}
            example_columns = [c for c in frame.example_columns]
            vr = _run_checkpoint(
                context,
                name,
                batch,
                [_expectation(c) for c in checks],
                batch_parameters=params_,
                docs=docs,
                run_id=run_id,
                example_columns=example_columns,
            )
            exact_vr = None
            if loaded.sampled:
                exact_vr = _validate_exact(
                    warehouse, context, name, frame, checks, loaded, docs=docs, run_id=run_id
                )
        except Exception as exc:  # noqa: BLE001 - report, never a traceback
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            failures.append(f"{plan.suite}: {frame.title} could not be validated: {reason}")
            status = "error"
            continue

        exact_results = {}
        if exact_vr is not None:
            for evr in exact_vr.results:
                exact_results[evr.expectation_config.meta.get("check")] = evr
        frame_failed = 0
        for evr in vr.results:
            key = evr.expectation_config.meta.get("check")
            check = by_key.get(key)
            if check is None:
                continue
            exact = exact_results.get(key)
            ok = bool(exact.success) if exact is not None else bool(evr.success)
            stats["evaluated_expectations"] += 1
            if ok:
                stats["successful_expectations"] += 1
                continue
            stats["unsuccessful_expectations"] += 1
            frame_failed += 1
            if exact is not None:
                unexpected = int(loaded.exact[f"{key}__unexpected"].iloc[0] or 0)
                message = (
                    _counted(plan.suite, check, frame.unit, unexpected, loaded.rows or 0)
                    + " (exact count over all rows)"
                    + _examples(check, evr.result or {}, frame.example_columns)
                )
            else:
                message = _failure_message(plan.suite, check, frame, evr, loaded.rows)
            failures.append(message)
        frame_stats["failed_expectations"] = frame_failed
        identifiers[frame.name] = vr.meta.get("article_recs_identifier")
        if exact_vr is not None:
            identifiers[f"{frame.name}.exact"] = exact_vr.meta.get("article_recs_identifier")
        stats["frames"][frame.name] = frame_stats

    if failures and status == "passed":
        status = "failed"
    evaluated = stats["evaluated_expectations"]
    stats["success_percent"] = (
        round(100.0 * stats["successful_expectations"] / evaluated, 2) if evaluated else None
    )
    stats["seconds"] = round(time.perf_counter() - started, 3)
    result = SuiteResult(plan.suite, plan.relation, not failures, stats, failures, status, list(plan.notes))
    result.validation_ids = identifiers
    if docs:
        link_data_docs(result, context)
    return result


def link_data_docs(result: SuiteResult, context) -> None:
    """Put the Data Docs page of each validated frame into ``statistics["frames"][frame]["data_docs"]``."""
    for key, identifier in result.validation_ids.items():
        frame, _, exact = key.partition(".")
        url = _docs_url(context, identifier) if identifier is not None else None
        slot = result.statistics.setdefault("frames", {}).setdefault(frame, {})
        slot["data_docs_exact" if exact else "data_docs"] = url


def _validate_exact(
    warehouse: _Warehouse,
    context,
    name: str,
    frame: Frame,
    checks: Sequence[Check],
    loaded: _FrameData,
    *,
    docs: bool,
    run_id,
):
    """GX on the one-row frame of exact violation counts of a sampled frame."""
    import great_expectations.expectations as gxe

    total = int(loaded.rows or 0)
    expectations = []
    for check in checks:
        column = f"{check.key}__unexpected"
        if column not in loaded.exact.columns:
            continue
        expectations.append(
            gxe.ExpectColumnValuesToBeBetween(
                column=column,
                min_value=0,
                max_value=allowed_failures(check.mostly, total),
                meta={"check": check.key},
                description=f"{check.description} (exact count of {frame.unit} that {check.problem_words}, "
                f"over all {total:,})",
            )
        )
    exact_name = f"{name}.exact"
    batch = _pandas_batch(warehouse, context, exact_name)
    return _run_checkpoint(
        context,
        exact_name,
        batch,
        expectations,
        batch_parameters={"dataframe": loaded.exact},
        docs=docs,
        run_id=run_id,
        example_columns=(),
    )


def _run_id(run_name: str = "article-recs-quality"):
    from great_expectations.core.run_identifier import RunIdentifier

    return RunIdentifier(run_name=run_name, run_time=datetime.now(UTC))


def run_suite(
    suite_name: str,
    *,
    duckdb_path: str | None = None,
    context=None,
    target: str | None = None,
    params: QualityParams | None = None,
    warehouse: _Warehouse | None = None,
    data_docs: bool = False,
    run_id=None,
) -> SuiteResult:
    """Validate one suite (a name of :data:`SUITES`). A relation that is not built yet gives a failed result
    with status ``missing`` and a message saying how to build it; a rule that cannot be evaluated is a
    failure in plain words, never a traceback. Only an unusable warehouse raises :class:`WarehouseError`
    (an ``InputError``: missing file, locked file, server down).

    ``context``: a GX data context to use (default: a fresh ephemeral one); ``data_docs``: build each
    checkpoint's pages (values HTML-escaped) in the context's ``article_recs`` Data Docs site
    (``make_context(dir)``).
    """
    if suite_name not in SUITES:
        raise InputError(f"unknown suite {suite_name!r}: expected one of {', '.join(SUITES)}")
    params = params or QualityParams.from_project()
    own_warehouse = warehouse is None
    warehouse = warehouse or open_warehouse(target, duckdb_path)
    try:
        context = context if context is not None else make_context()
        plan = build_plan(suite_name, warehouse, params)
        return _validate_plan(plan, warehouse, context, params, docs=data_docs, run_id=run_id or _run_id())
    except WarehouseError:
        raise
    except Exception as exc:  # noqa: BLE001 - e.g. as_of query on an unreadable view
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return SuiteResult(
            suite_name,
            SUITES[suite_name],
            False,
            {"relation": SUITES[suite_name]},
            [f"{suite_name}: could not be checked: {reason}"],
            "error",
        )
    finally:
        if own_warehouse:
            warehouse.close()


def run_all(
    *,
    duckdb_path: str | None = None,
    data_docs_dir: str | os.PathLike[str] | None = DEFAULT_DOCS_DIR,
    critical: Iterable[str] = CRITICAL_SUITES,
    suites: Iterable[str] | None = None,
    target: str | None = None,
    params: QualityParams | None = None,
    context=None,
    progress: bool = False,
) -> QualityReport:
    """Run the suites (default: all of :data:`SUITES`, in order) in one GX context and one run id, and build
    the Data Docs site in ``data_docs_dir`` (None: no Data Docs). ``report.success`` is False when a suite
    in ``critical`` failed. ``progress``: a bar of the suites on stderr, when it is a terminal."""
    from tqdm import tqdm

    names = list(dict.fromkeys(suites)) if suites else list(SUITES)
    unknown = [n for n in names if n not in SUITES]
    if unknown:
        raise InputError(f"unknown suite(s) {', '.join(unknown)}: expected {', '.join(SUITES)}")
    params = params or QualityParams.from_project()
    target = target or default_target()
    docs_dir = Path(data_docs_dir).resolve() if data_docs_dir is not None else None
    if docs_dir is not None:
        docs_dir.mkdir(parents=True, exist_ok=True)
    warehouse = open_warehouse(target, duckdb_path)
    described = warehouse.describe()
    try:
        context = context if context is not None else make_context(docs_dir)
        run_id = _run_id()
        bar = tqdm(names, desc="suites", unit="suite", file=sys.stderr, leave=False,
                   disable=None if progress else True)
        results = {
            name: run_suite(name, context=context, params=params, warehouse=warehouse, run_id=run_id)
            for name in bar
        }
    finally:
        warehouse.close()
    index = None
    if docs_dir is not None:
        # one build for the whole run (a build per checkpoint rebuilds the index each time:
        # ~0.6 s per frame); GX drops pages of earlier runs that are not in this context's stores
        index = docs_dir / "index.html"
        escape_stored_results(context)
        context.build_data_docs(site_names=[DOCS_SITE])
        for result in results.values():
            link_data_docs(result, context)
    report = QualityReport(results, frozenset(critical), index, target, warehouse=described)
    if docs_dir is not None:
        report.summary_html = write_summary(report, docs_dir)
    return report


_SUMMARY_CSS = """
body { font-family: system-ui, sans-serif; margin: 2rem; color: #222; max-width: 75rem; }
h1 { font-size: 1.4rem; } table { border-collapse: collapse; width: 100%; margin: 1rem 0; }
th, td { text-align: left; padding: .4rem .6rem; border-bottom: 1px solid #ddd; vertical-align: top; }
.PASS { color: #17692f; font-weight: bold; } .FAIL, .ERROR, .MISSING { color: #b3261e; font-weight: bold; }
.warning { color: #8a5a00; font-weight: bold; } ul { margin: .2rem 0; padding-left: 1.2rem; }
.muted { color: #666; font-size: .9rem; } code { background: #f3f3f3; padding: 0 .2rem; }
"""


def write_summary(report: QualityReport, docs_dir: Path) -> Path:
    """``summary.html`` (no scripts, no external assets) and ``summary.json`` beside GX's Data Docs."""
    import json

    def link(url: str | None, text: str) -> str:
        if not url:
            return ""
        target = Path(url.removeprefix("file://"))
        try:
            href = target.relative_to(docs_dir).as_posix()
        except ValueError:
            href = url
        return f'<a href="{html.escape(href)}">{html.escape(text)}</a>'

    rows = []
    not_critical = " <span class=muted>(not critical)</span>"
    for name, result in report.results.items():
        critical = name in report.critical
        label = {"passed": "PASS", "failed": "FAIL", "missing": "MISSING", "error": "ERROR"}[result.status]
        css = label if (critical or result.status == "passed") else "warning"
        shown = label if (critical or result.status == "passed") else f"{label} (warning)"
        stats = result.statistics
        rows_words = (
            f"{stats['rows']:,} {stats.get('unit', 'rows')}" if isinstance(stats.get("rows"), int) else ""
        )
        if stats.get("sampled"):
            rows_words += f" (validated on a {stats.get('sample_rows', 0):,}-row sample; exact counts in SQL)"
        links = " · ".join(
            filter(
                None,
                [link(f.get("data_docs"), frame) for frame, f in stats.get("frames", {}).items()]
                + [
                    link(f.get("data_docs_exact"), f"{frame} exact counts")
                    for frame, f in stats.get("frames", {}).items()
                ],
            )
        )
        items = "".join(f"<li>{html.escape(line)}</li>" for line in result.failures + result.notes)
        expectations = (
            f"{stats.get('successful_expectations', 0)}/{stats.get('evaluated_expectations', 0)}"
            if result.status in ("passed", "failed")
            else ""
        )
        rows.append(
            f"<tr><td><b>{html.escape(name)}</b>{'' if critical else not_critical}"
            f"<br><code>{html.escape(result.relation)}</code></td><td class='{css}'>{shown}</td>"
            f"<td>{html.escape(rows_words)}</td><td>{expectations}</td>"
            f"<td>{f'<ul>{items}</ul>' if items else ''}</td><td>{links}</td></tr>"
        )
    verdict = (
        "PASSED" if report.success else "FAILED: critical suite(s) " + ", ".join(report.critical_failures)
    )
    verdict_css = "PASS" if report.success else "FAIL"
    generated = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>article-recs data quality</title>
<style>{_SUMMARY_CSS}</style></head><body>
<h1>article-recs data quality: <span class="{verdict_css}">{html.escape(verdict)}</span></h1>
<p class="muted">{html.escape(report.target)} warehouse {html.escape(report.warehouse)} · {generated} ·
<a href="index.html">Great Expectations Data Docs</a></p>
<table><thead><tr><th>Suite</th><th>Status</th><th>Rows</th><th>Expectations met</th>
<th>Failures and notes</th><th>Validation results</th></tr></thead>
<tbody>{"".join(rows)}</tbody></table>
</body></html>
"""
    path = docs_dir / "summary.html"
    path.write_text(page, encoding="utf-8")
    payload = {
        "success": report.success,
        "critical_failures": report.critical_failures,
        "target": report.target,
        "warehouse": report.warehouse,
        "suites": {
            name: {
                "status": r.status,
                "success": r.success,
                "critical": name in report.critical,
                "relation": r.relation,
                "failures": r.failures,
                "notes": r.notes,
                "statistics": r.statistics,
            }
            for name, r in report.results.items()
        },
    }
    (docs_dir / "summary.json").write_text(
        json.dumps(payload, indent=2, default=str) + "\n", encoding="utf-8"
    )
    return path

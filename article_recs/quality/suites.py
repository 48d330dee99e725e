"""The data-quality suites: which relation each validates, what must hold, in plain words.

A suite is a plan of *frames*: SQL ``select`` statements (portable between DuckDB and PostgreSQL) whose rows
Great Expectations validates. The first frame of a suite is the relation itself (``rows``), with derived
columns where a rule spans two columns (``is_self_recommendation``, ``engaged_minus_absolute_s``). Rules that
span rows or tables are computed in SQL into small frames and validated the same way, e.g. one row per
recommended article with ``recommended_article_exists`` expected to be true. Every rule is a :class:`Check`:
one GX expectation with a description a person can read in a CI log.

This module only describes the checks; :mod:`article_recs.quality.runner` loads the frames and runs GX (GX
is imported there, so ``from article_recs.quality import SUITES`` stays cheap).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

PROJECT_DIR = Path(__file__).resolve().parents[2]

#: suite name -> the relation (``schema.table``) it validates
SUITES: dict[str, str] = {
    "raw_events": "staging.stg_snowplow__events",
    "page_views": "marts.page_views",
    "interactions": "marts.interactions",
    "recommendations": "recommender.recommendations",
    "evaluations": "evaluation.model_evaluations",
}

#: suite name -> the dbt model that builds its relation
SUITE_MODELS: dict[str, str] = {
    "raw_events": "stg_snowplow__events",
    "page_views": "page_views",
    "interactions": "interactions",
    "recommendations": "recommendations",
    "evaluations": "model_evaluations",
}

#: Suites whose failure fails ``article-recs quality`` (exit 1). The offline evaluation is a report about the
#: recommenders, not an input of serving: its suite is reported, and only warns.
CRITICAL_SUITES: frozenset[str] = frozenset({"raw_events", "page_views", "interactions", "recommendations"})

#: Snowplow's ``event`` values (the canonical event model)
SNOWPLOW_EVENTS = ("page_view", "page_ping", "struct", "unstruct", "transaction", "transaction_item")
#: Snowplow's ``platform`` codes
SNOWPLOW_PLATFORMS = ("web", "mob", "pc", "srv", "app", "tv", "cnsl", "iot")
UUID_REGEX = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
#: a well-formed enriched TSV line has this many fields
ENRICHED_FIELDS = 131

SOURCE_ENTITY_TYPES = ("article", "reader", "default")
EVALUATION_TASKS = ("related", "reader")
#: metrics that are not shares in [0, 1]: name -> (min, max); None = unbounded. Every other metric is a share.
NON_SHARE_METRICS: dict[str, tuple[float | None, float | None]] = {
    "mean_age_days": (0, None),
    "n_cases": (0, None),
    "n_cuts": (0, None),
}


# ---------------------------------------------------------------------------------------------- parameters
@dataclass(frozen=True)
class QualityParams:
    """Thresholds of the suites. The recommender and Snowplow knobs come from ``dbt_project.yml`` vars (so the
    suites check what the models were told to do); the others are the quality checks' own.

    ``max_rows``: DuckDB frames up to this many rows are validated in full through GX's pandas datasource;
    a larger frame is validated on a deterministic sample of ``max_rows`` rows (the rows with the smallest
    ``hash(row)``: the same data gives the same sample) and every row-level rule is also counted exactly in
    SQL over the whole frame; the exact counts decide success. PostgreSQL frames are always validated in full,
    in the database (GX's SQL execution engine).
    """

    heartbeat_s: int = 10  # article_recs__heartbeat
    recs_per_source: int = 10  # article_recs__recs_per_source (per-site values from recommender_sites win)
    popularity_top_n: int = 50  # article_recs__popularity_top_n (idem)
    as_of: str | None = None  # article_recs__as_of
    #: raw events: share (%) of lines allowed to break a rule (malformed lines are quarantined, not lost)
    raw_tolerance_pct: float = 1.0
    #: raw events: collector timestamps no older than this many days before as_of
    raw_max_age_days: int = 365
    #: interactions: average engaged seconds per read above this is not a human reading (4 hours)
    max_dwell_per_read_s: int = 4 * 3600
    max_rows: int = 500_000
    #: strategies every site must have (recommendations, evaluations); None: the strategies of the warehouse
    #: (:func:`project_strategies`: what the project built there, e.g. no ALS on PostgreSQL, where dbt has no
    #: Python models)
    strategies: tuple[str, ...] | None = None

    @property
    def raw_mostly(self) -> float:
        return 1.0 - self.raw_tolerance_pct / 100.0

    @classmethod
    def from_project(cls, project_dir: str | Path = PROJECT_DIR, **overrides: Any) -> QualityParams:
        """Defaults, then the vars of ``dbt_project.yml`` (when readable), then ``overrides`` (None: skip)."""
        values: dict[str, Any] = {}
        try:
            import yaml

            vars_ = (yaml.safe_load((Path(project_dir) / "dbt_project.yml").read_text()) or {}).get(
                "vars"
            ) or {}
        except (OSError, ValueError, ImportError):
            vars_ = {}
        for name, var in (
            ("heartbeat_s", "article_recs__heartbeat"),
            ("recs_per_source", "article_recs__recs_per_source"),
            ("popularity_top_n", "article_recs__popularity_top_n"),
            ("as_of", "article_recs__as_of"),
            # the quality checks' own knobs, when the project sets them
            ("raw_tolerance_pct", "article_recs__quality_raw_tolerance_pct"),
            ("raw_max_age_days", "article_recs__quality_raw_max_age_days"),
            ("max_dwell_per_read_s", "article_recs__quality_max_dwell_per_read_s"),
            ("max_rows", "article_recs__quality_max_rows"),
        ):
            if vars_.get(var) is not None:
                values[name] = vars_[var]
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)


# ---------------------------------------------------------------------------------------------- checks
#: how a failing item is described, per kind: "3 of 100 rows (3.00%) <problem>"
PROBLEMS = {
    "not_null": "are null",
    "between": "outside",
    "in_set": "not in the allowed set",
    "regex": "do not match",
    "unique": "duplicated",
    "pair_gte": "break the rule",
    "true": "break the rule",
}


@dataclass(frozen=True)
class Check:
    """One rule, one GX expectation. ``description`` says what must hold ("score must be between 0 and 1");
    ``problem`` how a failing item is described ("outside", "have no list"). ``mostly``: share of items that
    must pass (GX's ``mostly``)."""

    key: str
    kind: str  # not_null | between | in_set | regex | unique | pair_gte | true | exists | non_empty
    description: str
    column: str | None = None
    columns: tuple[str, ...] = ()
    min_value: Any = None
    max_value: Any = None
    value_set: tuple[Any, ...] = ()
    regex: str | None = None
    mostly: float = 1.0
    problem: str = ""
    #: show the failing value in examples (off when the example columns say more)
    show_value: bool = True

    @property
    def problem_words(self) -> str:
        return self.problem or PROBLEMS.get(self.kind, "break the rule")

    @property
    def needed_columns(self) -> tuple[str, ...]:
        if self.columns:
            return self.columns
        return (self.column,) if self.column else ()

    @property
    def tolerance_words(self) -> str:
        return f"allowed: {format_pct(1.0 - self.mostly)}" if self.mostly < 1.0 else ""


def not_null(columns: Iterable[str], what: str = "", mostly: float = 1.0) -> list[Check]:
    return [
        Check(
            f"{c}_not_null",
            "not_null",
            f"{c} must be present{(' ' + what) if what else ''}",
            column=c,
            mostly=mostly,
        )
        for c in columns
    ]


def format_pct(share: float) -> str:
    pct = 100.0 * share
    if pct == 0 or pct >= 0.01:
        return f"{pct:.2f}%"
    return f"{pct:.1g}%"


def sql_literal(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, datetime):
        return f"timestamp '{value.strftime('%Y-%m-%d %H:%M:%S.%f')}'"
    return "'" + str(value).replace("'", "''") + "'"


def violation_sql(check: Check, frame: str = "frame") -> str | None:
    """DuckDB SQL counting the items of ``frame`` that break ``check`` (the exact count of a sampled frame);
    None for table-level checks."""
    c = f'"{check.column}"' if check.column else None

    def count_where(predicate: str) -> str:
        return f"sum(case when {predicate} then 1 else 0 end)"

    if check.kind == "not_null":
        return count_where(f"{c} is null")
    if check.kind == "between":
        parts = []
        if check.min_value is not None:
            parts.append(f"{c} < {sql_literal(check.min_value)}")
        if check.max_value is not None:
            parts.append(f"{c} > {sql_literal(check.max_value)}")
        return count_where(f"{c} is not null and ({' or '.join(parts)})")
    if check.kind in ("in_set", "true"):
        values = (True,) if check.kind == "true" else check.value_set
        return count_where(f"{c} is not null and {c} not in ({', '.join(sql_literal(v) for v in values)})")
    if check.kind == "regex":
        return count_where(f"{c} is not null and not regexp_matches({c}, {sql_literal(check.regex)})")
    if check.kind == "pair_gte":
        a, b = (f'"{x}"' for x in check.columns)
        return count_where(f"{a} is not null and {b} is not null and {a} < {b}")
    if check.kind == "unique":
        cols = ", ".join(f'"{x}"' for x in check.needed_columns)
        if len(check.needed_columns) == 1:
            return f"count({cols}) - count(distinct {cols})"
        # rows whose key is shared with another row, minus one per key: GX's "duplicated" count differs
        # (it counts every row of a duplicated key); this one is the number of rows to drop
        return f"count(*) - (select count(*) from (select distinct {cols} from {frame}) as keys)"
    return None


# ---------------------------------------------------------------------------------------------- frames, plans
@dataclass(frozen=True)
class Frame:
    """A ``select`` whose rows GX validates. ``unit`` names one row in messages ("rows", "lists");
    ``needs``: relation -> columns the SQL reads (checked before it runs); ``optional_needs``: relations
    whose absence skips the frame with a note instead of failing it."""

    name: str
    title: str
    unit: str
    sql: str
    checks: tuple[Check, ...]
    needs: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    non_empty: bool = False
    #: columns that identify a failing row in messages and Data Docs ("e.g. source_entity_id=123")
    example_columns: tuple[str, ...] = ()


@dataclass
class SuitePlan:
    suite: str
    relation: str
    frames: list[Frame] = field(default_factory=list)
    #: rules that cannot run (a relation or column they read is missing): failures, in plain words
    problems: list[str] = field(default_factory=list)
    #: rules skipped on purpose (an optional relation is missing), in plain words
    notes: list[str] = field(default_factory=list)
    #: values the plan was built with (as_of, bounds), for the statistics
    context: dict[str, Any] = field(default_factory=dict)
    missing: bool = False


class Catalog:
    """What exists in the warehouse: ``columns(relation)`` (None when the relation is missing) and
    ``scalar(sql)``. Implemented by the DuckDB and PostgreSQL warehouses in :mod:`.runner`."""

    kind = "duckdb"

    def columns(self, relation: str) -> frozenset[str] | None:  # pragma: no cover - interface
        raise NotImplementedError

    def scalar(self, sql: str) -> Any:  # pragma: no cover - interface
        raise NotImplementedError

    def prepare(self, relation: str, columns: Iterable[str]) -> str:
        """A relation to read ``columns`` of ``relation`` from, several times: the relation itself, or
        (DuckDB, for an expensive view) a temporary snapshot of those columns."""
        return relation


def _q(column: str) -> str:
    return f'"{column}"'


def row_frame(
    relation: str,
    columns: Iterable[str],
    checks: Iterable[Check],
    catalog: Catalog,
    *,
    derived: Mapping[str, tuple[str, tuple[str, ...]]] | None = None,
    unit: str = "rows",
    examples: Iterable[str] = (),
    source: str | None = None,
) -> Frame:
    """The relation itself: the columns it has among ``columns``, plus ``derived`` columns
    (name -> (SQL expression, columns it reads)). A check on a missing column becomes "column must exist"."""
    present = catalog.columns(relation) or frozenset()
    wanted = list(dict.fromkeys(columns))
    selected = [c for c in wanted if c in present]
    exprs = [_q(c) for c in selected]
    available = set(selected)
    for name, (expr, reads) in (derived or {}).items():
        if all(r in present for r in reads):
            exprs.append(f"{expr} as {_q(name)}")
            available.add(name)
    out: list[Check] = []
    missing_reported: set[str] = set()
    for check in checks:
        lacking = [c for c in check.needed_columns if c not in available]
        if not lacking:
            out.append(check)
            continue
        for c in lacking:
            base = (
                [c] if c in wanted else [r for r in (derived or {}).get(c, ("", ()))[1] if r not in present]
            )
            for col in base:
                if col not in missing_reported:
                    missing_reported.add(col)
                    out.append(
                        Check(
                            f"{col}_exists",
                            "exists",
                            f"column {col} must exist in {relation}",
                            column=col,
                            problem="missing",
                        )
                    )
    sql = f"select {', '.join(exprs) or '1 as no_columns'} from {source or relation}"
    example_columns = tuple(c for c in examples if c in available)
    return Frame(
        "rows",
        relation,
        unit,
        sql,
        tuple(out),
        needs={relation: ()},
        non_empty=True,
        example_columns=example_columns,
    )


def gate(plan: SuitePlan, frame: Frame, catalog: Catalog, optional: Iterable[str] = ()) -> None:
    """Add ``frame`` to the plan when every relation and column it reads exists; otherwise record why not
    (a problem, or a note when the missing relation is in ``optional``)."""
    optional = set(optional)
    for relation, columns in frame.needs.items():
        have = catalog.columns(relation)
        if have is None:
            words = f"{plan.suite}: cannot check {frame.title}: {relation} does not exist"
            (plan.notes if relation in optional else plan.problems).append(words)
            return
        lacking = [c for c in columns if c not in have]
        if lacking:
            plan.problems.append(
                f"{plan.suite}: cannot check {frame.title}: {relation} has no column {', '.join(lacking)}"
            )
            return
    plan.frames.append(frame)


def in_list(values: Iterable[Any]) -> str:
    return ", ".join(sql_literal(v) for v in values)


def values_table(alias: str, column: str, values: Iterable[str]) -> str:
    """A literal one-column table: ``(values ('a'), ('b')) as alias (column)`` (DuckDB and PostgreSQL)."""
    rows = ", ".join(f"({sql_literal(v)})" for v in values)
    return f"(values {rows}) as {alias} ({column})"


# ---------------------------------------------------------------------------------------------- raw events
def raw_events_as_of(
    relation: str, catalog: Catalog, params: QualityParams, source: str | None = None
) -> datetime | None:
    """``article_recs__as_of`` when set; else the latest collector_tstamp of events enriched after they were
    collected (``etl_tstamp >= collector_tstamp``, or no etl_tstamp): one corrupted far-future timestamp
    cannot move the window, and old replays are judged against their own time, never the wall clock."""
    if params.as_of:
        return _to_datetime(params.as_of)
    cols = catalog.columns(relation) or frozenset()
    if "collector_tstamp" not in cols:
        return None
    consistent = "etl_tstamp is null or etl_tstamp >= collector_tstamp" if "etl_tstamp" in cols else "true"
    value = catalog.scalar(f"select max(collector_tstamp) from {source or relation} where {consistent}")
    return _to_datetime(value) if value is not None else None


def _to_datetime(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value.replace(tzinfo=None) if value.tzinfo else value
    if hasattr(value, "to_pydatetime"):
        return _to_datetime(value.to_pydatetime())
    return datetime.fromisoformat(str(value).replace("Z", "+00:00")).replace(tzinfo=None)


def plan_raw_events(suite: str, relation: str, catalog: Catalog, params: QualityParams) -> SuitePlan:
    plan = SuitePlan(suite, relation)
    mostly = params.raw_mostly
    required = (
        "event_id",
        "app_id",
        "platform",
        "event",
        "collector_tstamp",
        "domain_userid",
        "domain_sessionid",
        "page_url",
    )
    checks = [
        *(
            replace(c, description=c.description + " on every line")
            for c in not_null(required, mostly=mostly)
        ),
        Check(
            "well_formed_line",
            "in_set",
            f"every line must have the {ENRICHED_FIELDS} enriched TSV fields",
            column="field_count",
            value_set=(ENRICHED_FIELDS,),
            mostly=mostly,
            problem="have another count",
        ),
        Check(
            "valid_utf8",
            "in_set",
            "lines must be valid UTF-8",
            column="is_invalid_utf8",
            value_set=(False,),
            mostly=mostly,
            problem="are not",
        ),
        Check(
            "event_allowed",
            "in_set",
            f"event must be one of {', '.join(SNOWPLOW_EVENTS)}",
            column="event",
            value_set=SNOWPLOW_EVENTS,
            mostly=mostly,
        ),
        Check(
            "platform_allowed",
            "in_set",
            f"platform must be one of {', '.join(SNOWPLOW_PLATFORMS)}",
            column="platform",
            value_set=SNOWPLOW_PLATFORMS,
            mostly=mostly,
        ),
        Check(
            "event_id_uuid",
            "regex",
            "event_id must be a UUID",
            column="event_id",
            regex=UUID_REGEX,
            mostly=mostly,
        ),
    ]
    columns = [*required, "field_count", "is_invalid_utf8", "source_file"]
    # the staging view parses the raw files on every read: read the columns needed once
    present = catalog.columns(relation) or frozenset()
    source = catalog.prepare(relation, [c for c in (*columns, "etl_tstamp") if c in present])
    as_of = raw_events_as_of(relation, catalog, params, source=source)
    if as_of is not None:
        low, high = as_of - timedelta(days=params.raw_max_age_days), as_of + timedelta(days=1)
        plan.context.update(
            as_of=as_of.isoformat(sep=" "), window=[low.isoformat(sep=" "), high.isoformat(sep=" ")]
        )
        checks.append(
            Check(
                "collector_tstamp_window",
                "between",
                f"collector_tstamp must be within [as_of - {params.raw_max_age_days} days, as_of + 1 day] = "
                f"[{low:%Y-%m-%d %H:%M}, {high:%Y-%m-%d %H:%M}] (as_of {as_of:%Y-%m-%d %H:%M:%S})",
                column="collector_tstamp",
                min_value=low,
                max_value=high,
                mostly=mostly,
            )
        )
    frame = row_frame(
        relation, columns, checks, catalog, unit="lines", examples=("source_file",), source=source
    )
    gate(plan, frame, catalog)
    return plan


# ---------------------------------------------------------------------------------------------- page views
def plan_page_views(suite: str, relation: str, catalog: Catalog, params: QualityParams) -> SuitePlan:
    plan = SuitePlan(suite, relation)
    hb = params.heartbeat_s
    keys = ("page_view_id", "site_id", "domain_userid", "domain_sessionid", "start_tstamp", "end_tstamp")
    checks = [
        *not_null(keys),
        Check("page_view_id_unique", "unique", "page_view_id must be unique", column="page_view_id"),
        *not_null(("engaged_time_in_s", "absolute_time_in_s")),
        Check(
            "engaged_time_non_negative",
            "between",
            "engaged_time_in_s must be >= 0",
            column="engaged_time_in_s",
            min_value=0,
        ),
        Check(
            "absolute_time_non_negative",
            "between",
            "absolute_time_in_s must be >= 0",
            column="absolute_time_in_s",
            min_value=0,
        ),
        Check(
            "engaged_within_absolute",
            "between",
            f"engaged_time_in_s must be <= absolute_time_in_s + heartbeat ({hb} s)",
            column="engaged_minus_absolute_s",
            max_value=hb,
            problem="exceed it",
        ),
        Check(
            "end_after_start",
            "pair_gte",
            "end_tstamp must not be before start_tstamp",
            columns=("end_tstamp", "start_tstamp"),
        ),
        Check(
            "page_pings_non_negative", "between", "page_pings must be >= 0", column="page_pings", min_value=0
        ),
    ]
    columns = [*keys, "engaged_time_in_s", "absolute_time_in_s", "page_pings"]
    derived = {
        "engaged_minus_absolute_s": (
            "engaged_time_in_s - absolute_time_in_s",
            ("engaged_time_in_s", "absolute_time_in_s"),
        )
    }
    plan.context["heartbeat_s"] = hb
    gate(
        plan,
        row_frame(relation, columns, checks, catalog, derived=derived, examples=("page_view_id",)),
        catalog,
    )
    return plan


# ---------------------------------------------------------------------------------------------- interactions
def plan_interactions(suite: str, relation: str, catalog: Catalog, params: QualityParams) -> SuitePlan:
    plan = SuitePlan(suite, relation)
    keys = ("site_id", "domain_userid", "article_id")
    cap = params.max_dwell_per_read_s
    checks = [
        *not_null(keys),
        Check("key_unique", "unique", "(site_id, domain_userid, article_id) must be unique", columns=keys),
        *not_null(("dwell_s", "reads", "first_read_at", "last_read_at")),
        Check("dwell_non_negative", "between", "dwell_s must be >= 0", column="dwell_s", min_value=0),
        Check(
            "dwell_per_read_bounded",
            "between",
            f"dwell per read (dwell_s / reads) must be between 0 and {cap:,} s",
            column="dwell_per_read_s",
            min_value=0,
            max_value=cap,
        ),
        Check("reads_positive", "between", "reads must be >= 1", column="reads", min_value=1),
        Check(
            "last_after_first",
            "pair_gte",
            "last_read_at must not be before first_read_at",
            columns=("last_read_at", "first_read_at"),
        ),
    ]
    columns = [*keys, "dwell_s", "reads", "first_read_at", "last_read_at"]
    derived = {
        "dwell_per_read_s": ("cast(dwell_s as double precision) / nullif(reads, 0)", ("dwell_s", "reads"))
    }
    gate(plan, row_frame(relation, columns, checks, catalog, derived=derived, examples=keys), catalog)
    return plan


# ------------------------------------------------------------------------------------------- recommendations
ARTICLES = "marts.articles"
RECOMMENDER_SITES = "recommender.recommender_sites"
RECOMMENDER_CUTS = "recommender.recommender_cuts"
CUT_READS = "recommender.recommender_cut_reads"
RECOMMENDATION_LISTS = "recommender.recommendation_lists"
MODEL_REGISTRY = "recommender.model_registry"
#: where the strategies of the warehouse are read from, the first that exists: every strategy ever registered
#: (a failed attempt too: a strategy that never succeeded on a site is missing there), else every strategy
#: the lists hold
STRATEGY_SOURCES = (MODEL_REGISTRY, RECOMMENDATION_LISTS)


def project_strategies(catalog: Catalog, params: QualityParams) -> tuple[tuple[str, ...], str | None]:
    """The strategies every site must have, and the relation they were read from: ``params.strategies`` when
    set (source None), else the distinct strategies of the first of :data:`STRATEGY_SOURCES` that exists.
    Strategies are data (a new one is a new model, not a change here). Empty when none exists."""
    if params.strategies is not None:
        return tuple(params.strategies), None
    for relation in STRATEGY_SOURCES:
        if "strategy" not in (catalog.columns(relation) or frozenset()):
            continue
        names = catalog.scalar(
            f"select string_agg(strategy, ',') from "
            f"(select distinct strategy from {relation} where strategy is not null) as strategies"
        )
        return tuple(sorted(str(names).split(","))) if names else (), relation
    return (), None


def _current_models_sql(relation: str, catalog: Catalog) -> str:
    """The rows of the models serving now: ``model_registry.status = 'current'`` (recommendations keeps the
    rows of earlier models until the registry drops them); every row when there is no registry."""
    registry = catalog.columns(MODEL_REGISTRY)
    if registry is None or not {"model_id", "status"} <= registry:
        return relation
    return (
        f"(select * from {relation} where model_id in "
        f"(select model_id from {MODEL_REGISTRY} where status = 'current'))"
    )


#: the articles read in the serving cut's training window, per site: the sources that get a related list
#: (recommendation_lists: every article of recommender_cut_reads at the cut)
READ_AT_SERVING_CUT_SQL = f"""
    select distinct cut_reads.site_id, cut_reads.article_id
    from {CUT_READS} as cut_reads
    inner join {RECOMMENDER_CUTS} as cuts
        on cut_reads.site_id = cuts.site_id and cut_reads.cut_at = cuts.cut_at
    where cuts.is_serving
"""


def plan_recommendations(suite: str, relation: str, catalog: Catalog, params: QualityParams) -> SuitePlan:
    plan = SuitePlan(suite, relation)
    columns = (
        "model_id",
        "site_id",
        "strategy",
        "source_entity_type",
        "source_entity_id",
        "recommended_article_id",
        "rank",
        "score",
    )
    strategies, strategy_source = project_strategies(catalog, params)
    plan.context["strategies"] = list(strategies)
    plan.context["strategies_from"] = strategy_source or "params"
    allowed = []
    if strategies:
        allowed.append(
            Check(
                "strategy_allowed",
                "in_set",
                f"strategy must be one of {', '.join(strategies)}"
                + (f" (the strategies of {strategy_source})" if strategy_source else ""),
                column="strategy",
                value_set=strategies,
            )
        )
    else:
        plan.notes.append(f"{suite}: strategies not checked: no {' or '.join(STRATEGY_SOURCES)} yet")
    checks = [
        *not_null(columns),
        *allowed,
        Check(
            "source_entity_type_allowed",
            "in_set",
            f"source_entity_type must be one of {', '.join(SOURCE_ENTITY_TYPES)}",
            column="source_entity_type",
            value_set=SOURCE_ENTITY_TYPES,
        ),
        Check(
            "score_between_0_and_1",
            "between",
            "score must be between 0 and 1",
            column="score",
            min_value=0,
            max_value=1,
        ),
        Check("rank_positive", "between", "rank must be >= 1", column="rank", min_value=1),
        Check(
            "no_self_recommendation",
            "in_set",
            "an article must never be recommended for itself",
            column="is_self_recommendation",
            value_set=(False,),
            problem="recommend their own source",
        ),
    ]
    derived = {
        "is_self_recommendation": (
            "(source_entity_type = 'article' and source_entity_id = recommended_article_id)",
            ("source_entity_type", "source_entity_id", "recommended_article_id"),
        )
    }
    gate(
        plan,
        row_frame(
            relation,
            columns,
            checks,
            catalog,
            derived=derived,
            examples=("strategy", "source_entity_type", "source_entity_id", "recommended_article_id"),
        ),
        catalog,
    )
    if any(c.kind == "exists" for frame in plan.frames for c in frame.checks):
        # a column is missing (reported by its "must exist" check): the cross-table SQL would not run
        plan.notes.append(f"{suite}: cross-table checks skipped until {relation} has every column")
        return plan

    # --- lists: at most N per (model, source), ranks 1..n, each article once
    has_sites = catalog.columns(RECOMMENDER_SITES) is not None
    caps = f"left join {RECOMMENDER_SITES} as sites on lists.site_id = sites.site_id" if has_sites else ""
    per_source = "sites.recs_per_source" if has_sites else "null"
    top_n = "sites.popularity_top_n" if has_sites else "null"
    lists_sql = f"""
        with lists as (
            select
                model_id, site_id, strategy, source_entity_type, source_entity_id,
                count(*) as n_recommendations,
                count(distinct recommended_article_id) as n_distinct_articles,
                count(distinct rank) as n_distinct_ranks,
                min(rank) as min_rank,
                max(rank) as max_rank
            from {relation}
            group by model_id, site_id, strategy, source_entity_type, source_entity_id
        )
        select
            lists.*,
            case when lists.source_entity_type = 'default'
                then coalesce({top_n}, {int(params.popularity_top_n)})
                else coalesce({per_source}, {int(params.recs_per_source)})
            end as max_recommendations,
            lists.n_recommendations - case when lists.source_entity_type = 'default'
                then coalesce({top_n}, {int(params.popularity_top_n)})
                else coalesce({per_source}, {int(params.recs_per_source)})
            end as recommendations_over_cap,
            (lists.min_rank = 1 and lists.max_rank = lists.n_recommendations
                and lists.n_distinct_ranks = lists.n_recommendations) as ranks_are_1_to_n,
            lists.n_recommendations - lists.n_distinct_articles as repeated_articles
        from lists
        {caps}
    """
    if has_sites:
        cap_words = (
            "lists must be at most recs_per_source long (popularity_top_n for default lists), "
            "per site as in recommender_sites"
        )
    else:
        cap_words = (
            f"lists must be at most {params.recs_per_source} long (recs_per_source; "
            f"popularity_top_n = {params.popularity_top_n} for default lists)"
        )
    gate(
        plan,
        Frame(
            "lists",
            "recommendation lists",
            "lists",
            lists_sql,
            (
                Check(
                    "at_most_n_per_source",
                    "between",
                    cap_words,
                    column="recommendations_over_cap",
                    max_value=0,
                    problem="are longer",
                    show_value=False,
                ),
                Check(
                    "ranks_dense",
                    "true",
                    "ranks of a list must be 1..n, each once",
                    column="ranks_are_1_to_n",
                    problem="have gaps or repeated ranks",
                ),
                Check(
                    "articles_once_per_list",
                    "between",
                    "an article must appear at most once per list",
                    column="repeated_articles",
                    max_value=0,
                    problem="repeat an article",
                ),
            ),
            needs={relation: columns},
            example_columns=(
                "strategy",
                "source_entity_type",
                "source_entity_id",
                "n_recommendations",
                "max_recommendations",
            ),
        ),
        catalog,
    )

    # --- every recommended article exists in marts.articles
    exists_sql = f"""
        select
            recs.site_id,
            recs.recommended_article_id,
            articles.article_id is not null as recommended_article_exists
        from (select distinct site_id, recommended_article_id from {relation}) as recs
        left join {ARTICLES} as articles
            on recs.site_id = articles.site_id and recs.recommended_article_id = articles.article_id
    """
    gate(
        plan,
        Frame(
            "articles_exist",
            "recommended articles exist",
            "recommended articles",
            exists_sql,
            (
                Check(
                    "recommended_article_exists",
                    "true",
                    f"every recommended article must exist in {ARTICLES}",
                    column="recommended_article_exists",
                    problem="are missing from it",
                ),
            ),
            needs={relation: columns, ARTICLES: ("site_id", "article_id")},
            example_columns=("site_id", "recommended_article_id"),
        ),
        catalog,
    )

    # --- every model of the table is in the registry
    registered_sql = f"""
        select
            recs.model_id,
            recs.site_id,
            recs.strategy,
            registry.model_id is not null as is_registered
        from (select distinct model_id, site_id, strategy from {relation}) as recs
        left join (select distinct model_id from {MODEL_REGISTRY}) as registry
            on recs.model_id = registry.model_id
    """
    gate(
        plan,
        Frame(
            "registered",
            "models registered",
            "models",
            registered_sql,
            (
                Check(
                    "models_registered",
                    "true",
                    f"every model_id must be in {MODEL_REGISTRY}",
                    column="is_registered",
                    problem="are not",
                ),
            ),
            needs={relation: columns, MODEL_REGISTRY: ("model_id",)},
            example_columns=("model_id",),
        ),
        catalog,
        optional=(MODEL_REGISTRY,),
    )

    # --- every article read in the serving cut's training window has a related list from every strategy
    # served on its site (every strategy pads one for each: recommendation_lists), from the models serving now
    current = _current_models_sql(relation, catalog)
    plan.context["current_models_only"] = current != relation
    window_needs: dict[str, tuple[str, ...]] = {
        relation: columns,
        RECOMMENDER_CUTS: ("site_id", "cut_at", "is_serving"),
        CUT_READS: ("site_id", "cut_at", "article_id"),
    }
    coverage_sql = f"""
        with read_at_cut as ({READ_AT_SERVING_CUT_SQL}),
        current_recs as (select * from {current} as recs),
        site_strategies as (select distinct site_id, strategy from current_recs),
        related_lists as (
            select distinct site_id, strategy, source_entity_id
            from current_recs
            where source_entity_type = 'article'
        )
        select
            read_at_cut.site_id,
            site_strategies.strategy,
            read_at_cut.article_id,
            related_lists.source_entity_id is not null as has_related_list
        from read_at_cut
        inner join site_strategies
            on read_at_cut.site_id = site_strategies.site_id
        left join related_lists
            on
                related_lists.site_id = read_at_cut.site_id
                and related_lists.strategy = site_strategies.strategy
                and related_lists.source_entity_id = read_at_cut.article_id
    """
    gate(
        plan,
        Frame(
            "coverage",
            "articles read in the window",
            "articles read in the window x strategy",
            coverage_sql,
            (
                Check(
                    "read_articles_have_recommendations",
                    "true",
                    "every article read in the serving cut's training window must have related "
                    "recommendations from every strategy served on its site",
                    column="has_related_list",
                    problem="have none",
                ),
            ),
            needs=window_needs,
            example_columns=("site_id", "strategy", "article_id"),
        ),
        catalog,
    )

    # --- every strategy serves every site with reads in the window
    if not strategies:
        return plan
    strategies_sql = f"""
        with read_at_cut as ({READ_AT_SERVING_CUT_SQL}),
        expected as (
            select sites.site_id, strategies.strategy
            from (select distinct site_id from read_at_cut) as sites
            cross join {values_table("strategies", "strategy", strategies)}
        ),
        served as (select distinct site_id, strategy from {current} as recs)
        select
            expected.site_id,
            expected.strategy,
            served.strategy is not null as has_recommendations
        from expected
        left join served
            on expected.site_id = served.site_id and expected.strategy = served.strategy
    """
    gate(
        plan,
        Frame(
            "strategies",
            "strategies present",
            "site x strategy pairs",
            strategies_sql,
            (
                Check(
                    "every_strategy_present",
                    "true",
                    f"every site with reads must have current recommendations from {', '.join(strategies)}",
                    column="has_recommendations",
                    problem="have none",
                ),
            ),
            needs=window_needs,
            example_columns=("site_id", "strategy"),
        ),
        catalog,
    )
    return plan


# ---------------------------------------------------------------------------------------------- evaluations
def plan_evaluations(suite: str, relation: str, catalog: Catalog, params: QualityParams) -> SuitePlan:
    plan = SuitePlan(suite, relation)
    keys = ("run_id", "site_id", "strategy", "task", "metric", "k", "value")
    non_share = list(NON_SHARE_METRICS)
    shares = f"metric not in ({in_list(non_share)})"
    derived: dict[str, tuple[str, tuple[str, ...]]] = {
        "share_value": (f"case when {shares} then value end", ("metric", "value")),
        # the bootstrap interval (null for metrics that are not means over cases)
        "ci_width": ("ci_high - ci_low", ("ci_low", "ci_high")),
        "share_ci_low": (f"case when {shares} then ci_low end", ("metric", "ci_low")),
        "share_ci_high": (f"case when {shares} then ci_high end", ("metric", "ci_high")),
    }
    checks = [
        *not_null(keys),
        Check(
            "task_allowed",
            "in_set",
            f"task must be one of {', '.join(EVALUATION_TASKS)}",
            column="task",
            value_set=EVALUATION_TASKS,
        ),
        Check("k_non_negative", "between", "k must be >= 0", column="k", min_value=0),
        Check(
            "share_metrics_between_0_and_1",
            "between",
            f"metric values must be between 0 and 1 (every metric but {', '.join(non_share)})",
            column="share_value",
            min_value=0,
            max_value=1,
        ),
        Check(
            "ci_ordered",
            "between",
            "a bootstrap interval must have ci_low <= ci_high",
            column="ci_width",
            min_value=0,
        ),
        *(
            Check(
                f"share_{bound}_between_0_and_1",
                "between",
                f"the {bound} of a share metric must be between 0 and 1",
                column=f"share_{bound}",
                min_value=0,
                max_value=1,
            )
            for bound in ("ci_low", "ci_high")
        ),
    ]
    for metric, (low, high) in NON_SHARE_METRICS.items():
        column = f"{metric}_value"
        derived[column] = (f"case when metric = {sql_literal(metric)} then value end", ("metric", "value"))
        bounds = f">= {low}" if high is None else f"between {low} and {high}"
        checks.append(
            Check(
                f"{metric}_bounded",
                "between",
                f"{metric} must be {bounds}",
                column=column,
                min_value=low,
                max_value=high,
            )
        )
    gate(
        plan,
        row_frame(
            relation,
            keys,
            checks,
            catalog,
            derived=derived,
            unit="metric rows",
            examples=("site_id", "strategy", "task", "metric", "k"),
        ),
        catalog,
    )

    cols = catalog.columns(relation) or frozenset()
    if not {"run_id", "site_id", "strategy"} <= cols:
        return plan
    latest = (
        f"where run_id in (select run_id from {relation} where evaluated_at = "
        f"(select max(evaluated_at) from {relation}))"
        if "evaluated_at" in cols
        else ""
    )
    strategies, strategy_source = project_strategies(catalog, params)
    plan.context["strategies"] = list(strategies)
    plan.context["strategies_from"] = strategy_source or "params"
    plan.context["latest_run_only"] = bool(latest)
    if not strategies:
        plan.notes.append(f"{suite}: strategies not checked: no {' or '.join(STRATEGY_SOURCES)} yet")
        return plan
    strategies_sql = f"""
        with latest as (select * from {relation} {latest}),
        expected as (
            select sites.site_id, strategies.strategy
            from (select distinct site_id from latest) as sites
            cross join {values_table("strategies", "strategy", strategies)}
        ),
        evaluated as (select distinct site_id, strategy from latest)
        select
            expected.site_id,
            expected.strategy,
            evaluated.strategy is not null as is_evaluated
        from expected
        left join evaluated
            on expected.site_id = evaluated.site_id and expected.strategy = evaluated.strategy
    """
    gate(
        plan,
        Frame(
            "strategies",
            "strategies evaluated",
            "site x strategy pairs",
            strategies_sql,
            (
                Check(
                    "every_strategy_evaluated",
                    "true",
                    f"the latest evaluation must cover {', '.join(strategies)} on every site",
                    column="is_evaluated",
                    problem="are missing",
                ),
            ),
            needs={relation: ("run_id", "site_id", "strategy")},
            example_columns=("site_id", "strategy"),
        ),
        catalog,
    )
    return plan


PLANNERS: dict[str, Callable[[str, str, Catalog, QualityParams], SuitePlan]] = {
    "raw_events": plan_raw_events,
    "page_views": plan_page_views,
    "interactions": plan_interactions,
    "recommendations": plan_recommendations,
    "evaluations": plan_evaluations,
}


def build_plan(suite: str, catalog: Catalog, params: QualityParams) -> SuitePlan:
    """The frames and checks of ``suite`` on what the warehouse has. A missing relation gives a plan marked
    ``missing`` with one problem saying how to build it."""
    if suite not in SUITES:
        raise KeyError(f"unknown suite {suite!r}; known: {', '.join(SUITES)}")
    relation = SUITES[suite]
    if catalog.columns(relation) is None:
        plan = SuitePlan(suite, relation, missing=True)
        plan.problems.append(
            f"{suite}: {relation} does not exist yet — "
            f"build it with `dbt build --select {SUITE_MODELS[suite]}`"
        )
        return plan
    return PLANNERS[suite](suite, relation, catalog, params)


def allowed_failures(mostly: float, total: int) -> int:
    """Items that may break a rule with GX's ``mostly`` (GX passes when the passing share >= mostly)."""
    return max(0, math.floor((1.0 - mostly) * total + 1e-9))

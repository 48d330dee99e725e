"""The expectation suites: which relation each validates, and what must hold there, in plain words.

Only what the dbt tests do not check lives here (the README's "Data quality" says which checks live where):
shares of raw lines allowed to break a rule, the freshness window of the raw events, plausibility bounds that
depend on a var (the heartbeat, a human's dwell per read), orderings of two columns, and the cross-table
shares of ``recommendation_coverage`` / ``evaluation_coverage`` (dbt models). Keys, nulls, accepted values,
ranges and list shapes are dbt tests in the models' YAML. Thresholds are those of the build
(:class:`Thresholds`, read from the ``quality_thresholds`` model), so ``--vars`` overrides reach the suites.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

#: Snowplow's ``event`` values and ``platform`` codes (the canonical event model)
SNOWPLOW_EVENTS = ("page_view", "page_ping", "struct", "unstruct", "transaction", "transaction_item")
SNOWPLOW_PLATFORMS = ("web", "mob", "pc", "srv", "app", "tv", "cnsl", "iot")
UUID_REGEX = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
ENRICHED_FIELDS = 131  # fields of a well-formed enriched TSV line
THRESHOLDS_RELATION = "marts.quality_thresholds"


@dataclass(frozen=True)
class Thresholds:
    """One row of ``marts.quality_thresholds``: the vars as the build resolved them."""

    as_of: datetime | None
    heartbeat_s: int
    raw_tolerance_pct: float
    raw_max_age_days: int
    max_dwell_per_read_s: int
    sample_rows: int


@dataclass(frozen=True)
class Rule:
    """One GX expectation (``expectation``: its class name in ``great_expectations.expectations``) with what
    must hold (``description``, shown in Data Docs and messages) and how a failing row is described."""

    description: str
    expectation: str
    kwargs: dict[str, Any]
    problem: str = "break the rule"


@dataclass(frozen=True)
class Suite:
    model: str  # the dbt model it validates (the Dagster check sits on its asset)
    relation: str
    unit: str  # what one row is, in messages
    columns: tuple[str, ...]  # select expressions
    examples: tuple[str, ...]  # columns that identify a failing row
    rules: Callable[[Thresholds], list[Rule]]
    critical: bool = True


def _in_set(
    column: str, values: tuple, description: str, problem: str = "not in the allowed set", **kw
) -> Rule:
    return Rule(
        description,
        "ExpectColumnValuesToBeInSet",
        {"column": column, "value_set": list(values), **kw},
        problem,
    )


def _ordered(later: str, earlier: str) -> Rule:
    return Rule(
        f"{later} must not be before {earlier}",
        "ExpectColumnPairValuesAToBeGreaterThanB",
        {
            "column_A": later,
            "column_B": earlier,
            "or_equal": True,
            "ignore_row_if": "either_value_is_missing",
        },
    )


RAW_REQUIRED = (
    "event_id",
    "app_id",
    "platform",
    "event",
    "collector_tstamp",
    "domain_userid",
    "domain_sessionid",
    "page_url",
)


def raw_event_rules(t: Thresholds) -> list[Rule]:
    mostly = {"mostly": 1.0 - t.raw_tolerance_pct / 100.0}
    rules = [
        Rule(
            f"{c} must be present on every line",
            "ExpectColumnValuesToNotBeNull",
            {"column": c, **mostly},
            "are null",
        )
        for c in RAW_REQUIRED
    ]
    rules += [
        _in_set(
            "field_count",
            (ENRICHED_FIELDS,),
            f"every line must have the {ENRICHED_FIELDS} enriched TSV fields",
            "have another count",
            **mostly,
        ),
        _in_set("is_invalid_utf8", (False,), "lines must be valid UTF-8", "are not", **mostly),
        _in_set("event", SNOWPLOW_EVENTS, f"event must be one of {', '.join(SNOWPLOW_EVENTS)}", **mostly),
        _in_set(
            "platform",
            SNOWPLOW_PLATFORMS,
            f"platform must be one of {', '.join(SNOWPLOW_PLATFORMS)}",
            **mostly,
        ),
        Rule(
            "event_id must be a UUID",
            "ExpectColumnValuesToMatchRegex",
            {"column": "event_id", "regex": UUID_REGEX, **mostly},
            "do not match",
        ),
    ]
    if t.as_of is not None:
        low, high = t.as_of - timedelta(days=t.raw_max_age_days), t.as_of + timedelta(days=1)
        rules.append(
            Rule(
                f"collector_tstamp must be within [as_of - {t.raw_max_age_days} days, as_of + 1 day] = "
                f"[{low:%Y-%m-%d %H:%M}, {high:%Y-%m-%d %H:%M}] (as_of {t.as_of:%Y-%m-%d %H:%M:%S})",
                "ExpectColumnValuesToBeBetween",
                {"column": "collector_tstamp", "min_value": low, "max_value": high, **mostly},
                "outside",
            )
        )
    return rules


def page_view_rules(t: Thresholds) -> list[Rule]:
    return [
        Rule(
            f"engaged_time_in_s must be <= absolute_time_in_s + heartbeat ({t.heartbeat_s} s)",
            "ExpectColumnValuesToBeBetween",
            {"column": "engaged_minus_absolute_s", "max_value": t.heartbeat_s},
            "exceed it",
        ),
        _ordered("end_tstamp", "start_tstamp"),
    ]


def interaction_rules(t: Thresholds) -> list[Rule]:
    return [
        Rule(
            f"dwell per read (dwell_s / reads) must be between 0 and {t.max_dwell_per_read_s:,} s",
            "ExpectColumnValuesToBeBetween",
            {"column": "dwell_per_read_s", "min_value": 0, "max_value": t.max_dwell_per_read_s},
            "outside",
        ),
        _ordered("last_read_at", "first_read_at"),
    ]


def recommendation_rules(t: Thresholds) -> list[Rule]:
    return [
        _in_set(
            "is_strategy_served",
            (True,),
            "every site with reads must have current recommendations from every strategy of model_registry",
            "have none",
        ),
        _in_set(
            "has_related_list",
            (True,),
            "every article read in the serving cut's training window must have "
            "related recommendations from every strategy served on its site",
            "have none",
        ),
    ]


def evaluation_rules(t: Thresholds) -> list[Rule]:
    return [
        _in_set(
            "is_evaluated",
            (True,),
            "the latest evaluation must cover every strategy of model_registry on every site",
            "are missing",
        ),
    ]


#: suite name -> what it validates. The evaluation is a report about the recommenders, not an input of
#: serving: its suite only warns.
SUITE_DEFINITIONS: dict[str, Suite] = {
    "raw_events": Suite(
        "stg_snowplow__events",
        "staging.stg_snowplow__events",
        "lines",
        (*RAW_REQUIRED, "field_count", "is_invalid_utf8", "source_file"),
        ("source_file",),
        raw_event_rules,
    ),
    "page_views": Suite(
        "page_views",
        "marts.page_views",
        "rows",
        (
            "page_view_id",
            "start_tstamp",
            "end_tstamp",
            "engaged_time_in_s - absolute_time_in_s as engaged_minus_absolute_s",
        ),
        ("page_view_id",),
        page_view_rules,
    ),
    "interactions": Suite(
        "interactions",
        "marts.interactions",
        "rows",
        (
            "site_id",
            "domain_userid",
            "article_id",
            "first_read_at",
            "last_read_at",
            "cast(dwell_s as double precision) / nullif(reads, 0) as dwell_per_read_s",
        ),
        ("site_id", "domain_userid", "article_id"),
        interaction_rules,
    ),
    "recommendations": Suite(
        "recommendation_coverage",
        "marts.recommendation_coverage",
        "articles read in the window x strategy",
        ("site_id", "strategy", "article_id", "is_strategy_served", "has_related_list"),
        ("site_id", "strategy", "article_id"),
        recommendation_rules,
    ),
    "evaluations": Suite(
        "evaluation_coverage",
        "marts.evaluation_coverage",
        "site x strategy pairs",
        ("site_id", "strategy", "is_evaluated"),
        ("site_id", "strategy"),
        evaluation_rules,
        critical=False,
    ),
}

#: suite name -> the relation it validates; suite name -> the dbt model that builds it
SUITES: dict[str, str] = {name: s.relation for name, s in SUITE_DEFINITIONS.items()}
SUITE_MODELS: dict[str, str] = {name: s.model for name, s in SUITE_DEFINITIONS.items()}
CRITICAL_SUITES: frozenset[str] = frozenset(name for name, s in SUITE_DEFINITIONS.items() if s.critical)

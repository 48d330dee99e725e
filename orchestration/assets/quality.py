"""Great Expectations suites as Dagster asset checks, one check per suite on the model it validates.

The suites live in `article_recs.quality` (issue 5), used only through its interface:
``SUITES: dict[str, str]`` (suite name -> dbt model) and
``run_suite(suite_name, *, duckdb_path=None) -> SuiteResult`` (``.success``, ``.statistics``, ``.failures``).
The module is imported lazily: when it cannot be imported, the checks below are still defined (from
``EXPECTED_SUITES``) and each run logs why they were skipped; the UI then shows them as skipped, not passed.

All suites run in one op, one after the other, after the dbt build: each reads the DuckDB file read-only,
and the op is in the warehouse pool so it never overlaps a dbt build from another run.
"""

# no `from __future__ import annotations`: Dagster inspects the `context` annotation at definition time

import importlib
import json
import logging
from collections.abc import Mapping
from typing import Any

from dagster import (
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetKey,
    AssetsDefinition,
    MetadataValue,
    multi_asset_check,
)

from orchestration.resources import warehouse_duckdb_path

QUALITY_MODULE = "article_recs.quality"

# The suites issue 5 asks for, by the model each validates: the checks shown while article_recs.quality
# does not exist yet. Once it imports, its SUITES is the only source of truth.
EXPECTED_SUITES: dict[str, str] = {
    "events": "stg_snowplow__events",
    "page_views": "page_views",
    "interactions": "interactions",
    "recommendations": "recommendations",
    "evaluations": "model_evaluations",
}

logger = logging.getLogger("article_recs.orchestration")


def load_quality_module() -> tuple[Any | None, str | None]:
    """(module, None) or (None, the reason it cannot be used)."""
    try:
        module = importlib.import_module(QUALITY_MODULE)
    except Exception as exc:  # missing, or broken while another engineer writes it
        return None, f"{QUALITY_MODULE} cannot be imported ({type(exc).__name__}: {exc})"
    missing = [name for name in ("SUITES", "run_suite") if not hasattr(module, name)]
    if missing:
        return None, f"{QUALITY_MODULE} has no {', '.join(missing)}"
    return module, None


def suite_models() -> tuple[dict[str, str], str | None]:
    """Suite name -> dbt model name, and why the quality module is unusable (None when it is usable)."""
    module, reason = load_quality_module()
    if module is None:
        return dict(EXPECTED_SUITES), reason
    # SUITES names the relation ("marts.page_views"); SUITE_MODELS, when there, the dbt model itself
    models = dict(getattr(module, "SUITE_MODELS", None) or {})
    return {
        str(suite): str(models.get(suite) or relation).split(".")[-1]
        for suite, relation in dict(module.SUITES).items()
    }, None


def check_name(suite: str) -> str:
    return "gx_" + "".join(c if c.isalnum() else "_" for c in suite)


def build_quality_checks(dbt_assets_def: AssetsDefinition) -> list:
    """One multi-asset check op with a check per suite whose model is one of the dbt assets."""
    suites, reason = suite_models()
    if reason:
        logger.info("Great Expectations checks defined but will be skipped: %s", reason)

    keys_by_model: dict[str, AssetKey] = {}
    for key in dbt_assets_def.keys:
        keys_by_model.setdefault(key.path[-1], key)

    specs: list[AssetCheckSpec] = []
    suite_by_check: dict[str, str] = {}
    for suite, model in sorted(suites.items()):
        key = keys_by_model.get(model)
        if key is None:
            logger.info("Great Expectations suite %r: no model %r in the dbt project, no check", suite, model)
            continue
        name = check_name(suite)
        suite_by_check[name] = suite
        specs.append(
            AssetCheckSpec(
                name=name,
                asset=key,
                description=f"Great Expectations suite `{suite}` (article_recs.quality) on `{model}`.",
            )
        )
    if not specs:
        return []

    @multi_asset_check(
        specs=specs,
        name="great_expectations_suites",
        can_subset=True,
        compute_kind="great_expectations",
        pool="article_recs_warehouse",
    )
    def great_expectations_suites(context: AssetCheckExecutionContext):
        module, why = load_quality_module()
        if module is None:
            # Yielding nothing leaves the checks "skipped" in the UI (can_subset=True), not passed.
            context.log.warning(f"Skipping Great Expectations suites: {why}")
            return
        duckdb_path = str(warehouse_duckdb_path())
        for check_key in sorted(context.selected_asset_check_keys, key=lambda k: k.name):
            suite = suite_by_check[check_key.name]
            if suite not in module.SUITES:
                context.log.warning(f"Skipping {check_key.name}: suite {suite!r} is no longer in SUITES")
                continue
            yield _run_suite(context, module, suite, check_key.asset_key, check_key.name, duckdb_path)

    return [great_expectations_suites]


def _run_suite(
    context: AssetCheckExecutionContext,
    module: Any,
    suite: str,
    asset_key: AssetKey,
    name: str,
    duckdb_path: str,
) -> AssetCheckResult:
    try:
        result = module.run_suite(suite, duckdb_path=duckdb_path)
    except Exception as exc:
        context.log.error(f"Great Expectations suite {suite!r} raised {type(exc).__name__}: {exc}")
        return AssetCheckResult(
            asset_key=asset_key,
            check_name=name,
            passed=False,
            severity=AssetCheckSeverity.ERROR,
            metadata={"error": MetadataValue.text(f"{type(exc).__name__}: {exc}")},
        )
    failures = [str(f) for f in (getattr(result, "failures", None) or [])]
    metadata: dict[str, Any] = {"suite": suite, "failures": len(failures)}
    if getattr(result, "status", None):
        metadata["status"] = str(result.status)
    metadata.update(_statistics(getattr(result, "statistics", None) or {}))
    if failures:
        metadata["failed_expectations"] = MetadataValue.md("\n".join(f"- {f}" for f in failures[:50]))
    # a suite the quality module does not call critical (the offline evaluation) only warns
    critical = getattr(module, "CRITICAL_SUITES", None)
    warn_only = critical is not None and suite not in critical
    severity = AssetCheckSeverity.WARN if warn_only else AssetCheckSeverity.ERROR
    outcome = "passed" if result.success else f"FAILED ({len(failures)} failing rules)"
    context.log.info(f"Great Expectations suite {suite!r}: {outcome}")
    return AssetCheckResult(
        asset_key=asset_key,
        check_name=name,
        passed=bool(result.success),
        severity=severity,
        metadata=metadata,
    )


def _statistics(statistics: Mapping[str, Any]) -> dict[str, Any]:
    """The suite's statistics (evaluated / successful expectations, success percent, rows ...) as metadata:
    numbers stay numbers (plottable in the UI), nested values become JSON."""
    out: dict[str, Any] = {}
    for key, value in statistics.items():
        if isinstance(value, bool):
            out[str(key)] = MetadataValue.bool(value)
        elif isinstance(value, int | float):
            out[str(key)] = value
        elif isinstance(value, Mapping | list | tuple):
            try:
                out[str(key)] = MetadataValue.json(json.loads(json.dumps(value, default=str)))
            except (TypeError, ValueError):
                out[str(key)] = MetadataValue.text(str(value))
        elif value is not None:
            out[str(key)] = MetadataValue.text(str(value))
    return out

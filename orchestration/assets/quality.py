"""Great Expectations suites as Dagster asset checks, one check per suite on the model it validates.

The suites live in `article_recs.quality`: ``SUITE_MODELS`` (suite name -> dbt model), ``run_suite(name, *,
duckdb_path)`` and ``CRITICAL_SUITES`` (the others only warn). All suites run in one op, one after the other,
after the dbt build: each reads the DuckDB file read-only, and the op is in the warehouse pool so it never
overlaps a dbt build from another run.
"""

# no `from __future__ import annotations`: Dagster inspects the `context` annotation at definition time

import importlib
import json
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


def quality_module() -> Any:
    """``article_recs.quality``, looked up when used (cheap: GX loads only when a suite runs)."""
    return importlib.import_module("article_recs.quality")


def suite_models() -> dict[str, str]:
    """Suite name -> the dbt model it validates."""
    module = quality_module()
    models = dict(getattr(module, "SUITE_MODELS", None) or {})
    return {
        suite: str(models.get(suite) or relation).split(".")[-1] for suite, relation in module.SUITES.items()
    }


def check_name(suite: str) -> str:
    return "gx_" + "".join(c if c.isalnum() else "_" for c in suite)


def build_quality_checks(dbt_assets_def: AssetsDefinition) -> list:
    """One multi-asset check op with a check per suite whose model is one of the dbt assets."""
    suites = suite_models()
    keys_by_model: dict[str, AssetKey] = {}
    for key in dbt_assets_def.keys:
        keys_by_model.setdefault(key.path[-1], key)

    specs: list[AssetCheckSpec] = []
    suite_by_check: dict[str, str] = {}
    for suite, model in sorted(suites.items()):
        key = keys_by_model.get(model)
        if key is None:  # a model disabled on this target
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
        module = quality_module()
        duckdb_path = str(warehouse_duckdb_path())
        for check_key in sorted(context.selected_asset_check_keys, key=lambda k: k.name):
            suite = suite_by_check[check_key.name]
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

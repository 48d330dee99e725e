"""The dbt project as Dagster assets: every seed, SQL model and Python model (the recommender) is an asset
with its lineage from the manifest, and every dbt data test is an asset check on the model it tests.

One op runs `dbt build` for whatever is selected (all of it on the schedule), so seeds, models and data tests
run in dbt's own order, in one process holding the DuckDB file. Unit tests are left to CI (`make test`): they
test the SQL, which does not change between two-hourly runs (dbt's advice for production builds).
"""

# no `from __future__ import annotations`: Dagster inspects the `context` annotation at definition time

import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from dagster import AssetExecutionContext, Backoff, Jitter, RetryPolicy
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, dbt_assets

from article_recs.dbt_runner import SCHEDULED_BUILD_ARGS
from orchestration.assets.metadata import with_build_metadata
from orchestration.resources import (
    build_dbt_project,
    dbt_vars_args,
    prepare_manifest,
    warehouse_duckdb_path,
)

dbt_project = build_dbt_project()
prepare_manifest(dbt_project)

# A failed build is retried once, in the same run, after a back-off (an op retry, not a run retry): the run
# keeps its slot in the one-run-at-a-time queue, so nothing else takes the DuckDB file in between, and the
# usual transient cause (the file locked by someone's ad-hoc dbt run or notebook) has time to clear.
# Run retries would need the daemon and have no delay; they also re-queue behind other runs.
BUILD_RETRY_POLICY = RetryPolicy(
    max_retries=1, delay=120, backoff=Backoff.EXPONENTIAL, jitter=Jitter.PLUS_MINUS
)

# Every op that opens the warehouse is in this pool; dagster.yaml limits each pool to one op at a time.
WAREHOUSE_POOL = "article_recs_warehouse"

# Dagster groups follow the data flow of docs/DESIGN.md (folders under models/ and python_models/):
# seeds, staging, intermediate, core, monitoring, recommender, evaluation (every eval_* model, SQL or Python),
# reporting.
def group_for(dbt_resource_props: Mapping[str, Any]) -> str | None:
    resource_type = dbt_resource_props.get("resource_type")
    if resource_type == "source":
        return "sources"
    if resource_type == "seed":
        return "seeds"
    fqn = list(dbt_resource_props.get("fqn") or [])[1:-1]  # folders between the project and the model
    if str(dbt_resource_props.get("name", "")).startswith("eval_"):
        return "evaluation"
    if fqn and fqn[0] == "marts" and len(fqn) > 1:
        return fqn[1]
    return fqn[0] if fqn else None


class ArticleRecsTranslator(DagsterDbtTranslator):
    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        return group_for(dbt_resource_props) or super().get_group_name(dbt_resource_props)


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    name="article_recs_dbt",
    dagster_dbt_translator=ArticleRecsTranslator(),
    retry_policy=BUILD_RETRY_POLICY,
    pool=WAREHOUSE_POOL,
)
def article_recs_dbt(context: AssetExecutionContext, dbt: DbtCliResource):
    """`dbt build` (seeds, models, data tests; unit tests run in CI), then the headline numbers read from the
    warehouse.

    On DuckDB, dagster-dbt's `.fetch_row_counts()` is not used: it opens the file read-write through a dbt
    adapter that stays open in this process after the step (locking the file against the next dbt run from
    the same process, e.g. in-process tests); `with_build_metadata` reads the row counts and the headline
    through one read-only connection that it closes. Other warehouses get dagster-dbt's
    `.fetch_row_counts()` and `.fetch_column_metadata()` (the column schema of each table in the UI).
    """
    invocation = dbt.cli([*SCHEDULED_BUILD_ARGS, *dbt_vars_args()], context=context)
    try:
        duckdb_path = _duckdb_path(invocation)
        events = (
            invocation.stream()
            if duckdb_path
            else invocation.stream().fetch_row_counts().fetch_column_metadata()
        )
        yield from with_build_metadata(
            events,
            manifest=invocation.manifest,
            duckdb_path=duckdb_path,
            log=context.log,
        )
    finally:
        _stop_dbt(invocation.process, context)


def _stop_dbt(process: subprocess.Popen, context: AssetExecutionContext) -> None:
    """If the step ends while dbt still runs (an error turning its events into Dagster events, an interrupt),
    stop dbt: it holds the DuckDB file, and the retry would find it locked."""
    if process.poll() is not None:
        return
    context.log.warning(f"Stopping dbt (pid {process.pid}): the step ended before it did")
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


def _duckdb_path(invocation: Any) -> Path | None:
    """The DuckDB file dbt wrote (from the dbt adapter's resolved profile), or None on other warehouses."""
    adapter_type = invocation.manifest.get("metadata", {}).get("adapter_type")
    adapter = getattr(invocation, "adapter", None)
    credentials = getattr(getattr(adapter, "config", None), "credentials", None)
    if credentials is not None:
        if getattr(credentials, "type", adapter_type) != "duckdb":
            return None
        path = Path(str(credentials.path))
        return path if path.is_absolute() else Path(invocation.project_dir) / path
    return warehouse_duckdb_path() if adapter_type == "duckdb" else None

"""The Postgres serving copy: after each build, the current models and their recommendations are published to
the `serving` schema the newsroom widgets read (article_recs.serving.publish: rows copied as `pending`, then
one transaction makes them current). On when ARTICLE_RECS_PUBLISH is 1/true (Postgres settings from the
ARTICLE_RECS_PG_* variables); without it the asset is not part of the code location at all, so a laptop
without Postgres runs the build alone. Postgres down: the step fails with the host and port, DuckDB keeps
everything, the run-failure sensor alerts and the next run publishes."""

# no `from __future__ import annotations`: Dagster inspects the `context` annotation at definition time

import os

from dagster import AssetExecutionContext, AssetKey, Failure, MaterializeResult, MetadataValue, asset

from orchestration.assets.dbt import WAREHOUSE_POOL
from orchestration.resources import warehouse_duckdb_path


def publish_enabled() -> bool:
    return os.environ.get("ARTICLE_RECS_PUBLISH", "").strip().lower() in {"1", "true", "yes"}


@asset(
    name="postgres_serving",
    group_name="serving",
    deps=[AssetKey(["model_registry"]), AssetKey(["recommendations"])],
    pool=WAREHOUSE_POOL,
    description="Current models and their recommendations copied to Postgres `serving` (atomic switch).",
)
def postgres_serving(context: AssetExecutionContext) -> MaterializeResult:
    from article_recs.serving.connection import PgSettings, PgUnavailable
    from article_recs.serving.publish import PublishError, publish

    settings = PgSettings.from_env()
    try:
        result = publish(duckdb_path=warehouse_duckdb_path(), settings=settings)
    except (PgUnavailable, PublishError) as error:
        raise Failure(description=str(error)) from None
    context.log.info(result.summary(settings))
    return MaterializeResult(
        metadata={
            "models_copied": len(result.copied),
            "models_made_current": len(result.activated),
            "rows_copied": result.rows_copied,
            "models_deleted": len(result.deleted),
            "publish_seconds": MetadataValue.float(round(result.seconds, 3)),
            "postgres": settings.where,
        }
    )

"""The build on Apache Spark as a Dagster job (ARTICLE_RECS_TARGET=spark or spark_cluster).

dbt-spark cannot run the dbt Python models outside Databricks, so on Spark the build is one op that runs
article_recs.spark_models.build: dbt builds what needs no Python model, the Python models (ALS, content,
ranked, the oracle: the same model files DuckDB runs) run against the Spark tables as the step after it, and
dbt builds what reads their lists (recommendation_lists, the evaluation, the registry). The job is part of the
code location only when the target is a Spark one (orchestration/definitions.py); the dbt assets then stay
unscheduled and this job runs on the same two-hourly schedule."""

# no `from __future__ import annotations`: Dagster inspects the `context` annotation at definition time

import os

from dagster import DefaultScheduleStatus, Failure, OpExecutionContext, ScheduleDefinition, job, op

from orchestration.resources import dbt_vars
from orchestration.schedules import BUILD_CRON, BUILD_TIMEZONE


def spark_target() -> str | None:
    """The Spark target of this environment (ARTICLE_RECS_TARGET), or None."""
    target = os.environ.get("ARTICLE_RECS_TARGET", "")
    return target if target.startswith("spark") else None


@op(description="dbt build on Spark with the Python models as the step after the SQL build")
def spark_build(context: OpExecutionContext) -> None:
    from article_recs.dbt_runner import DbtError
    from article_recs.spark_models import build

    try:
        build(
            ["build", "--exclude-resource-type", "unit_test"],
            dbt_vars=dbt_vars() or None,
            target=spark_target() or "spark",
            stream=False,
        )
    except DbtError as error:
        raise Failure(description=str(error)) from None
    context.log.info("Spark build done")


@job(description="The whole project on Spark: dbt, then the Python models, then what reads their lists.")
def spark_build_job() -> None:
    spark_build()


spark_every_two_hours = ScheduleDefinition(
    job=spark_build_job,
    cron_schedule=BUILD_CRON,
    execution_timezone=BUILD_TIMEZONE,
    default_status=DefaultScheduleStatus.RUNNING,
)

"""The Dagster code location: `dagster dev -m orchestration.definitions` (see `make dagster`).

Loading parses the dbt project when its manifest is missing (and on every load under `dagster dev`), so a
clean clone loads without a prior `dbt parse`.
"""

from __future__ import annotations

from dagster import Definitions

from orchestration.assets import article_recs_dbt, dbt_project, quality_checks
from orchestration.assets.serving import postgres_serving, publish_enabled
from orchestration.resources import build_dbt_resource
from orchestration.schedules import build_job, every_two_hours
from orchestration.sensors import alert_on_run_failure
from orchestration.spark import spark_build_job, spark_every_two_hours, spark_target

# On a Spark target the scheduled build is orchestration/spark.py's job (the Python models run beside dbt)
on_spark = spark_target() is not None

defs = Definitions(
    # postgres_serving (publish to the Postgres serving schema) only when ARTICLE_RECS_PUBLISH is set
    assets=[article_recs_dbt, *([postgres_serving] if publish_enabled() else [])],
    asset_checks=quality_checks,
    jobs=[build_job, *([spark_build_job] if on_spark else [])],
    schedules=[spark_every_two_hours if on_spark else every_two_hours],
    sensors=[alert_on_run_failure],
    resources={"dbt": build_dbt_resource(dbt_project)},
)

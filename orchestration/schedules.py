"""The two-hourly build: one job over every asset (and its checks), on a schedule that is on by default.

One run at a time (DuckDB has one writer) is enforced twice:
- by the instance's run queue (``orchestration/dagster.yaml``: ``max_concurrent_runs: 1`` and a limit of 1 on
  the ``article_recs/warehouse`` tag these runs carry), so a run launched by hand waits in the queue;
- here: a tick while a build is still queued or running is skipped (with the reason on the tick), so a
  slow build never piles up a backlog of builds behind it.
"""

from __future__ import annotations

from dagster import (
    AssetSelection,
    DagsterRunStatus,
    DefaultScheduleStatus,
    RunRequest,
    RunsFilter,
    ScheduleEvaluationContext,
    SkipReason,
    define_asset_job,
    schedule,
)

BUILD_JOB_NAME = "article_recs_build"
BUILD_CRON = "0 */2 * * *"
BUILD_TIMEZONE = "UTC"
# Tag on every build run; dagster.yaml's tag_concurrency_limits allows one such run at a time.
WAREHOUSE_TAG = ("article_recs/warehouse", "duckdb")

build_job = define_asset_job(
    name=BUILD_JOB_NAME,
    selection=AssetSelection.all(),
    description="dbt build of the whole project (events in, recommendations and evaluations out), then the "
    "Great Expectations suites.",
    tags=dict([WAREHOUSE_TAG]),
)

# A build in any of these holds (or is waiting for) the warehouse.
UNFINISHED_STATUSES = [
    DagsterRunStatus.QUEUED,
    DagsterRunStatus.NOT_STARTED,
    DagsterRunStatus.STARTING,
    DagsterRunStatus.STARTED,
    DagsterRunStatus.CANCELING,
]


@schedule(
    name="article_recs_every_two_hours",
    job=build_job,
    cron_schedule=BUILD_CRON,
    execution_timezone=BUILD_TIMEZONE,
    default_status=DefaultScheduleStatus.RUNNING,
    description="Every two hours (UTC): the latest events in, fresh recommendations out.",
)
def every_two_hours(context: ScheduleEvaluationContext):
    in_progress = context.instance.get_run_records(
        filters=RunsFilter(job_name=BUILD_JOB_NAME, statuses=UNFINISHED_STATUSES),
        limit=1,
    )
    if in_progress:
        run = in_progress[0].dagster_run
        return SkipReason(
            f"Build {run.run_id} is still {run.status.value.lower()}: "
            "skipping this tick (DuckDB has one writer)."
        )
    return RunRequest(tags={"article_recs/trigger": "schedule"})

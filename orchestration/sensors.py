"""A message when something breaks: a run-failure sensor posting a Slack-compatible JSON payload.

The webhook URL comes from ``ARTICLE_RECS_ALERT_WEBHOOK_URL`` (a Slack incoming webhook, or anything that
accepts ``{"text": ..., "blocks": [...]}``). Unset, the alert is only logged (on the sensor's tick). The
post has a timeout and never raises: an unreachable webhook is logged, and the sensor carries on.

The sensor fires once per failed run, i.e. after the build's retry has failed too.
"""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request
from typing import Any

from dagster import DefaultSensorStatus, RunFailureSensorContext, run_failure_sensor

from orchestration.resources import alert_webhook_url, dagster_url

WEBHOOK_TIMEOUT_SECONDS = 10
# Slack rejects a section text over 3000 characters.
MAX_ERROR_CHARS = 2500

logger = logging.getLogger("article_recs.orchestration")


def build_failure_payload(
    *,
    job_name: str,
    run_id: str,
    error: str,
    failed_steps: list[str],
    run_url: str | None = None,
    trigger: str | None = None,
) -> dict[str, Any]:
    """The Slack message for a failed run: a one-line ``text`` (notifications, non-Slack receivers) and
    blocks with the job, run, failed steps and error."""
    error = (error or "unknown error").strip()
    short_error = error.splitlines()[0][:200] if error else "unknown error"
    if len(error) > MAX_ERROR_CHARS:
        error = error[: MAX_ERROR_CHARS - 20] + "\n... (truncated)"
    run_ref = f"<{run_url}|{run_id}>" if run_url else run_id
    fields = [
        {"type": "mrkdwn", "text": f"*Job*\n{job_name}"},
        {"type": "mrkdwn", "text": f"*Run*\n{run_ref}"},
        {"type": "mrkdwn", "text": f"*Failed steps*\n{', '.join(failed_steps) or '-'}"},
        {"type": "mrkdwn", "text": f"*Trigger*\n{trigger or 'manual'}"},
    ]
    return {
        "text": f":rotating_light: article-recs: {job_name} failed (run {run_id}): {short_error}",
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": f"article-recs: {job_name} failed"}},
            {"type": "section", "fields": fields},
            {"type": "section", "text": {"type": "mrkdwn", "text": f"*Error*\n```{error}```"}},
        ],
    }


def post_json(url: str, payload: dict[str, Any], *, timeout: float = WEBHOOK_TIMEOUT_SECONDS) -> str | None:
    """POST payload as JSON. Returns None on a 2xx answer, else what went wrong (never raises)."""
    request = urllib.request.Request(
        url,
        data=json.dumps(payload).encode("utf-8"),
        headers={"Content-Type": "application/json", "User-Agent": "article-recs-dagster"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            status = response.status
    except urllib.error.HTTPError as exc:
        return f"HTTP {exc.code} from the webhook"
    except Exception as exc:  # unreachable, refused, timed out, bad URL
        return f"{type(exc).__name__}: {exc}"
    return None if 200 <= status < 300 else f"HTTP {status} from the webhook"


def failure_details(context: RunFailureSensorContext) -> tuple[str, list[str]]:
    """The error text (each failed step's error, else the run's failure message) and the failed steps."""
    errors: list[str] = []
    steps: list[str] = []
    for event in context.get_step_failure_events():
        steps.append(event.step_key or "?")
        info = getattr(event.event_specific_data, "error", None)
        while info is not None and getattr(info, "cause", None) is not None:
            info = info.cause  # Dagster wraps the op's exception: report the exception itself
        message = getattr(info, "message", None) or event.message or ""
        errors.append(f"{event.step_key}: {message.strip()}")
    if not errors and context.failure_event is not None:
        errors.append(context.failure_event.message or "")
    return "\n".join(errors), steps


@run_failure_sensor(
    name="article_recs_alert_on_failure",
    default_status=DefaultSensorStatus.RUNNING,
    description="Posts a Slack-compatible message to ARTICLE_RECS_ALERT_WEBHOOK_URL when a run fails.",
)
def alert_on_run_failure(context: RunFailureSensorContext) -> None:
    run = context.dagster_run
    error, steps = failure_details(context)
    trigger = run.tags.get("dagster/schedule_name") or run.tags.get("dagster/sensor_name")
    payload = build_failure_payload(
        job_name=run.job_name,
        run_id=run.run_id,
        error=error,
        failed_steps=steps,
        run_url=f"{dagster_url()}/runs/{run.run_id}",
        trigger=f"schedule {trigger}" if run.tags.get("dagster/schedule_name") else trigger,
    )
    url = alert_webhook_url()
    if url is None:
        context.log.warning(
            "ARTICLE_RECS_ALERT_WEBHOOK_URL is not set; run failure alert not sent:\n" + payload["text"]
        )
        return
    problem = post_json(url, payload)
    if problem:
        context.log.error(f"Could not post the run failure alert for {run.run_id}: {problem}")
    else:
        context.log.info(f"Posted the run failure alert for {run.run_id}")

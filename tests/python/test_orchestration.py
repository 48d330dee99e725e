"""Dagster orchestration (orchestration/): the Definitions, the schedule, one run at a time, retries, the
failure alert, an in-process build on generated data, and the UI in headless Chromium.

Every dbt/Dagster file this touches is under pytest's tmp dir (DBT_TARGET_PATH, ARTICLE_RECS_DUCKDB_PATH,
DAGSTER_HOME), so it runs beside other dbt runs in the same checkout. The environment is set before
orchestration is first imported: importing it parses the dbt project into that target path (a clean clone
has no manifest, and neither has the fresh target path).
"""

from __future__ import annotations

import http.server
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import types
import urllib.request
import uuid
from pathlib import Path

import duckdb
import pytest

from article_recs.quality import CRITICAL_SUITES, SUITES

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
LOCATION = "orchestration.definitions"


# -------------------------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="session")
def orchestration_env(tmp_path_factory):
    """Isolated dbt target, warehouse and Dagster home for the session; returns those env vars."""
    base = tmp_path_factory.mktemp("dagster")
    home = base / "home"
    home.mkdir()
    shutil.copy(REPO / "orchestration" / "dagster.yaml", home / "dagster.yaml")
    env = {
        "DBT_TARGET_PATH": str(base / "target"),
        "DBT_LOG_PATH": str(base / "logs"),
        "DBT_PROFILES_DIR": str(REPO),
        "ARTICLE_RECS_DUCKDB_PATH": str(base / "warehouse.duckdb"),
        "DAGSTER_HOME": str(home),
        "GX_ANALYTICS_ENABLED": "false",
        "DO_NOT_TRACK": "1",
    }
    with pytest.MonkeyPatch.context() as mp:
        for key, value in env.items():
            mp.setenv(key, value)
        mp.delenv("ARTICLE_RECS_ALERT_WEBHOOK_URL", raising=False)
        mp.delenv("ARTICLE_RECS_DBT_VARS", raising=False)
        mp.delenv("ARTICLE_RECS_TARGET", raising=False)
        yield {**env, "base": str(base)}


@pytest.fixture(scope="session")
def defs(orchestration_env):
    from orchestration.definitions import defs

    return defs


@pytest.fixture(scope="session")
def asset_graph(defs):
    return defs.resolve_asset_graph()


class _Webhook(http.server.BaseHTTPRequestHandler):
    received: list[dict] = []

    def do_POST(self):  # noqa: N802 (http.server's naming)
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        type(self).received.append(
            {"path": self.path, "content_type": self.headers.get("Content-Type"), "json": json.loads(body)}
        )
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):
        pass


@pytest.fixture
def webhook():
    """A local webhook on 127.0.0.1 (ephemeral port) recording the JSON it receives."""
    handler = type("Webhook", (_Webhook,), {"received": []})
    server = http.server.HTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/hooks/alerts", handler.received
    finally:
        server.shutdown()
        server.server_close()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _asset(asset_graph, model: str):
    keys = [k for k in asset_graph.get_all_asset_keys() if k.path[-1] == model]
    assert keys, f"no asset for dbt model {model}"
    return asset_graph.get(keys[0])


# ----------------------------------------------------------------------------------------- definitions


def test_definitions_load_dbt_models_python_models_and_tests_as_checks(orchestration_env, defs, asset_graph):
    from orchestration.assets import dbt_project

    # the manifest was parsed into the (fresh) isolated target path at load time
    assert dbt_project.manifest_path == Path(orchestration_env["DBT_TARGET_PATH"]) / "manifest.json"
    assert dbt_project.manifest_path.exists()

    names = {key.path[-1] for key in asset_graph.get_all_asset_keys()}
    expected = {"stg_snowplow__events", "page_views", "interactions", "als_lists", "recommendation_lists"}
    assert expected <= names

    # the ALS Python model is an asset with its lineage from the manifest (per cut: the cuts, their reads and
    # candidates), and the SQL model padding every strategy's lists reads it
    als = _asset(asset_graph, "als_lists")
    parents = {key.path[-1] for key in als.parent_keys}
    cut_inputs = ("recommender_cuts", "recommender_training_interactions", "recommender_cut_reads")
    assert {*cut_inputs, "recommender_candidates"} <= parents
    assert als.group_name == "recommender"
    assert "als_lists" in {key.path[-1] for key in _asset(asset_graph, "recommendation_lists").parent_keys}
    assert _asset(asset_graph, "page_views").group_name == "core"
    # the rolling evaluation scores those very lists; the oracle (a Python model) is in the evaluation group
    scored = {key.path[-1] for key in _asset(asset_graph, "eval_case_hits").parent_keys}
    assert "recommendation_lists" in scored
    assert _asset(asset_graph, "eval_oracle_lists").group_name == "evaluation"

    # dbt data tests are asset checks on the models they test
    checks = {(key.asset_key.path[-1], key.name) for key in asset_graph.asset_check_keys}
    assert ("page_views", "unique_page_views_page_view_id") in checks
    for model in ("als_lists", "recommendation_lists"):
        assert any(m == model and name.startswith("not_null") for m, name in checks), model

    assert defs.resolve_job_def("article_recs_build") is not None
    assert defs.resolve_sensor_def("article_recs_alert_on_failure") is not None


def test_schedule_runs_every_two_hours_in_utc_and_is_on_by_default(defs):
    from dagster import DefaultScheduleStatus

    schedule = defs.resolve_schedule_def("article_recs_every_two_hours")
    assert schedule.cron_schedule == "0 */2 * * *"
    assert schedule.execution_timezone == "UTC"
    assert schedule.default_status == DefaultScheduleStatus.RUNNING
    assert schedule.job_name == "article_recs_build"


def test_schedule_skips_a_tick_while_a_build_is_queued_or_running(defs):
    import dagster as dg

    from orchestration.schedules import BUILD_JOB_NAME, every_two_hours

    with dg.instance_for_test() as instance:
        first = every_two_hours(dg.build_schedule_context(instance=instance))
        assert isinstance(first, dg.RunRequest)

        for status in (dg.DagsterRunStatus.NOT_STARTED, dg.DagsterRunStatus.STARTED):
            run = dg.DagsterRun(job_name=BUILD_JOB_NAME, run_id=str(uuid.uuid4()), status=status)
            instance.add_run(run)
            skipped = every_two_hours(dg.build_schedule_context(instance=instance))
            assert isinstance(skipped, dg.SkipReason), status
            assert run.run_id in skipped.skip_message
            instance.delete_run(run.run_id)


def test_one_run_at_a_time_through_the_run_queue(orchestration_env, defs):
    from dagster import DagsterInstance
    from dagster._core.run_coordinator import QueuedRunCoordinator

    from orchestration.schedules import WAREHOUSE_TAG

    # the instance dagster dev / the daemon load from $DAGSTER_HOME/dagster.yaml (make dagster copies it)
    with DagsterInstance.from_config(orchestration_env["DAGSTER_HOME"]) as instance:
        assert isinstance(instance.run_coordinator, QueuedRunCoordinator)
        queue = instance.get_concurrency_config().run_queue_config
        assert queue.max_concurrent_runs == 1
        limits = [dict(limit) for limit in queue.tag_concurrency_limits]
        assert {"key": WAREHOUSE_TAG[0], "limit": 1} in limits
        assert instance.get_concurrency_config().pool_config.default_pool_limit == 1

    # scheduled builds carry the limited tag; the warehouse ops are in the limited pool
    assert defs.resolve_job_def("article_recs_build").tags[WAREHOUSE_TAG[0]] == WAREHOUSE_TAG[1]
    from orchestration.assets import WAREHOUSE_POOL, article_recs_dbt

    assert article_recs_dbt.op.pool == WAREHOUSE_POOL


def test_failed_build_is_retried_once_after_a_back_off(defs):
    from orchestration.assets import article_recs_dbt

    policy = article_recs_dbt.op.retry_policy
    assert policy is not None
    assert policy.max_retries == 1
    assert policy.delay and policy.delay >= 60


# -------------------------------------------------------------------------------------- quality checks


def test_great_expectations_suites_are_checks_on_the_models_they_validate(asset_graph):
    """Every suite of article_recs.quality is a check on the dbt model it validates."""
    from orchestration.assets.quality import check_name, suite_models

    suites = suite_models()
    assert set(suites) == set(SUITES)
    assert all("." not in model for model in suites.values())  # dbt model names, not "schema.table"

    names = {key.path[-1] for key in asset_graph.get_all_asset_keys()}
    checks = {(key.asset_key.path[-1], key.name) for key in asset_graph.asset_check_keys}
    expected = {(model, check_name(suite)) for suite, model in suites.items() if model in names}
    assert expected, "no suite validates a model of the project"
    assert expected <= checks


def test_great_expectations_checks_run_the_suites_and_report_failures(defs, monkeypatch):
    import dagster as dg

    from orchestration.assets import article_recs_dbt, dbt_project
    from orchestration.assets.quality import build_quality_checks
    from orchestration.resources import build_dbt_resource, warehouse_duckdb_path

    calls = []

    def run_suite(suite_name, *, duckdb_path=None):
        calls.append((suite_name, duckdb_path))
        if suite_name == "page_views":
            return types.SimpleNamespace(success=True, statistics={"evaluated_expectations": 3}, failures=[])
        return types.SimpleNamespace(
            success=False, statistics={"evaluated_expectations": 2, "success_percent": 50.0},
            failures=["dwell_s between 0 and 600: 4 rows outside"],
        )

    fake = types.ModuleType("article_recs.quality")
    fake.SUITES = {"page_views": "page_views", "interactions": "marts.interactions", "ghost": "no_such_model"}
    fake.run_suite = run_suite
    fake.CRITICAL_SUITES = frozenset({"page_views"})  # interactions only warns
    monkeypatch.setitem(sys.modules, "article_recs.quality", fake)

    checks = build_quality_checks(article_recs_dbt)
    keys = {(k.asset_key.path[-1], k.name) for c in checks for k in c.check_keys}
    assert keys == {("page_views", "gx_page_views"), ("interactions", "gx_interactions")}

    with dg.instance_for_test() as instance:
        result = dg.materialize(
            [article_recs_dbt, *checks],
            selection=dg.AssetSelection.checks(*[k for c in checks for k in c.check_keys]),
            resources={"dbt": build_dbt_resource(dbt_project)},
            instance=instance,
        )
    assert result.success
    warehouse = str(warehouse_duckdb_path())
    assert sorted(calls) == [("interactions", warehouse), ("page_views", warehouse)]
    evaluations = {e.check_name: e for e in result.get_asset_check_evaluations()}
    assert evaluations["gx_page_views"].passed
    assert not evaluations["gx_interactions"].passed
    assert evaluations["gx_interactions"].severity == dg.AssetCheckSeverity.WARN
    assert "dwell_s between 0 and 600" in evaluations["gx_interactions"].metadata["failed_expectations"].value


# --------------------------------------------------------------------------------------- failure alert


def _failed_run_sensor_context(instance):
    import dagster as dg

    @dg.op
    def load_events():
        raise RuntimeError("Could not set lock on file warehouse/article_recs.duckdb")

    @dg.job(name="article_recs_build")
    def failing_build():
        load_events()

    result = failing_build.execute_in_process(instance=instance, raise_on_error=False)
    assert not result.success
    return dg.build_run_status_sensor_context(
        sensor_name="article_recs_alert_on_failure",
        dagster_instance=instance,
        dagster_run=result.dagster_run,
        dagster_event=result.get_run_failure_event(),
    ).for_run_failure(), result.dagster_run.run_id


def test_failure_sensor_posts_a_slack_payload_to_the_webhook(defs, webhook, monkeypatch):
    import dagster as dg

    from orchestration.sensors import alert_on_run_failure

    url, received = webhook
    monkeypatch.setenv("ARTICLE_RECS_ALERT_WEBHOOK_URL", url)
    monkeypatch.setenv("ARTICLE_RECS_DAGSTER_URL", "http://127.0.0.1:3000")
    with dg.instance_for_test() as instance:
        context, run_id = _failed_run_sensor_context(instance)
        alert_on_run_failure(context)

    assert len(received) == 1
    assert received[0]["path"] == "/hooks/alerts"
    assert received[0]["content_type"] == "application/json"
    payload = received[0]["json"]
    assert "article_recs_build failed" in payload["text"] and run_id in payload["text"]
    assert "RuntimeError: Could not set lock on file" in payload["text"]
    header, facts, error = payload["blocks"]
    assert header["type"] == "header"
    fields = {f["text"].split("\n")[0]: f["text"].split("\n", 1)[1] for f in facts["fields"]}
    assert fields["*Job*"] == "article_recs_build"
    assert fields["*Run*"] == f"<http://127.0.0.1:3000/runs/{run_id}|{run_id}>"
    assert fields["*Failed steps*"] == "load_events"
    error_text = error["text"]["text"]
    assert error_text.startswith("*Error*\n```load_events: RuntimeError: Could not set lock on file")
    assert len(error_text) < 3000  # Slack's limit for a section


def test_failure_sensor_without_webhook_or_with_an_unreachable_one_logs_and_carries_on(defs, monkeypatch):
    import dagster as dg

    from orchestration.sensors import alert_on_run_failure, post_json

    with dg.instance_for_test() as instance:
        context, _ = _failed_run_sensor_context(instance)
        monkeypatch.delenv("ARTICLE_RECS_ALERT_WEBHOOK_URL", raising=False)
        alert_on_run_failure(context)  # logged, nothing raised

        port = _free_port()  # nothing listens there
        monkeypatch.setenv("ARTICLE_RECS_ALERT_WEBHOOK_URL", f"http://127.0.0.1:{port}/hook")
        started = time.monotonic()
        alert_on_run_failure(context)
        assert time.monotonic() - started < 15

    problem = post_json(f"http://127.0.0.1:{_free_port()}/hook", {"text": "x"}, timeout=2)
    assert problem and ("refused" in problem.lower() or "URLError" in problem)


# ------------------------------------------------------------------------------------ in-process build


@pytest.fixture(scope="session")
def generated_events(orchestration_env):
    out = Path(orchestration_env["base"]) / "events"
    subprocess.run(
        [sys.executable, "-m", "article_recs.cli", "generate", "--out", str(out),
         "--users", "300", "--articles", "80", "--days", "3", "--sites", "2", "--seed", "1"],
        cwd=REPO, check=True, capture_output=True, text=True,
    )
    return out


@pytest.mark.slow
def test_materializing_all_assets_in_process_writes_recommendations(
    orchestration_env, defs, generated_events, monkeypatch
):
    import dagster as dg

    from orchestration.assets import article_recs_dbt, dbt_project, quality_checks
    from orchestration.resources import build_dbt_resource

    monkeypatch.setenv(
        "ARTICLE_RECS_DBT_VARS",
        json.dumps({
            "article_recs__events_path": str(generated_events / "events" / "**" / "*.tsv*"),
            "article_recs__article_metadata_path": str(generated_events / "articles" / "articles.csv"),
            "article_recs__ground_truth_path": "",
        }),
    )
    with dg.instance_for_test() as instance:
        result = dg.materialize(
            [article_recs_dbt, *quality_checks],
            resources={"dbt": build_dbt_resource(dbt_project)},
            instance=instance,
            raise_on_error=False,
        )
    assert result.success, [e.message for e in result.all_events if e.is_failure]

    metadata = {
        event.asset_key.path[-1]: {k: getattr(v, "value", v) for k, v in
                                   event.step_materialization_data.materialization.metadata.items()}
        for event in result.get_asset_materialization_events()
    }
    assert metadata["event_load_stats"]["rows_in"] > 5000
    assert metadata["page_views"]["page_views"] > 0
    assert metadata["page_views"]["dagster/row_count"] == metadata["page_views"]["page_views"]
    # ALS's fit of the model served (its serving cut), on the model that fits it
    assert metadata["als_lists"]["training_seconds"] >= 0
    target = next(m for m in ("recommendations", "recommendation_lists") if m in metadata)
    headline = metadata[target]
    assert headline["recommendations_written"] > 0
    fitted = [m["training_seconds"] for name, m in metadata.items()
              if name != target and "training_seconds" in m]
    assert headline["training_seconds"] == pytest.approx(sum(fitted), abs=1e-3)
    # rows per strategy, every strategy the lists have (strategies are data)
    with duckdb.connect(orchestration_env["ARTICLE_RECS_DUCKDB_PATH"], read_only=True) as con:
        strategies = [s for (s,) in con.execute(
            "select distinct strategy from recommender.recommendation_lists order by 1"
        ).fetchall()]
    assert len(strategies) >= 3
    written = [headline[f"recommendations_{strategy}"] for strategy in strategies]
    assert all(n > 0 for n in written) and sum(written) == headline["recommendations_written"]
    # rows in: this run's lines (incremental loads), and all lines ever read
    assert 0 < headline["rows_in"] <= metadata["event_load_stats"]["rows_in"]
    assert headline.get("rows_in_total", headline["rows_in"]) == metadata["event_load_stats"]["rows_in"]
    if "model_evaluations" in metadata:
        assert any(key.startswith("eval/") for key in metadata["model_evaluations"])

    # the dbt tests ran as asset checks
    evaluations = result.get_asset_check_evaluations()
    assert any(e.check_name == "unique_page_views_page_view_id" and e.passed for e in evaluations)
    gx = {e.check_name: e.passed for e in evaluations if e.check_name.startswith("gx_")}
    assert set(gx) == {f"gx_{suite}" for suite in SUITES}
    assert all(gx[f"gx_{suite}"] for suite in CRITICAL_SUITES), gx

    # recommendations are in the warehouse, and nothing in this process still holds the DuckDB file
    with duckdb.connect(orchestration_env["ARTICLE_RECS_DUCKDB_PATH"]) as con:
        [(written,)] = con.execute("select count(*) from recommender.recommendations").fetchall()
    assert written > 0


# ---------------------------------------------------------------------------------------------- the UI


def _graphql(port: int, query: str) -> dict:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql",
        data=json.dumps({"query": query}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())["data"]


def _wait_for_location(port: int, process: subprocess.Popen, log: Path, timeout: float = 150) -> None:
    query = "{ workspaceOrError { ... on Workspace { locationEntries { name loadStatus "
    query += "locationOrLoadError { __typename ... on PythonError { message } } } } } }"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the Dagster UI exited ({process.returncode}):\n{log.read_text()[-4000:]}")
        try:
            entries = _graphql(port, query)["workspaceOrError"]["locationEntries"]
        except Exception:
            entries = []
        for entry in entries:
            if entry["name"] == LOCATION and entry["loadStatus"] == "LOADED":
                loaded = entry["locationOrLoadError"]
                assert loaded["__typename"] == "RepositoryLocation", loaded.get("message")
                return
        time.sleep(1)
    pytest.fail(f"the Dagster UI did not load {LOCATION} within {timeout}s:\n{log.read_text()[-4000:]}")


def _chromium(url: str, profile: Path, *action: str, size: str = "1400,900") -> subprocess.CompletedProcess:
    return subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--no-first-run", f"--user-data-dir={profile}",
         f"--window-size={size}", "--virtual-time-budget=15000", *action, url],
        capture_output=True, text=True, timeout=120,
    )


def _shows_asset(dom: str, name: str) -> bool:
    """The graph shows the asset's name: whole, or shortened in the middle when zoomed out
    ("recommen…on_lists")."""
    text = re.sub(r"<[^>]+>", " ", re.sub(r"<(script|style)\b.*?</\1>", " ", dom, flags=re.S))
    if re.search(rf"(?<![\w…]){re.escape(name)}(?![\w…])", text):
        return True
    return any(
        len(head) >= 3 and len(tail) >= 3 and name.startswith(head) and name.endswith(tail)
        for head, tail in re.findall(r"([\w]+)…([\w]+)", text)
    )


def _stop(process: subprocess.Popen) -> None:
    """Stop the UI and everything it started (its own process group): SIGINT, then SIGKILL."""
    try:
        os.killpg(process.pid, signal.SIGINT)
        process.wait(timeout=20)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        pass
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait(timeout=10)


@pytest.mark.browser
def test_dagster_ui_shows_the_asset_graph_in_headless_chromium(orchestration_env, asset_graph, tmp_path):
    if not Path(CHROMIUM).exists():
        pytest.skip("chromium is not installed (make system-deps)")
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k != "base"}
    env.update({k: v for k, v in orchestration_env.items() if k != "base"})
    env["ARTICLE_RECS_DUCKDB_PATH"] = str(tmp_path / "ui.duckdb")
    log = tmp_path / "dagster-webserver.log"
    # The webserver alone (`make dagster` runs `dg dev`, i.e. this plus the daemon): half the start-up
    # time, and no daemon that could launch a real build should the test straddle an even hour.
    webserver = Path(sys.executable).parent / "dagster-webserver"
    with log.open("w") as out:
        process = subprocess.Popen(
            [str(webserver), "-h", "127.0.0.1", "-p", str(port), "-m", LOCATION],
            cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: _stop ends all of it
            # a SIGINT ignored by whoever started pytest would be inherited: restore it for a clean stop
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        )
    started = time.monotonic()
    try:
        _wait_for_location(port, process, log)
        print(f"dagster-webserver loaded {LOCATION} in {time.monotonic() - started:.0f}s")

        # the schedule is RUNNING in the instance, without anyone switching it on
        selector = (
            f'{{repositoryLocationName: "{LOCATION}", repositoryName: "__repository__", '
            'scheduleName: "article_recs_every_two_hours"}'
        )
        schedule = _graphql(
            port,
            f"{{ scheduleOrError(scheduleSelector: {selector}) {{ ... on Schedule {{ "
            "cronSchedule executionTimezone scheduleState { status } } } }",
        )
        assert schedule["scheduleOrError"] == {
            "cronSchedule": "0 */2 * * *", "executionTimezone": "UTC", "scheduleState": {"status": "RUNNING"},
        }

        # the lineage of the recommender group: every asset of the group (the ALS Python model among them)
        # and the mart upstream of them all (articles)
        url = f"http://127.0.0.1:{port}/locations/{LOCATION}/asset-groups/recommender"
        group = sorted(
            key.path[-1] for key in asset_graph.get_all_asset_keys()
            if asset_graph.get(key).group_name == "recommender"
        )
        expected = ["als_lists", *group, "articles"]
        dom, missing = "", expected
        for attempt in range(4):  # the UI fetches the graph after the page loads: retry on a busy machine
            # a screen large enough for the whole group: the graph renders only the nodes in view
            dom = _chromium(url, tmp_path / f"profile-dom-{attempt}", "--dump-dom", size="2400,3000").stdout
            missing = [name for name in expected if not _shows_asset(dom, name)]
            if not missing:
                break
        (tmp_path / "asset-graph.html").write_text(dom)
        assert "Global asset lineage" not in dom and "Asset Group in" in dom
        assert not missing, f"asset graph lacks {missing}; DOM in {tmp_path / 'asset-graph.html'}"

        screenshot = tmp_path / "asset-graph.png"
        _chromium(url, tmp_path / "profile-shot", f"--screenshot={screenshot}")
        assert screenshot.exists() and screenshot.stat().st_size > 20_000
        print(f"screenshot: {screenshot} ({time.monotonic() - started:.0f}s after start)")
    finally:
        _stop(process)
    assert _wait_until_group_gone(process.pid), "dagster-webserver left processes behind"


def _group_members(pgid: int) -> list[int]:
    """Live (not zombie) processes in a process group."""
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            members.append(int(stat.parent.name))
    return members


def _wait_until_group_gone(pgid: int, timeout: float = 15) -> bool:
    deadline = time.monotonic() + timeout
    while _group_members(pgid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.2)
    return True

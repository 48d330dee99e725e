"""The serving HTTP API, started for real (uvicorn in a subprocess, as `make serve` does) on the project's
PostgreSQL with models published the real way (DuckDB -> article-recs publish): every endpoint, every bad
input, the A/B arms, PostgreSQL stopped mid-test (503, then recovery without a restart), and the demo widget
page in headless Chromium."""

# ruff: noqa: F811  (pytest fixtures imported from pg_fixtures are redefined as test arguments)

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import duckdb
import httpx
import pytest
from pg_fixtures import _pg_sh, create_database, drop_database, pg_env, pg_server  # noqa: F401

from article_recs.serving import arms
from article_recs.serving.connection import PgSettings
from article_recs.serving.publish import publish
from article_recs.serving.synthetic import SyntheticModel, write_models

pytestmark = pytest.mark.postgres

ARMS = {"herald": {"item_knn": 0.7, "popularity": 0.3}, "default": {"item_knn": 1}}
XSS = ['<img src=x onerror="document.body.dataset.pwned=1">', '"><script>document.title="pwned"</script>']
READER = "3f1c2a9e-0000-4000-8000-00000000abcd"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _warehouse(path: Path) -> Path:
    """Two sites, item-kNN and popularity on herald, item-kNN only on metro; a reader list on herald; an
    article whose list holds markup (ids come from URLs: untrusted)."""
    models = [
        SyntheticModel("knn-herald-v1", "herald", "item_knn", 100, 10, seed=1),
        SyntheticModel("pop-herald-v1", "herald", "popularity", 100, 20, seed=1),
        SyntheticModel("knn-metro-v1", "metro", "item_knn", 50, 10, seed=2),
    ]
    write_models(path, models, current=[m.model_id for m in models])
    con = duckdb.connect(str(path))
    try:
        rows = [("knn-herald-v1", "herald", "item_knn", "reader", READER, str(90 + r), r + 1, 1 / (r + 1))
                for r in range(10)]  # fmt: skip
        rows += [("knn-herald-v1", "herald", "item_knn", "article", "xss1", x, r + 1, 0.5)
                 for r, x in enumerate(XSS)]  # fmt: skip
        con.execute(  # the most popular article ("1") has no item-kNN list: its widget gets the fallback
            "delete from recommender.recommendations where model_id = 'knn-herald-v1' "
            "and source_entity_type = 'article' and source_entity_id = '1'"
        )
        con.executemany(
            "insert into recommender.recommendations (model_id, site_id, strategy, source_entity_type, "
            "source_entity_id, recommended_article_id, rank, score) values (?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
    finally:
        con.close()
    return path


class Api:
    def __init__(self, settings: PgSettings, port: int, proc: subprocess.Popen, warehouse: Path):
        self.settings, self.port, self.proc, self.warehouse = settings, port, proc, warehouse
        self.url = f"http://127.0.0.1:{port}"
        self.client = httpx.Client(base_url=self.url, timeout=10)

    def get(self, path: str, **params) -> httpx.Response:
        return self.client.get(path, params=params or None)


def start_api(settings: PgSettings, port: int, extra_env: dict[str, str] | None = None) -> subprocess.Popen:
    env = pg_env(settings) | {"ARTICLE_RECS_AB_ARMS": __import__("json").dumps(ARMS)} | (extra_env or {})
    proc = subprocess.Popen(
        [sys.executable, "-m", "article_recs.serving.api", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the API exited: {proc.stdout.read()}")
        try:
            httpx.get(f"http://127.0.0.1:{port}/openapi.json", timeout=1)
            return proc
        except httpx.TransportError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("the API did not start within 30 s")


def stop_api(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@pytest.fixture(scope="module")
def api(pg_server, tmp_path_factory) -> Iterator[Api]:
    name = f"ar_api_{os.getpid()}"
    settings = create_database(pg_server, name)
    warehouse = _warehouse(tmp_path_factory.mktemp("api") / "wh.duckdb")
    publish(duckdb_path=warehouse, settings=settings)
    port = _free_port()
    proc = start_api(settings, port)
    try:
        yield Api(settings, port, proc, warehouse)
    finally:
        stop_api(proc)
        drop_database(pg_server, name)


# ---------------------------------------------------------------------------------------------- endpoints
def test_related_returns_the_current_models_list_with_tracking_ids(api):
    r = api.get("/v1/sites/herald/articles/17/related", n=5, strategy="item_knn")
    assert r.status_code == 200
    body = r.json()
    assert body["model_id"] == "knn-herald-v1" and body["strategy"] == "item_knn" and not body["fallback"]
    assert [i["rank"] for i in body["items"]] == [1, 2, 3, 4, 5]
    con = duckdb.connect(str(api.warehouse), read_only=True)
    sql = (
        "select recommended_article_id from recommender.recommendations where model_id = 'knn-herald-v1' "
        "and source_entity_type = 'article' and source_entity_id = '17' order by rank limit 5"
    )
    expected = [row[0] for row in con.execute(sql).fetchall()]
    con.close()
    assert [i["article_id"] for i in body["items"]] == expected
    assert re.fullmatch(r"[0-9a-f-]{36}", body["rec_id"])
    again = api.get("/v1/sites/herald/articles/17/related", n=5, strategy="item_knn").json()
    assert again["rec_id"] != body["rec_id"]  # one id per list served: impressions and clicks join on it


def test_an_unknown_article_gets_the_fallback_list_and_the_response_says_so(api):
    body = api.get("/v1/sites/herald/articles/no-such-article/related", n=4, strategy="item_knn").json()
    assert body["fallback"] is True and body["strategy"] == "popularity"
    assert body["model_id"] == "pop-herald-v1" and body["requested_strategy"] == "item_knn"
    assert "no-such-article" in body["fallback_reason"]
    assert len(body["items"]) == 4
    # the fallback never recommends the article being read ("1" tops popularity and has no item-kNN list)
    assert api.get("/v1/sites/herald/popular", n=1).json()["items"][0]["article_id"] == "1"
    fb = api.get("/v1/sites/herald/articles/1/related", n=4, strategy="item_knn").json()
    assert fb["fallback"] is True and len(fb["items"]) == 4
    assert "1" not in {i["article_id"] for i in fb["items"]}


def test_an_unknown_article_on_a_site_without_a_fallback_model_is_a_404_saying_so(api):
    r = api.get("/v1/sites/metro/articles/no-such-article/related", strategy="item_knn")
    assert r.status_code == 404 and r.json()["error"] == "no_recommendations"
    assert "'popularity' model to fall back on" in r.json()["message"]


def test_popular_and_models_and_healthz(api):
    pop = api.get("/v1/sites/herald/popular", n=3).json()
    assert pop["strategy"] == "popularity" and pop["model_id"] == "pop-herald-v1"
    assert [i["rank"] for i in pop["items"]] == [1, 2, 3] and pop["rec_id"]

    models = api.get("/v1/models").json()["models"]
    assert {(m["site_id"], m["strategy"], m["model_id"]) for m in models} == {
        ("herald", "item_knn", "knn-herald-v1"),
        ("herald", "popularity", "pop-herald-v1"),
        ("metro", "item_knn", "knn-metro-v1"),
    }
    herald_knn = next(m for m in models if m["model_id"] == "knn-herald-v1")
    assert herald_knn["trained_at"].startswith("2024-03-01") and herald_knn["n_recommendations"] == 1002

    health = api.get("/healthz")
    assert health.status_code == 200
    h = health.json()
    assert h["status"] == "ok" and h["database"] == "reachable" and h["current_models"] == 3
    assert h["oldest_model_age_hours"] > 24 * 200  # trained 2024-03-01: the age is what a monitor alerts on


def test_online_recommendations_merge_the_reader_list_and_recent_reads_without_them(api):
    r = api.get(
        f"/v1/sites/herald/readers/{READER}/recommendations", n=10, recent="17,18", strategy="item_knn"
    )
    assert r.status_code == 200
    body = r.json()
    ids = [i["article_id"] for i in body["items"]]
    assert len(ids) == 10 and len(set(ids)) == 10
    assert not {"17", "18"} & set(ids)
    assert body["sources"] == {"reader_list": True, "recent_lists": 2, "fallback_items": 0}
    assert body["model_id"] == "knn-herald-v1" and body["rec_id"]
    sources = {i["source"].split(":")[0] for i in body["items"]}
    assert sources == {"reader", "related"}
    # the newest read's best related article is near the top (weight 1, like the reader's own list)
    con = duckdb.connect(str(api.warehouse), read_only=True)
    first = con.execute(
        "select recommended_article_id from recommender.recommendations "
        "where model_id = 'knn-herald-v1' and source_entity_id = '17' and rank = 1"
    ).fetchone()[0]
    con.close()
    assert first in ids[:2]


def test_merge_weighs_the_reader_list_and_recent_reads_by_recency():
    from article_recs.serving.api import merge_online

    m = "knn-v1"
    rows = [
        (m, "item_knn", "reader", "r", 1, "a", 1.0), (m, "item_knn", "reader", "r", 2, "b", 0.5),
        (m, "item_knn", "article", "new", 1, "c", 1.0), (m, "item_knn", "article", "new", 2, "a", 0.5),
        (m, "item_knn", "article", "old", 1, "d", 1.0), (m, "item_knn", "article", "old", 2, "new", 0.5),
        ("pop-v1", "popularity", "default", "default", 1, "new", 1.0),
        ("pop-v1", "popularity", "default", "default", 2, "e", 1.0),
        ("pop-v1", "popularity", "default", "default", 3, "a", 1.0),
    ]  # fmt: skip
    items, model_id, fb_model, sources = merge_online(rows, "item_knn", ["new", "old"], 6)
    # a: 1/11 + 1/12; c: 1/11; b: 1/12; d: 0.5/11; 'new' was read: excluded everywhere; e pads
    assert [i["article_id"] for i in items] == ["a", "c", "b", "d", "e"]
    assert [i["source"] for i in items] == ["reader", "related:new", "reader", "related:old", "fallback"]
    assert (model_id, fb_model) == ("knn-v1", "pop-v1")
    assert sources == {"reader_list": True, "recent_lists": 2, "fallback_items": 1}


def test_a_reader_without_a_list_and_no_recent_reads_gets_the_fallback(api):
    body = api.get("/v1/sites/herald/readers/unknown-reader/recommendations", n=5, strategy="item_knn").json()
    assert body["fallback"] is True and body["sources"]["fallback_items"] == 5
    assert body["fallback_model_id"] == "pop-herald-v1"


def test_the_list_queries_are_index_scans_not_table_scans(api):
    import psycopg

    from article_recs.serving.api import LIST_SQL, ONLINE_SQL

    online = {"site_id": "herald", "strategy": "item_knn", "fallback": "popularity", "reader": READER,
              "recent": ["17", "18"], "fallback_n": 12}  # fmt: skip
    one = {"site_id": "herald", "strategy": "item_knn", "entity_type": "article", "entity_id": "17", "n": 10}
    with psycopg.connect(api.settings.dsn(), autocommit=True) as conn:
        conn.execute("set enable_seqscan = off")  # a plan that can only scan the table would still show one
        for sql, params in ((ONLINE_SQL, online), (LIST_SQL, one)):
            plan = "\n".join(r[0] for r in conn.execute("explain " + sql, params).fetchall())
            assert "Index Scan using recommendations_pkey" in plan, plan
            assert "Seq Scan" not in plan, plan


# ---------------------------------------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    ("path", "params", "status", "needle"),
    [
        ("/v1/sites/nosuchsite/articles/17/related", {}, 404, "nosuchsite"),
        ("/v1/sites/nosuchsite/popular", {}, 404, "nosuchsite"),
        ("/v1/sites/nosuchsite/readers/r1/recommendations", {}, 404, "nosuchsite"),
        ("/v1/sites/herald/articles/17/related", {"strategy": "nope"}, 404, "item_knn, popularity"),
        ("/v1/sites/herald/articles/17/related", {"n": 0}, 400, "n:"),
        ("/v1/sites/herald/articles/17/related", {"n": 51}, 400, "less than or equal to 50"),
        ("/v1/sites/herald/articles/17/related", {"n": "ten"}, 400, "n:"),
        ("/v1/sites/herald/popular", {"n": 1000}, 400, "n:"),
        ("/v1/sites/herald/articles/a%20b/related", {}, 400, "article_id"),
        ("/v1/sites/her@ld/articles/17/related", {}, 400, "site"),
        ("/v1/sites/herald/articles/17/related", {"domain_userid": "x'y"}, 400, "domain_userid"),
        ("/v1/sites/herald/readers/r%3Cx%3E/recommendations", {}, 400, "domain_userid"),
        ("/v1/sites/herald/readers/r1/recommendations", {"recent": "17,,18"}, 400, "recent"),
        ("/v1/sites/herald/readers/r1/recommendations", {"recent": ",".join(map(str, range(21)))}, 400, "20"),
        ("/v1/sites/herald/readers/r1/recommendations", {"recent": "<script>"}, 400, "malformed"),
        ("/v1/no/such/endpoint", {}, 404, ""),
        ("/v1/sites/metro/readers/r1/recommendations", {}, 404, "no current 'popularity' model"),
    ],
)
def test_bad_input_is_a_4xx_json_error_with_a_clear_message(api, path, params, status, needle):
    r = api.get(path, **params)
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/json")
    body = r.json()
    assert set(body) >= {"error", "message"} and needle in body["message"]
    assert "Traceback" not in r.text


# ---------------------------------------------------------------------------------------------- A/B arms
def test_arms_are_stable_and_split_readers_by_their_shares(api):
    shares = arms.validate(ARMS)["herald"]
    readers = [f"reader-{i:05d}" for i in range(4000)]
    assigned = [arms.assign(shares, "herald", r) for r in readers]
    assert assigned == [arms.assign(shares, "herald", r) for r in readers]  # stable
    counts = Counter(assigned)
    assert abs(counts["item_knn"] / len(readers) - 0.7) < 0.03  # binomial sd 0.007: 4 sd
    # the API gives each reader the same arm as the function, on every call
    for reader in readers[:40]:
        body = api.get(f"/v1/sites/herald/articles/17/related?domain_userid={reader}").json()
        expected = arms.assign(shares, "herald", reader)
        assert body["arm"] == expected
        assert body["strategy"] == expected or body["fallback"]
        assert api.get(f"/v1/sites/herald/readers/{reader}/recommendations").json()["arm"] == expected
    # a site without its own entry uses 'default'
    assert api.get("/v1/sites/metro/articles/3/related?domain_userid=r1").json()["arm"] == "item_knn"


def test_arm_assignment_does_not_depend_on_the_process():
    code = "from article_recs.serving.arms import assign; print(assign({'a': .5, 'b': .5}, 's', 'u-42'))"
    outs = {
        subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=os.environ | {
            "PYTHONHASHSEED": str(seed)}).stdout.strip()
        for seed in (1, 2, 3)
    }  # fmt: skip
    assert outs == {arms.assign({"a": 0.5, "b": 0.5}, "s", "u-42")}


def test_broken_arms_configuration_is_refused_with_the_var_name():
    with pytest.raises(arms.ArmsError, match="article_recs__ab_arms"):
        arms.validate({"herald": {"item_knn": 0}})
    with pytest.raises(arms.ArmsError, match="article_recs__ab_arms"):
        arms.validate({"herald": ["item_knn"]})


def test_the_arms_var_in_dbt_project_is_valid():
    loaded = arms.load_arms(env={})
    assert "default" in loaded and abs(sum(loaded["default"].values()) - 1) < 1e-9


def test_a_site_without_arms_and_no_default_gets_the_fallback_list_not_an_error(api):
    from fastapi.testclient import TestClient

    from article_recs.serving.api import ApiConfig, create_app

    config = ApiConfig(settings=api.settings, arms=arms.validate({"metro": {"item_knn": 1}}))
    with TestClient(create_app(config)) as client:
        r = client.get("/v1/sites/herald/articles/17/related", params={"domain_userid": READER, "n": 3})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["arm"] is None and body["strategy"] == "popularity" and len(body["items"]) == 3


def test_openapi_docs_list_every_endpoint(api):
    paths = set(api.get("/openapi.json").json()["paths"])
    assert {
        "/v1/sites/{site}/articles/{article_id}/related",
        "/v1/sites/{site}/readers/{domain_userid}/recommendations",
        "/v1/sites/{site}/popular",
        "/v1/models",
        "/healthz",
    } <= paths
    assert api.get("/docs").status_code == 200


# ---------------------------------------------------------------------------------------------- demo page
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


def _dom(tmp_path: Path, url: str) -> str:
    if not Path(CHROMIUM).exists():
        pytest.skip("Chromium is not installed (make system-deps installs Debian's chromium)")
    command = [
        CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run", f"--user-data-dir={tmp_path / 'chromium-profile'}",
        "--virtual-time-budget=10000", "--dump-dom", url,
    ]  # fmt: skip
    proc = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout


@pytest.mark.browser
def test_demo_page_shows_related_and_online_lists_in_chromium(api, tmp_path):
    dom = _dom(tmp_path, f"{api.url}/demo?site=herald&article=17&reader={READER}&recent=18")
    assert 'data-loaded="ok"' in dom, dom[-3000:]
    related = api.get("/v1/sites/herald/articles/17/related", domain_userid=READER).json()
    shown = re.findall(r'<ol id="related">(.*?)</ol>', dom, re.S)[0]
    assert re.findall(r'data-article-id="([^"]*)"', shown) == [i["article_id"] for i in related["items"]]
    online = re.findall(r'<ol id="online">(.*?)</ol>', dom, re.S)[0]
    online_ids = re.findall(r'data-article-id="([^"]*)"', online)
    assert len(online_ids) == 10 and "17" not in online_ids and "18" not in online_ids
    assert "iglu:com.article_recs/rec_impression/jsonschema/1-0-0" in dom


@pytest.mark.browser
def test_demo_page_shows_markup_in_ids_as_text_and_runs_none_of_it(api, tmp_path):
    dom = _dom(tmp_path, f"{api.url}/demo?site=herald&article=xss1&reader=&recent=")
    assert 'data-loaded="ok"' in dom, dom[-3000:]
    related = re.findall(r'<ol id="related">(.*?)</ol>', dom, re.S)[0]
    assert "<img" not in related and "<script" not in related  # no element made of the data
    assert "&lt;img src=x onerror=" in related and "&lt;script&gt;" in related  # shown as text
    assert "pwned" not in re.sub(r"<ol id=\"related\">.*?</ol>|<pre.*?</pre>", "", dom, flags=re.S)
    assert "data-pwned" not in dom and "<title>pwned" not in dom


@pytest.mark.browser
def test_demo_page_reports_an_api_error_as_text(api, tmp_path):
    dom = _dom(tmp_path, f"{api.url}/demo?site=herald&article=bad%20id")
    assert 'data-loaded="error"' in dom
    assert "400 invalid_request" in dom


def test_demo_page_is_served_with_a_script_policy(api):
    r = api.get("/demo")
    assert r.status_code == 200 and "script-src 'self'" in r.headers["content-security-policy"]
    assert "<script>" not in r.text  # the one script is a file (CSP forbids inline scripts)


# ---------------------------------------------------------------------------------------------- publish
def test_publishing_new_models_while_clients_read_gives_no_error_and_no_empty_or_mixed_list(api):
    """Four client threads read related lists over HTTP while three new item-kNN versions are published: every
    answer is a 200 with a whole list of exactly one model version, named by its model_id."""
    import threading

    articles = [str(a) for a in range(2, 40)]
    versions = {}

    def lists_of(model_id: str) -> dict[str, list[str]]:
        con = duckdb.connect(str(api.warehouse), read_only=True)
        try:
            rows = con.execute(
                "select source_entity_id, recommended_article_id from recommender.recommendations "
                "where model_id = ? and source_entity_type = 'article' order by source_entity_id, rank",
                [model_id],
            ).fetchall()
        finally:
            con.close()
        out: dict[str, list[str]] = {}
        for source, rec in rows:
            out.setdefault(source, []).append(rec)
        return out

    versions["knn-herald-v1"] = lists_of("knn-herald-v1")
    others = ["pop-herald-v1", "knn-metro-v1"]
    stop = threading.Event()
    answers: list[tuple[int, str | None, str, list[str]]] = []
    failures: list[str] = []

    def reader(k: int) -> None:
        client = httpx.Client(base_url=api.url, timeout=10)
        i = k
        while not stop.is_set():
            article = articles[i % len(articles)]
            i += 4
            try:
                r = client.get(f"/v1/sites/herald/articles/{article}/related?strategy=item_knn&n=10")
                body = r.json()
                answers.append(
                    (
                        r.status_code,
                        body.get("model_id"),
                        article,
                        [x["article_id"] for x in body.get("items", [])],
                    )
                )
            except Exception as exc:  # noqa: BLE001 - any failure is a finding
                failures.append(repr(exc))
        client.close()

    threads = [threading.Thread(target=reader, args=(k,), daemon=True) for k in range(4)]
    for t in threads:
        t.start()
    try:
        for version in (2, 3, 4):
            time.sleep(0.3)
            model = SyntheticModel(f"knn-herald-v{version}", "herald", "item_knn", 100, 10, seed=10 + version)
            write_models(api.warehouse, [model], current=[model.model_id, *others])
            versions[model.model_id] = lists_of(model.model_id)
            result = publish(duckdb_path=api.warehouse, settings=api.settings, keep=3)
            assert model.model_id in result.activated
        time.sleep(0.3)
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=10)
    assert not failures, failures[:3]
    assert len(answers) > 100
    seen_models = set()
    for status, model_id, article, items in answers:
        assert status == 200, (status, model_id, article)
        assert len(items) == 10, (model_id, article, items)  # never empty, never short
        assert items == versions[model_id][article], (model_id, article)  # one version, whole
        seen_models.add(model_id)
    assert {"knn-herald-v1", "knn-herald-v4"} <= seen_models  # the readers did span the switches


# ---------------------------------------------------------------------------------------------- outage
def test_postgres_stopped_mid_test_gives_503_naming_the_cause_then_the_api_recovers(api):
    assert api.get("/v1/sites/herald/popular").status_code == 200
    down = _pg_sh("down", check=False)
    assert down.returncode == 0, down.stderr
    try:
        paths = ["/v1/sites/herald/articles/17/related", "/v1/models", "/healthz", "/v1/sites/herald/popular"]
        for path in [*paths, f"/v1/sites/herald/readers/{READER}/recommendations"]:
            started = time.monotonic()
            r = api.get(path)
            assert r.status_code == 503, (path, r.text)
            body = r.json()
            assert body["error"] == "database_unavailable"
            assert f"{api.settings.host}:{api.settings.port}" in body["message"]
            assert "Traceback" not in r.text and 'File "' not in r.text
            assert time.monotonic() - started < 5  # answers promptly (pool timeout 1 s), does not hang
        assert api.proc.poll() is None  # still running
    finally:
        up = _pg_sh("up", check=False)
        assert up.returncode == 0, up.stderr
    deadline = time.monotonic() + 30
    statuses = []
    while time.monotonic() < deadline:
        statuses.append(api.get("/v1/sites/herald/articles/17/related").status_code)
        if statuses[-1] == 200:
            break
        time.sleep(0.2)
    assert statuses[-1] == 200, statuses
    # recovered for good: every endpoint, many times, no restart of the API
    for _ in range(20):
        assert api.get("/v1/sites/herald/articles/17/related").status_code == 200
        assert api.get("/healthz").status_code == 200

"""The dbt docs site in a real browser: `dbt docs generate` (isolated target and DuckDB file, empty catalog:
no warehouse needed), served on 127.0.0.1, loaded in Debian's headless Chromium; the recommender models must
be in the DOM the Angular app renders from manifest.json (not in the static index.html, which has no model
names), and a model page must show its description."""

from __future__ import annotations

import functools
import html
import http.server
import json
import re
import shutil
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from article_recs.dbt_runner import run_dbt

pytestmark = pytest.mark.browser

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
#: recommender models the site must list (it must list every model of the recommender folder; these must be
#: among them): the cuts, a strategy's own lists (ALS, a Python model), every strategy's padded lists, what
#: is served
REQUIRED = ("recommender_cuts", "als_lists", "recommendation_lists", "recommendations", "model_registry")
#: the rolling evaluation's models, in the evaluation schema (the oracle is a Python model)
EVALUATION = ("eval_case_hits", "eval_oracle_lists", "model_evaluations")


@pytest.fixture(scope="module")
def docs_site(tmp_path_factory) -> Path:
    if not Path(CHROMIUM).exists():
        pytest.skip("Chromium is not installed (make system-deps installs Debian's chromium)")
    tmp = tmp_path_factory.mktemp("dbt_docs")
    target = tmp / "target"
    run_dbt(["docs", "generate", "--empty-catalog"], duckdb_path=tmp / "docs.duckdb", target_path=target)
    for name in ("index.html", "manifest.json", "catalog.json"):
        assert (target / name).exists(), f"dbt docs generate wrote no {name}"
    return target


@pytest.fixture(scope="module")
def server(docs_site) -> Iterator[str]:
    handler = functools.partial(_QuietHandler, directory=str(docs_site))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)  # port 0: a free port
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=10)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the stdlib's name
        pass


def _chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    command = [
        CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run", f"--user-data-dir={tmp_path / 'chromium-profile'}",
        "--virtual-time-budget=15000", *args,
    ]  # fmt: skip
    return subprocess.run(command, capture_output=True, text=True, timeout=120)


def _recommender_models(docs_site: Path) -> set[str]:
    manifest = json.loads((docs_site / "manifest.json").read_text())
    return {
        node["name"]
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model"
        and (node["schema"] == "recommender" or "/recommender/" in node["original_file_path"])
    }


def test_overview_renders_every_recommender_model(docs_site, server, tmp_path):
    static = (docs_site / "index.html").read_text()
    assert "recommendation_lists" not in static  # so the names below come from the app, not the file

    proc = _chromium(tmp_path, "--dump-dom", f"{server}/#!/overview")
    assert proc.returncode == 0, proc.stderr[-2000:]
    dom = proc.stdout
    models = _recommender_models(docs_site)
    assert set(REQUIRED) <= models, f"recommender models in the manifest: {sorted(models)}"
    assert set(EVALUATION) <= _all_models(docs_site)
    expected = models | set(EVALUATION)
    missing = [m for m in sorted(expected) if f'data-nav-unique-id="model.article_recs.{m}"' not in dom]
    assert not missing, f"not rendered in the docs site's navigation: {missing}"
    # the project's __overview__ page, for a newcomer: the data flow by group, where to start, the schedule
    text = _text(re.sub(r"<[^>]+>", " ", dom))
    for heading in ("The data flow", "Where to start", "The schedule", "The quality report"):
        assert heading in text, f"overview without {heading!r}"


def test_every_model_is_in_a_group_of_the_data_flow(docs_site):
    manifest = json.loads((docs_site / "manifest.json").read_text())
    groups = {g["name"] for g in manifest["groups"].values()}
    assert groups == {"ingestion", "core", "recommender", "evaluation", "monitoring", "reporting"}
    models = [n for n in manifest["nodes"].values() if n["resource_type"] == "model"]
    ungrouped = [n["name"] for n in models if not n["group"]]
    assert ungrouped == []


def test_model_page_shows_its_description(docs_site, server, tmp_path):
    name = "recommender_candidates"  # a table; every model's page is built the same way
    manifest = json.loads((docs_site / "manifest.json").read_text())
    description = manifest["nodes"][f"model.article_recs.{name}"]["description"]
    assert description, f"{name} has no description"
    opening = _text(re.sub(r"[`*_]", "", description)).split(". ")[0][:60]

    proc = _chromium(tmp_path, "--dump-dom", f"{server}/#!/model/model.article_recs.{name}")
    assert proc.returncode == 0, proc.stderr[-2000:]
    text = _text(re.sub(r"<[^>]+>", " ", proc.stdout))
    assert f"{name} table" in text  # the page title and materialization the app renders
    assert opening in text, f"description {opening!r} not rendered"

    shot = tmp_path / f"{name}.png"
    proc = _chromium(tmp_path, "--window-size=1400,1000", f"--screenshot={shot}",
                     f"{server}/#!/model/model.article_recs.{name}")  # fmt: skip
    assert proc.returncode == 0 and shot.exists() and shot.stat().st_size > 20_000


def _text(html_or_text: str) -> str:
    return " ".join(html.unescape(html_or_text).split())


def _all_models(docs_site: Path) -> set[str]:
    manifest = json.loads((docs_site / "manifest.json").read_text())
    return {n["name"] for n in manifest["nodes"].values() if n["resource_type"] == "model"}


def test_quality_data_docs_render_in_chromium(tmp_path):
    """The Great Expectations pages `article-recs quality` writes, opened from disk: the summary page and a
    validation page show the failed rule in words and a visible status mark (no network needed)."""
    if not Path(CHROMIUM).exists():
        pytest.skip("Chromium is not installed")
    from _quality_warehouse import broken_copy, build_warehouse

    from article_recs.quality import run_all

    clean = build_warehouse(tmp_path / "clean.duckdb")
    bad = broken_copy(
        clean, tmp_path / "bad.duckdb",
        "update marts.recommendation_coverage set has_related_list = false where article_id = 'a1'",
    )
    report = run_all(duckdb_path=str(bad), data_docs_dir=tmp_path / "docs", suites=["recommendations"])
    assert not report.success

    proc = _chromium(tmp_path, "--dump-dom", report.summary_html.as_uri())
    text = _text(re.sub(r"<[^>]+>", " ", proc.stdout))
    assert "FAILED: critical suite(s) recommendations" in text
    rule = "every article read in the serving cut's training window must have related recommendations"
    assert rule + " from every strategy served on its site — " in text

    [page] = (tmp_path / "docs" / "validations").rglob("*-recommendations.html")
    proc = _chromium(tmp_path, "--dump-dom", page.as_uri())
    text = _text(re.sub(r"<[^>]+>", " ", proc.stdout))
    assert rule in text and "unexpected values found" in text
    assert "fa-times" in proc.stdout  # the failed status mark; drawn by the inlined offline styles
    shot = tmp_path / "validation.png"
    _chromium(tmp_path, "--window-size=1200,1600", f"--screenshot={shot}", page)
    assert shot.exists() and shot.stat().st_size > 20_000

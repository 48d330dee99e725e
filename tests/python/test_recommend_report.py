"""`article-recs report` on a small hand-made warehouse: one HTML page with inline SVG plots, no scripts."""

from __future__ import annotations

import argparse
from pathlib import Path

import duckdb
import pandas as pd

from article_recs.report import cli
from article_recs.report.svg import bar_chart, line_chart, nice_max


def _warehouse(path: Path) -> Path:
    con = duckdb.connect(str(path))
    rows = []
    for run, at in (("r1", "2026-11-20 10:00:00"), ("r2", "2026-11-20 12:00:00")):
        for i, strategy in enumerate(("popularity", "item_knn", "als", "oracle")):
            for task, metric, k, value in (
                ("related", "hr", 10, 0.1 + 0.1 * i),
                ("related", "ndcg", 10, 0.05 + 0.05 * i),
                ("related", "mrr", 10, 0.04 * i),
                ("reader", "recall", 10, 0.2),
                ("reader", "ndcg", 10, 0.1),
                ("related", "coverage", 10, 0.5),
                ("related", "mean_age_days", 10, 3.0 - 0.5 * i),
                ("related", "n_cases", 0, 40.0),
            ):
                rows.append((run, pd.Timestamp(at), "herald", strategy, task, metric, k, value))
    evaluations = pd.DataFrame(  # noqa: F841 - read by DuckDB
        rows, columns=["run_id", "evaluated_at", "site_id", "strategy", "task", "metric", "k", "value"]
    )
    registry = pd.DataFrame(  # noqa: F841
        {
            "model_id": ["herald-als-20261120T120000", "herald-als-20261120T130000"],
            "status": ["current", "failed"],
            "site_id": "herald",
            "strategy": "als",
            "trained_at": pd.to_datetime(["2026-11-20 12:00", "2026-11-20 13:00"]),
            "n_interactions": [100, None],
            "related_hr": [0.3, None],
            "error_message": [None, "training failed: <ValueError>"],
        }
    )
    page_views = pd.DataFrame(  # noqa: F841
        {"site_id": "herald", "article_id": ["1", "2", None], "engaged_time_in_s": [12.0, 700.0, 3.0]}
    )
    sites = pd.DataFrame({"site_id": ["herald"], "min_dwell_s": [30.0], "max_dwell_s": [600.0]})  # noqa: F841
    for schema in ("evaluation", "recommender", "marts"):
        con.execute(f"create schema {schema}")
    con.execute("create table evaluation.model_evaluations as select * from evaluations")
    con.execute("create table recommender.model_registry as select * from registry")
    con.execute("create table recommender.recommender_sites as select * from sites")
    con.execute("create table marts.page_views as select * from page_views")
    con.close()
    return path


def test_report_writes_one_page_with_a_plot_per_section(tmp_path: Path, capsys) -> None:
    db = _warehouse(tmp_path / "w.duckdb")
    code = cli.run(argparse.Namespace(duckdb=db, out=tmp_path / "report"))
    page = tmp_path / "report" / "index.html"
    assert code == 0 and capsys.readouterr().out.strip() == str(page.resolve())
    html = page.read_text()
    for title in (
        "Metrics per strategy",
        "Metrics over runs",
        "Coverage and freshness",
        "Dwell distribution",
        "Model registry",
    ):
        assert f">{title}</h2>" in html
    assert html.count("<svg") == 1 + 2 + 2 + 1  # per site, over runs (hr, recall), coverage + age, dwell
    assert "<script" not in html and "http" not in html.replace("http://www.w3.org/2000/svg", "")
    assert "&lt;ValueError&gt;" in html  # text is escaped


def test_report_without_a_warehouse_exits_2(tmp_path: Path, capsys) -> None:
    assert cli.run(argparse.Namespace(duckdb=tmp_path / "none.duckdb", out=tmp_path / "r")) == 2
    assert "no warehouse" in capsys.readouterr().err


def test_charts_skip_missing_values_and_round_the_axis() -> None:
    assert nice_max(0.37) == 0.5 and nice_max(0.22) == 0.25 and nice_max(7.2) == 10 and nice_max(0) == 1
    svg = bar_chart(["a", "b"], ["als", "oracle"], {("a", "als"): 0.2, ("b", "oracle"): None}, "t")
    assert svg.count("<rect") == 2 + 1  # two legend swatches, one bar
    line = line_chart(["r1", "r2", "r3"], {"als": [0.1, None, 0.3]}, "t")
    assert line.count("<circle") == 2

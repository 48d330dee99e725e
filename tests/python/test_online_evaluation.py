"""Online evaluation: the widget's events through staging into rec_impressions, rec_clicks, online_evaluation
(an incremental run in two steps ends equal to a full refresh, and counts what the generator wrote), and the
summary/report table beside the offline metrics."""

from __future__ import annotations

import math
import shutil
from datetime import date
from pathlib import Path

import duckdb
import pytest

from article_recs.dbt_runner import run_dbt
from article_recs.report.online import online_section, online_table, orderings_agree, read_online
from article_recs.tools.generate import GenerateConfig, generate

Z = 1.959963984540054
ONLINE = ["+online_evaluation_summary", "+online_evaluation_by_position"]


def wilson(k: int, n: int) -> tuple[float, float]:
    p = k / n
    d = 1 + Z * Z / n
    c = (p + Z * Z / (2 * n)) / d
    h = Z * math.sqrt(p * (1 - p) / n + Z * Z / (4 * n * n)) / d
    return c - h, c + h


# ---------------------------------------------------------------------------------------------- report table
def _warehouse(con: duckdb.DuckDBPyConnection, knn_hr: float) -> None:
    con.execute("create schema evaluation")
    con.execute(
        """
        create table evaluation.online_evaluation_summary as select * from (values
            ('herald', 'item_knn', 'item_knn', 1000, 120, 0.12, 0.10, 0.14, 0.5),
            ('herald', 'popularity', 'popularity', 1000, 40, 0.04, 0.03, 0.05, 0.6),
            ('herald', '<b>x</b>', 'none', 10, 0, 0.0, 0.0, 0.28, null)
        ) as t(site_id, strategy, arm, impressions, clicks, ctr, ctr_low, ctr_high, engaged_click_share)
        """
    )
    con.execute(
        """
        create table evaluation.online_evaluation_by_position as select * from (values
            ('herald', 'item_knn', 'item_knn', 1, 0.07), ('herald', 'item_knn', 'item_knn', 2, 0.03),
            ('herald', 'item_knn', 'item_knn', 4, 0.01)
        ) as t(site_id, strategy, arm, list_position, ctr)
        """
    )
    con.execute(
        f"""
        create table evaluation.model_evaluations as select * from (values
            ('r1', timestamp '2024-05-01', 'herald', 'item_knn', 'related', 'hr', 10, 0.5),
            ('r1', timestamp '2024-05-01', 'herald', 'popularity', 'related', 'hr', 10, 0.6),
            ('r2', timestamp '2024-05-02', 'herald', 'item_knn', 'related', 'hr', 10, {knn_hr}),
            ('r2', timestamp '2024-05-02', 'herald', 'popularity', 'related', 'hr', 10, 0.1),
            ('r2', timestamp '2024-05-02', 'herald', 'item_knn', 'reader', 'recall', 10, 0.9)
        ) as t(run_id, evaluated_at, site_id, strategy, task, metric, k, value)
        """
    )


def test_online_table_puts_the_latest_offline_hit_rate_beside_the_ctr_and_compares_orders():
    con = duckdb.connect()
    _warehouse(con, knn_hr=0.3)
    rows = read_online(con)
    knn = next(r for r in rows if r.strategy == "item_knn")
    assert knn.offline_hr == 0.3 and knn.ctr_at == (0.07, 0.03, None) and knn.clicks == 120
    assert orderings_agree(rows) == {"herald": True}
    text = online_table(con)
    assert "herald   item_knn" in text and "12.0%" in text and "10.0%-14.0%" in text and "0.300" in text
    assert "herald same order" in text

    con2 = duckdb.connect()
    _warehouse(con2, knn_hr=0.05)  # offline says popularity is better: the table says the orders differ
    assert orderings_agree(read_online(con2)) == {"herald": False}
    assert "herald DIFFERENT order" in online_table(con2)


def test_online_section_escapes_every_value():
    con = duckdb.connect()
    _warehouse(con, knn_hr=0.3)
    html = online_section(con)
    assert "<b>x</b>" not in html and "&lt;b&gt;x&lt;/b&gt;" in html


def test_no_online_models_means_no_table():
    assert online_table(duckdb.connect()) is None and online_section(duckdb.connect()) is None


# ------------------------------------------------------------------------------------------ dbt, end to end
def _copy_days(src: Path, dst: Path, days: set[str] | None) -> None:
    for path in sorted((src / "events").rglob("*.tsv*")):
        day = "-".join(path.relative_to(src / "events").parts[:3])
        if days is None or day in days:
            target = dst / path.relative_to(src)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target)


@pytest.mark.slow
def test_online_models_count_the_widget_events_and_an_incremental_run_equals_a_full_refresh(tmp_path):
    data = tmp_path / "data"
    manifest = generate(
        GenerateConfig(
            out=data, users=700, articles=140, days=5, sites=2, seed=4, end=date(2024, 5, 15), quiet=True
        )
    )
    first_days = {"2024-05-10", "2024-05-11", "2024-05-12"}
    incremental, full = tmp_path / "incremental", tmp_path / "full"
    _copy_days(data, incremental, first_days)
    _copy_days(data, full, None)

    def build(events: Path, warehouse: Path, *extra: str) -> None:
        dbt_vars = {
            "article_recs__events_path": f"{events}/events/**/*.tsv*",
            "article_recs__article_metadata_path": "",
            "article_recs__ground_truth_path": "",
        }
        run_dbt(
            [
                "build",
                "-s",
                *ONLINE,
                "--indirect-selection",
                "cautious",
                "--exclude-resource-type",
                "unit_test",
                *extra,
            ],
            dbt_vars=dbt_vars,
            duckdb_path=warehouse,
            target_path=tmp_path / f"target-{warehouse.stem}",
        )

    build(incremental, tmp_path / "inc.duckdb")
    _copy_days(data, incremental, None)  # the rest of the files arrive
    build(incremental, tmp_path / "inc.duckdb")
    build(full, tmp_path / "full.duckdb", "--full-refresh")

    def q(path: Path, sql: str) -> list[tuple]:
        con = duckdb.connect(str(path), read_only=True)
        try:
            return con.execute(sql).fetchall()
        finally:
            con.close()

    for sql in (
        "select * from evaluation.rec_impressions order by event_id, list_position",
        "select * from evaluation.rec_clicks order by event_id",
        "select * from evaluation.online_evaluation order by all",
    ):
        inc_rows, full_rows = q(tmp_path / "inc.duckdb", sql), q(tmp_path / "full.duckdb", sql)
        assert inc_rows == full_rows and inc_rows, sql

    widget = manifest["widget"]
    ((impressions, clicks),) = q(
        tmp_path / "full.duckdb",
        "select (select count(distinct event_id) from evaluation.rec_impressions), "
        "(select count(*) from evaluation.rec_clicks)",
    )
    assert (impressions, clicks) == (widget["rec_impressions"], widget["rec_clicks"])

    summary = q(
        tmp_path / "full.duckdb",
        "select site_id, strategy, clicked_impressions, impressions, ctr, ctr_low, ctr_high "
        "from evaluation.online_evaluation_summary",
    )
    for _site, _strategy, k, n, ctr, low, high in summary:
        assert ctr == pytest.approx(k / n)
        assert (low, high) == pytest.approx(wilson(k, n), abs=1e-12)
    for site in ("herald", "metro"):
        ctr = {s: c for si, s, _k, _n, c, _l, _h in summary if si == site}
        assert ctr["item_knn"] > ctr["popularity"]  # the simulated co-read lists beat the popular list

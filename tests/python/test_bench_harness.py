"""The benchmark harness's own logic (article_recs.bench): medians, ratios, tier windows, landing folders,
per-model breakdowns, the Markdown table and the results files. No timings are asserted."""

from __future__ import annotations

import json
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from article_recs.bench.measure import Sample, median, ratio, run_measured, summarize
from article_recs.bench.probe import summarize_profile
from article_recs.bench.report import loaded_info, markdown, verdict, write_results
from article_recs.bench.run import breakdown, events_reader_sql, layer_of, node_name, only_data_tests_failed
from article_recs.bench.tiers import TIERS, Tier, TierData, event_files, link_window


def sample(wall: float, cpu: float, rc: int = 0, load: float = 0.2, **extra) -> Sample:
    return Sample(
        wall, cpu, cpu, 0.0, 100 << 20, 110 << 20, 1, rc, (load, load, load), (load, load, load), extra
    )


def test_median_ignores_missing_values_and_ratio_guards_zero() -> None:
    assert median([3.0, 1.0, 2.0]) == 2.0
    assert median([4.0, None, 1.0]) == 2.5
    assert median([None]) is None
    assert ratio(6.0, 2.0) == 3.0
    assert ratio(1.0, 0.0) is None
    assert ratio(None, 2.0) is None


def test_summarize_takes_medians_of_the_successful_runs_and_the_peak_memory() -> None:
    runs = [
        sample(10.0, 8.0, x=1.0),
        sample(30.0, 9.0, x=3.0),
        sample(20.0, 7.0, x=2.0),
        sample(99.0, 99.0, rc=1),
    ]
    s = summarize(runs, x="x")
    assert (s["runs"], s["ok_runs"]) == (4, 3)
    assert (s["wall_s"], s["cpu_s"], s["x"]) == (20.0, 8.0, 2.0)
    assert s["max_rss_bytes"] == 100 << 20 and s["tree_peak_rss_bytes"] == 110 << 20
    assert len(s["samples"]) == 4
    # a build whose models all ran and only data tests failed still counts for the timing
    assert sample(5.0, 5.0, rc=1, only_tests_failed=True).ok
    assert not sample(5.0, 5.0, rc=1).ok


def test_only_data_tests_failing_keeps_the_timing_a_failing_unit_test_does_not() -> None:
    def results(*rows: tuple[str, str]) -> dict:
        return {"results": [{"unique_id": uid, "status": status} for uid, status in rows]}

    model_ok = ("model.article_recs.page_views", "success")
    assert only_data_tests_failed(results(model_ok, ("test.article_recs.unique_x", "fail")))
    # a failing unit test skips its model: that build's time is not a build's time
    assert not only_data_tests_failed(
        results(("unit_test.article_recs.m::t", "error"), ("model.article_recs.m", "skipped"))
    )
    # a model error, or nothing failed at all
    assert not only_data_tests_failed(results(("model.article_recs.m", "error")))
    assert not only_data_tests_failed(results(model_ok))
    # a failing data test whose downstream node was skipped
    assert not only_data_tests_failed(
        results(("test.article_recs.unique_x", "error"), ("model.article_recs.n", "skipped"))
    )


def test_run_measured_reports_exit_code_and_resources(tmp_path: Path) -> None:
    log = tmp_path / "out.log"
    ok = run_measured([sys.executable, "-c", "print('hello')"], log_path=log)
    assert ok.ok and log.read_text().strip() == "hello"
    assert ok.cpu_s >= 0 and ok.max_rss_bytes > 0 and len(ok.load_start) == 3
    failed = run_measured([sys.executable, "-c", "raise SystemExit(3)"])
    assert failed.returncode == 3 and not failed.ok


def test_tier_windows_share_the_increment_and_chunks_cover_the_days() -> None:
    tier = Tier("t", "t", users=10, articles=10, seed=1, end=date(2026, 3, 2), chunks=2)
    w = tier.windows()
    cutoff = datetime(2026, 3, 1, 12, tzinfo=UTC)
    assert w["full"] == (cutoff - timedelta(days=30), cutoff)
    assert w["history_7d"][1] == w["history_60d"][1] == w["increment"][0] == cutoff
    assert w["increment"][1] - w["increment"][0] == timedelta(hours=2)
    plan = tier.chunk_plan()
    assert sum(c["days"] for c in plan) == tier.days
    assert plan[-1] == {"seed": 1, "days": 31, "end": "2026-03-02"}  # the newest chunk holds full + increment
    assert plan[0]["end"] == "2026-01-30" and len({c["seed"] for c in plan}) == 2
    assert {"quick", "1m", "10m"} <= set(TIERS)


def test_link_window_links_the_hours_of_a_window_and_nothing_else(tmp_path: Path) -> None:
    events = tmp_path / "gen" / "chunk-0" / "events"
    for hour in ("2026/03/01/11", "2026/03/01/12", "2026/03/01/13", "2026/03/01/14"):
        (events / hour).mkdir(parents=True)
        (events / hour / "herald-web-0000.tsv.gz").write_bytes(b"x")
    data = TierData(TIERS["quick"], tmp_path, chunk_dirs=[tmp_path / "gen" / "chunk-0"])
    files = event_files(data)
    assert len(files) == 4
    start = datetime(2026, 3, 1, 12, tzinfo=UTC)
    made = link_window(files, tmp_path / "landing", start, start + timedelta(hours=2))
    assert sorted(p.relative_to(tmp_path / "landing").as_posix() for p in made) == [
        "2026/03/01/12/herald-web-0000.tsv.gz",
        "2026/03/01/13/herald-web-0000.tsv.gz",
    ]
    assert link_window(files, tmp_path / "landing", start, start + timedelta(hours=2)) == []  # already there


def test_the_scan_reads_with_the_dbt_sources_reader_settings() -> None:
    sql = events_reader_sql("/data/x/**/*.tsv*")
    assert sql.startswith("read_csv('/data/x/**/*.tsv*'")
    assert "{{" not in sql and "delim=chr(1)" in sql


def test_breakdown_groups_nodes_by_type_and_layer(tmp_path: Path) -> None:
    manifest = {
        "nodes": {
            "model.p.stg": {
                "language": "sql",
                "original_file_path": "models/staging/snowplow/stg.sql",
                "config": {},
            },
            "model.p.als": {"language": "python", "original_file_path": "python_models/recommender/als.py"},
        }
    }
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    paths = []
    for i, (stg, als) in enumerate([(1.0, 5.0), (3.0, 7.0), (2.0, 6.0)]):
        path = tmp_path / f"run{i}.json"
        path.write_text(
            json.dumps(
                {
                    "elapsed_time": 10.0 + i,
                    "results": [
                        {"unique_id": "model.p.stg", "execution_time": stg, "compiled_code": "select 1"},
                        {"unique_id": "model.p.als", "execution_time": als},
                        {"unique_id": "unit_test.p.stg.case_one", "execution_time": 0.5},
                    ],
                }
            )
        )
        paths.append(str(path))
    bd = breakdown(paths, tmp_path / "manifest.json", "full")
    assert [n["name"] for n in bd["nodes"]] == ["als", "stg", "stg::case_one"]
    assert bd["by_type"] == {"model": 8.0, "unit_test": 0.5}
    assert bd["by_layer"] == {"python_models/recommender": 6.0, "staging/snowplow": 2.0}
    assert bd["snowplow_models_s"] == 2.0 and bd["dbt_elapsed_s"] == 11.0
    stg = next(n for n in bd["nodes"] if n["name"] == "stg")
    assert Path(stg["compiled_code_file"]).read_text() == "select 1"
    assert layer_of("models/marts/core/users.sql") == "marts/core"
    assert node_name("test.p.not_null_users_id.abc") == "not_null_users_id"


def test_profile_summary_ranks_operators_by_their_own_time() -> None:
    profile = {
        "latency": 2.0,
        "children": [
            {
                "operator_name": "PROJECTION",
                "operator_timing": 1.0,
                "operator_cardinality": 5,
                "children": [
                    {
                        "operator_name": "READ_CSV",
                        "operator_timing": 3.0,
                        "operator_cardinality": 5,
                        "children": [],
                    }
                ],
            }
        ],
    }
    s = summarize_profile(profile)
    assert [o["operator"] for o in s["top_operators"]] == ["READ_CSV", "PROJECTION"]
    assert s["top_operators"][0]["share"] == 0.75


def _results(load: float) -> dict:
    fb = summarize([sample(40.0, 30.0, load=load)])
    padding = {"name": "recommendation_lists", "type": "model", "seconds": 2.5}
    fb["breakdown"] = {"by_type": {"model": 5.0}, "nodes": [padding]}
    sc = summarize(
        [sample(1.0, 1.5, load=load, query_wall_s=2.0, query_cpu_s=3.0)],
        query_wall_s="query_wall_s",
        query_cpu_s="query_cpu_s",
    )
    inc = {
        k: {"project": summarize([sample(w, w, load=load)]), "snowplow": summarize([sample(w / 4, w / 4)])}
        for k, w in (("7d", 8.0), ("60d", 12.0))
    }
    inc["ratios"] = {"project": {"wall_ratio": 1.5, "cpu_ratio": 1.5}}
    return {
        "started_at": "2026-11-21T22:00:00+00:00",
        "options": {"quiet_load": 1.0},
        "machine": {
            "cores": 2,
            "memory_bytes": 24 << 30,
            "load_start": [load, load, load],
            "duckdb": "1.5.5",
        },
        "tiers": {
            "1m": {
                "tier": TIERS["1m"].to_dict(),
                "data": {"lines_per_window": {"full": 1000, "increment": 10}, "chunks": [{}]},
                "full_build": fb,
                "scan": sc,
                "build_vs_scan": {"wall_ratio": 20.0, "cpu_ratio": 10.0},
                "incremental": {"increment_hours": 2, **inc},
                "als": {
                    "model": "als_lists",
                    "model_wall_s": 1.1,
                    "model_cpu_s": 1.0,
                    "bare_wall_s": 1.0,
                    "bare_cpu_s": 1.0,
                    "wall_ratio": 1.1,
                    "cpu_ratio": 1.0,
                    "runs": [{"rows": 5}],
                    "sites": {"a": {"cuts": 13, "readers": 1, "articles": 1, "interactions": 3}},
                },
            }
        },
        "serving": {"status": "not measured: PostgreSQL is down"},
    }


def test_markdown_table_states_targets_plainly_and_flags_load(tmp_path: Path) -> None:
    quiet = markdown(_results(0.1))
    assert "| Measurement | Tier | Wall (median) | CPU user+sys (median) |" in quiet
    assert "under load" not in quiet
    assert (
        "| Full build ÷ raw scan | 1M events / 30 d | 20× | 10× |  | ≤ 4× (target at 10M) | **not met** |"
        in quiet
    )
    assert "| ALS model ÷ bare implicit | 1M events / 30 d | 1.10× | 1.00× |  | ≤ 1.2× | met |" in quiet
    # ALS is fitted per (site, cut); its lists are padded by the one SQL model that pads every strategy's
    assert "(a: 13 cuts fitted, 3 interactions in all; the serving cut's matrix 1 readers × 1 articles)" in (
        quiet
    )
    assert "one model for every strategy and cut (`recommendation_lists`): 2.5 s in the build." in quiet
    assert "60 d ÷ 7 d of history | 1M events / 30 d | 1.50× |" in quiet
    assert "not measured: PostgreSQL is down" in quiet
    loaded = markdown(_results(6.0))
    assert "**Wall times were taken under load**" in loaded
    assert loaded_info(_results(6.0)) == (True, 6.0)
    assert verdict(12.0, 10.0, 8.0, loaded=True) == "**not met** (on CPU time: met)"
    path, latest, md = write_results(_results(0.1), tmp_path)
    assert path.name == "results-20261121T220000Z.json"
    assert json.loads(latest.read_text())["tiers"]["1m"]["build_vs_scan"]["wall_ratio"] == 20.0
    assert (tmp_path / "latest.md").read_text() == md


@pytest.mark.parametrize("argv", [["--tiers", "nope"], ["--skip", "everything"]])
def test_cli_rejects_unknown_tiers_and_measurements(argv: list[str], capsys) -> None:
    from article_recs.bench.__main__ import main

    assert main(argv) == 2
    assert "unknown" in capsys.readouterr().err

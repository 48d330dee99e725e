"""The GX suites on a small hand-made warehouse (tests/python/_quality_warehouse.py): clean data passes every
suite; each kind of bad data fails its suite with a message a person can act on; the thresholds are the
build's (quality_thresholds); missing tables, sampling of large relations and the cheap import are pinned
down too. No dbt run. What dbt tests check (keys, nulls, ranges, list shapes) is not repeated here."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from _quality_warehouse import AS_OF, broken_copy, build_warehouse

from article_recs.quality import CRITICAL_SUITES, SUITE_MODELS, SUITES, run_all, run_suite


@pytest.fixture(scope="module")
def clean(tmp_path_factory) -> Path:
    return build_warehouse(tmp_path_factory.mktemp("quality") / "clean.duckdb")


@pytest.fixture(scope="module")
def clean_report(clean, tmp_path_factory):
    return run_all(duckdb_path=str(clean), data_docs_dir=tmp_path_factory.mktemp("docs_clean"))


#: one warehouse with one defect per rule
DEFECTS = (
    "update marts.page_views set engaged_time_in_s = absolute_time_in_s + 60 where page_pings = 5",
    "update marts.page_views set end_tstamp = start_tstamp - interval 1 minute where page_pings = 7",
    "update marts.interactions set dwell_s = 20000 * reads where article_id = 'm1' and domain_userid = 'r1'",
    "update marts.interactions set last_read_at = first_read_at - interval 1 hour where article_id = 'a3' "
    "and domain_userid = 'u2'",
    "update marts.recommendation_coverage set has_related_list = false where site_id = 'herald' "
    "and strategy = 'als' and article_id = 'a2'",
    "update marts.recommendation_coverage set is_strategy_served = false, has_related_list = null "
    "where site_id = 'metro' and strategy = 'item_knn'",
    "update marts.evaluation_coverage set is_evaluated = false "
    "where site_id = 'metro' and strategy = 'popularity'",
)


@pytest.fixture(scope="module")
def broken_report(clean, tmp_path_factory):
    broken = broken_copy(clean, tmp_path_factory.mktemp("quality") / "broken.duckdb", *DEFECTS)
    return run_all(duckdb_path=str(broken), data_docs_dir=None)


def _failure(report, suite: str, words: str) -> str:
    matches = [line for line in report.results[suite].failures if words in line]
    assert matches, f"no {suite} failure mentions {words!r}: {report.results[suite].failures}"
    return matches[0]


# ---------------------------------------------------------------------------------------------- interface
def test_suites_name_a_relation_and_a_dbt_model_each():
    assert (
        set(SUITES)
        == set(SUITE_MODELS)
        == {"raw_events", "page_views", "interactions", "recommendations", "evaluations"}
    )
    assert all(relation.endswith("." + SUITE_MODELS[suite]) for suite, relation in SUITES.items())
    assert CRITICAL_SUITES == set(SUITES) - {"evaluations"}


def test_importing_the_suites_does_not_load_great_expectations():
    code = "import sys, article_recs.quality as q; q.SUITES; print('great_expectations' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


def test_clean_warehouse_passes_every_suite(clean_report):
    assert clean_report.success
    for name, result in clean_report.results.items():
        assert (result.success, result.status, result.failures) == (True, "passed", []), name
        stats = result.statistics
        assert stats["evaluated_expectations"] == stats["successful_expectations"] > 0
        assert stats["rows"] > 0 and stats["sampled"] is False


def test_data_docs_are_written_by_the_checkpoints_with_a_page_per_suite(clean_report):
    docs = clean_report.data_docs_index.parent
    assert clean_report.data_docs_index.exists()
    pages = list((docs / "validations").rglob("*.html"))
    assert len(pages) == len(SUITES)
    assert {p.stem for p in (docs / "expectations").glob("*.html")} == set(SUITES)
    page = next(p for p in pages if p.name.endswith("-page_views.html")).read_text()
    assert "engaged_time_in_s must be <= absolute_time_in_s + heartbeat (10 s)" in page  # GX prints it as is
    summary = clean_report.summary_html.read_text()
    assert "PASSED" in summary and "<script" not in summary


def test_raw_events_window_ends_at_the_builds_as_of(clean_report):
    assert clean_report.results["raw_events"].statistics["as_of"] == (
        AS_OF - timedelta(minutes=18)
    ).isoformat(sep=" ")


# ---------------------------------------------------------------------------------------------- failures
def test_engaged_time_beyond_the_heartbeat_fails_with_count_share_and_examples(broken_report):
    line = _failure(
        broken_report, "page_views", "engaged_time_in_s must be <= absolute_time_in_s + heartbeat (10 s)"
    )
    assert " of 60 rows (" in line and "exceed it, e.g. 60 (page_view_id=" in line
    _failure(broken_report, "page_views", "end_tstamp must not be before start_tstamp")


def test_implausible_dwell_per_read_and_reads_out_of_order_fail(broken_report):
    line = _failure(
        broken_report, "interactions", "dwell per read (dwell_s / reads) must be between 0 and 14,400 s"
    )
    assert (
        "1 of 25 rows (4.00%) outside, e.g. 20000 (site_id='metro', domain_userid='r1', article_id='m1')"
        in line
    )
    line = _failure(broken_report, "interactions", "last_read_at must not be before first_read_at")
    assert "domain_userid='u2', article_id='a3'" in line


def test_a_strategy_missing_on_a_site_and_an_article_without_a_related_list_fail(broken_report):
    line = _failure(broken_report, "recommendations", "must have current recommendations from every strategy")
    assert (
        "2 of 18 articles read in the window x strategy" in line
        and "site_id='metro', strategy='item_knn'" in line
    )
    line = _failure(broken_report, "recommendations", "read in the serving cut's training window must have")
    assert "site_id='herald', strategy='als', article_id='a2'" in line


def test_an_evaluation_missing_a_strategy_only_warns(broken_report):
    line = _failure(broken_report, "evaluations", "latest evaluation must cover every strategy")
    assert "site_id='metro', strategy='popularity'" in line
    assert broken_report.critical_failures == ["page_views", "interactions", "recommendations"]
    assert broken_report.results["raw_events"].success


def test_raw_events_future_timestamp_is_outside_the_window(clean, tmp_path):
    path = broken_copy(
        clean,
        tmp_path / "future.duckdb",
        "insert into staging.stg_snowplow__events "
        "select * replace (timestamp '2099-01-01' as collector_tstamp) "
        "from staging.stg_snowplow__events limit 1",
        "update marts.quality_thresholds set raw_tolerance_pct = 0",
    )
    result = run_suite("raw_events", duckdb_path=str(path))
    line = next(f for f in result.failures if "collector_tstamp must be within" in f)
    assert "1 of 241 lines" in line and "2099-01-01" in line


def test_raw_events_tolerate_a_few_malformed_lines_but_not_many(clean, tmp_path):
    few = broken_copy(
        clean,
        tmp_path / "few.duckdb",
        "update staging.stg_snowplow__events set field_count = 40, event_id = null where raw_line = 'line 7'",
    )
    assert run_suite("raw_events", duckdb_path=str(few)).success  # 1 of 240 < 1%
    many = broken_copy(
        clean,
        tmp_path / "many.duckdb",
        "update staging.stg_snowplow__events set event_id = 'not-a-uuid', platform = 'xyz' "
        "where raw_line like 'line 1%'",
    )
    result = run_suite("raw_events", duckdb_path=str(many))
    assert not result.success
    assert any("event_id must be a UUID" in f and "(allowed: 1.00%)" in f for f in result.failures)
    assert any("platform must be one of web" in f and "'xyz'" in f for f in result.failures)


def test_thresholds_are_the_builds_not_dbt_project_yml(clean, tmp_path):
    """A build run with --vars '{article_recs__heartbeat: 70}' writes 70 into quality_thresholds: the suite
    judges by it (tests/python/test_quality_e2e.py checks that dbt writes it)."""
    path = broken_copy(
        clean,
        tmp_path / "heartbeat.duckdb",
        DEFECTS[0],
        "update marts.quality_thresholds set heartbeat_s = 70",
    )
    result = run_suite("page_views", duckdb_path=str(path))
    assert result.success, result.failures


# ---------------------------------------------------------------------------------------------- robustness
def test_missing_table_is_a_failed_result_with_a_way_to_build_it(clean, tmp_path):
    path = broken_copy(clean, tmp_path / "no_coverage.duckdb", "drop table marts.recommendation_coverage")
    result = run_suite("recommendations", duckdb_path=str(path))
    assert (result.success, result.status) == (False, "missing")
    assert result.failures == [
        "recommendations: marts.recommendation_coverage does not exist yet — build it with "
        "`dbt build --select recommendation_coverage`"
    ]


def test_missing_thresholds_say_which_model_to_build(clean, tmp_path):
    path = broken_copy(clean, tmp_path / "no_thresholds.duckdb", "drop table marts.quality_thresholds")
    result = run_suite("page_views", duckdb_path=str(path))
    assert result.status == "error"
    assert "`dbt build --select quality_thresholds`" in result.failures[0]


def test_large_relations_are_validated_on_a_deterministic_sample(clean, tmp_path):
    path = broken_copy(
        clean, tmp_path / "sampled.duckdb", DEFECTS[0], "update marts.quality_thresholds set sample_rows = 20"
    )
    result = run_suite("page_views", duckdb_path=str(path))
    stats = result.statistics
    assert (stats["sampled"], stats["sample_rows"], stats["rows"]) == (True, 20, 60)
    assert run_suite("page_views", duckdb_path=str(path)).failures == result.failures
    assert all(" of 20 sampled rows " in f for f in result.failures)


def test_raw_events_from_a_staging_view_skip_the_files_the_build_found_unreadable(clean, tmp_path):
    path = broken_copy(
        clean,
        tmp_path / "view.duckdb",
        "alter table staging.stg_snowplow__events rename to raw_lines",
        "create view staging.stg_snowplow__events as select * from staging.raw_lines",
        "create schema intermediate",
        "create table intermediate.int_event_files as select 'data/events/bad.tsv.gz' as source_file, "
        "'not_gzip' as unreadable_reason",
        "insert into staging.raw_lines select * replace ('data/events/bad.tsv.gz' as source_file, "
        "'xyz' as platform) from staging.raw_lines limit 20",
    )
    result = run_suite("raw_events", duckdb_path=str(path))
    assert result.success, result.failures
    assert result.statistics["rows"] == 240

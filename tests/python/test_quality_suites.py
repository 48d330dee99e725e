"""The GX suites on a small hand-made warehouse (tests/python/_quality_warehouse.py): clean data passes every
suite; each kind of bad data fails its suite with a message a person can act on; missing tables, sampling of
large frames and the cheap import are pinned down too. No dbt run: about 30 s, most of it GX itself."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from _quality_warehouse import AS_OF, broken_copy, build_warehouse

from article_recs.quality import SUITE_MODELS, SUITES, QualityParams, run_all, run_suite
from article_recs.quality.suites import CRITICAL_SUITES


@pytest.fixture(scope="module")
def clean(tmp_path_factory) -> Path:
    return build_warehouse(tmp_path_factory.mktemp("quality") / "clean.duckdb")


@pytest.fixture(scope="module")
def clean_report(clean, tmp_path_factory):
    docs = tmp_path_factory.mktemp("docs_clean")
    return run_all(duckdb_path=str(clean), data_docs_dir=docs)


#: one warehouse with one defect per rule (independent rows, so every message can be checked)
DEFECTS = (
    # recommendations
    "update recommender.recommendations set score = 1.7 where strategy = 'als' and rank = 1 "
    "and source_entity_type = 'article' and site_id = 'herald'",
    "insert into recommender.recommendations values "
    "('herald-als-1', 'herald', 'als', 'article', 'a1', 'a1', 4, 0.1)",
    "insert into recommender.recommendations values "
    "('herald-item_knn-1', 'herald', 'item_knn', 'reader', 'u1', 'zz9', 4, 0.1)",
    "delete from recommender.recommendations where strategy = 'item_knn' and site_id = 'metro'",
    "delete from recommender.recommendations where strategy = 'als' and source_entity_id = 'a2'",
    # evaluations
    "update evaluation.model_evaluations set value = 1.5 where metric = 'hr' and strategy = 'als'",
    "update evaluation.model_evaluations set ci_low = 0.9 where metric = 'ndcg' and strategy = 'item_knn' "
    "and task = 'related' and site_id = 'herald' and run_id = 'run-2'",
    "delete from evaluation.model_evaluations where strategy = 'popularity' and run_id = 'run-2' "
    "and site_id = 'metro'",
    # page views
    "update marts.page_views set engaged_time_in_s = absolute_time_in_s + 60 where page_pings = 5",
    "insert into marts.page_views select * from marts.page_views where page_pings = 3 limit 1",
    # interactions
    "update marts.interactions set domain_userid = null where article_id = 'a3' and domain_userid = 'u2'",
    "update marts.interactions set dwell_s = -5 where article_id = 'm1' and domain_userid = 'r1'",
)


@pytest.fixture(scope="module")
def broken(clean, tmp_path_factory) -> Path:
    return broken_copy(clean, tmp_path_factory.mktemp("quality") / "broken.duckdb", *DEFECTS)


@pytest.fixture(scope="module")
def broken_report(broken, tmp_path_factory):
    return run_all(duckdb_path=str(broken), data_docs_dir=tmp_path_factory.mktemp("docs_broken"))


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
    assert all(relation.count(".") == 1 for relation in SUITES.values())
    assert SUITES["recommendations"] == "recommender.recommendations"
    assert CRITICAL_SUITES <= set(SUITES)


def test_importing_the_suites_does_not_load_great_expectations():
    code = "import sys, article_recs.quality as q; q.SUITES; print('great_expectations' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


def test_clean_warehouse_passes_every_suite(clean_report):
    assert clean_report.success
    for name, result in clean_report.results.items():
        assert result.success, (name, result.failures)
        assert result.status == "passed"
        assert result.failures == []
        stats = result.statistics
        assert stats["evaluated_expectations"] == stats["successful_expectations"] > 0
        assert stats["rows"] > 0 and stats["sampled"] is False


def test_data_docs_are_written_with_a_page_per_validation(clean_report):
    index = clean_report.data_docs_index
    assert index is not None and index.exists()
    docs = index.parent
    pages = list((docs / "validations").rglob("*.html"))
    # one per frame: rows of each suite, recommendations' 5 cross-table frames, evaluations' strategies
    assert len(pages) == 5 + 5 + 1
    assert (docs / "expectations" / "recommendations.html").exists()
    page = next(p for p in pages if p.name.endswith("-recommendations.html")).read_text()
    assert "score must be between 0 and 1" in page  # the plain-words description is what Data Docs shows
    summary = clean_report.summary_html.read_text()
    assert "PASSED" in summary and "<script" not in summary


def test_raw_events_as_of_is_the_latest_event_not_the_wall_clock(clean_report):
    stats = clean_report.results["raw_events"].statistics
    latest = AS_OF - timedelta(minutes=18)  # the fixture's last event
    assert stats["as_of"] == latest.isoformat(sep=" ")
    assert stats["window"] == [
        (latest - timedelta(days=365)).isoformat(sep=" "),
        (latest + timedelta(days=1)).isoformat(sep=" "),
    ]


# ------------------------------------------------------------------------------------------- recommendations
def test_scores_above_one_fail_with_count_share_and_examples(broken_report):
    line = _failure(broken_report, "recommendations", "score must be between 0 and 1")
    assert "3 of 127 rows (2.36%) outside" in line
    assert "e.g. 1.7 (strategy='als', source_entity_type='article'" in line


def test_self_recommendation_fails(broken_report):
    line = _failure(broken_report, "recommendations", "never be recommended for itself")
    assert "1 of 127 rows" in line and "source_entity_id='a1', recommended_article_id='a1'" in line


def test_lists_longer_than_recs_per_source_fail(broken_report):
    line = _failure(broken_report, "recommendations", "lists must be at most recs_per_source long")
    assert "2 of 39 lists" in line and "n_recommendations=4, max_recommendations=3" in line


def test_recommended_article_missing_from_articles_fails(broken_report):
    line = _failure(broken_report, "recommendations", "must exist in marts.articles")
    assert "recommended_article_id='zz9'" in line


def test_article_read_in_window_without_related_list_fails(broken_report):
    line = _failure(broken_report, "recommendations", "read in the serving cut's training window must")
    assert "must have related recommendations from every strategy served on its site" in line
    assert "site_id='herald', strategy='als', article_id='a2'" in line


def test_only_the_serving_cut_reads_need_a_served_related_list(clean_report, clean, tmp_path):
    """a5 was read in the earlier cut's window only (the clean warehouse passes); read at the serving cut,
    every strategy must serve a related list for it."""
    assert clean_report.results["recommendations"].success
    path = broken_copy(
        clean,
        tmp_path / "read_at_serving_cut.duckdb",
        "update recommender.recommender_cut_reads set cut_at = timestamp '2024-03-10 12:00:00' "
        "where article_id = 'a5'",
    )
    result = run_suite("recommendations", duckdb_path=str(path))
    line = next(f for f in result.failures if "every article read in the serving cut's training window" in f)
    assert "3 of 21 articles read in the window x strategy" in line and "article_id='a5'" in line


def test_site_without_a_strategy_fails(broken_report):
    line = _failure(
        broken_report, "recommendations", "must have current recommendations from als, item_knn, popularity"
    )
    assert "site_id='metro', strategy='item_knn'" in line


def test_broken_critical_suites_fail_the_report(broken_report):
    assert not broken_report.success
    assert broken_report.critical_failures == ["page_views", "interactions", "recommendations"]
    assert broken_report.results["raw_events"].success


def test_model_missing_from_the_registry_fails(clean, tmp_path):
    path = broken_copy(
        clean,
        tmp_path / "unregistered.duckdb",
        "insert into recommender.recommendations values "
        "('herald-als-0', 'herald', 'als', 'article', 'a1', 'a2', 1, 0.5)",
    )
    result = run_suite("recommendations", duckdb_path=str(path))
    assert result.failures == [
        "recommendations: every model_id must be in recommender.model_registry — 1 of 7 models (14.29%) "
        "are not, e.g. model_id='herald-als-0'"
    ]


def test_only_current_models_serve(clean, tmp_path):
    path = broken_copy(
        clean,
        tmp_path / "stale.duckdb",
        "update recommender.model_registry set status = 'stale' where model_id = 'herald-als-1'",
    )
    result = run_suite("recommendations", duckdb_path=str(path))
    assert result.statistics["current_models_only"] is True
    line = next(f for f in result.failures if "must have current recommendations from" in f)
    assert "site_id='herald', strategy='als'" in line


def test_strategies_required_are_those_of_the_warehouse(clean, tmp_path):
    """Strategies are data: the suites require those of model_registry. Without ALS (dbt-postgres has no
    Python models) nothing asks for it; a strategy registered only as failed is missing on every site."""
    without_als = broken_copy(
        clean,
        tmp_path / "no_als.duckdb",
        *(f"delete from {table} where strategy = 'als'" for table in (
            "recommender.model_registry", "recommender.recommendations", "evaluation.model_evaluations"
        )),
    )
    for suite in ("recommendations", "evaluations"):
        result = run_suite(suite, duckdb_path=str(without_als))
        assert result.success, result.failures
        assert result.statistics["strategies"] == ["item_knn", "popularity"]
        assert result.statistics["strategies_from"] == "recommender.model_registry"

    failing = broken_copy(
        clean,
        tmp_path / "failed_trending.duckdb",
        "insert into recommender.model_registry (model_id, run_id, site_id, strategy, trained_at, status) "
        "values ('herald-trending-1', 'run-2', 'herald', 'trending', timestamp '2024-03-10 12:00:00', "
        "'failed')",
    )
    result = run_suite("recommendations", duckdb_path=str(failing))
    line = next(f for f in result.failures if "must have current recommendations from" in f)
    assert "from als, item_knn, popularity, trending — 2 of 8 site x strategy pairs" in line
    assert "site_id='herald', strategy='trending'" in line and "site_id='metro', strategy='trending'" in line
    result = run_suite("evaluations", duckdb_path=str(failing))
    assert any("latest evaluation must cover" in f and "strategy='trending'" in f for f in result.failures)


# ---------------------------------------------------------------------------------------------- other suites
def test_evaluation_shares_out_of_range_fail_but_mean_age_is_not_a_share(broken_report, clean_report):
    line = _failure(broken_report, "evaluations", "metric values must be between 0 and 1")
    assert "metric='hr'" in line and "1.5" in line
    # mean_age_days is 12.5+ and n_cuts 12 in the clean data and pass
    assert clean_report.results["evaluations"].success


def test_evaluation_bootstrap_interval_out_of_order_fails(broken_report):
    line = _failure(broken_report, "evaluations", "a bootstrap interval must have ci_low <= ci_high")
    assert "1 of " in line and "site_id='herald', strategy='item_knn', task='related', metric='ndcg'" in line


def test_latest_evaluation_missing_a_strategy_fails_as_a_warning(broken_report):
    line = _failure(broken_report, "evaluations", "latest evaluation must cover")
    assert "site_id='metro', strategy='popularity'" in line
    assert "evaluations" not in broken_report.critical_failures


def test_page_views_duplicates_and_engaged_beyond_absolute_fail(broken_report):
    _failure(broken_report, "page_views", "page_view_id must be unique")
    line = _failure(
        broken_report, "page_views", "engaged_time_in_s must be <= absolute_time_in_s + heartbeat (10 s)"
    )
    assert "exceed it" in line and "page_view_id=" in line


def test_interactions_null_key_and_negative_dwell_fail(broken_report):
    line = _failure(broken_report, "interactions", "domain_userid must be present")
    assert "domain_userid=null" in line
    _failure(broken_report, "interactions", "dwell_s must be >= 0")


def test_raw_events_future_timestamp_is_outside_the_window_and_does_not_move_as_of(clean, tmp_path):
    path = broken_copy(
        clean,
        tmp_path / "future.duckdb",
        "insert into staging.stg_snowplow__events select * replace ("
        "timestamp '2099-01-01' as collector_tstamp) "
        "from staging.stg_snowplow__events limit 1",
    )
    strict = QualityParams.from_project(raw_tolerance_pct=0.0)
    result = run_suite("raw_events", duckdb_path=str(path), params=strict)
    assert not result.success
    assert result.statistics["as_of"] < "2024-03-11"
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
        "where field_count = 131 and raw_line like 'line 1%'",
    )
    result = run_suite("raw_events", duckdb_path=str(many))
    assert not result.success
    assert any("event_id must be a UUID" in f and "(allowed: 1.00%)" in f for f in result.failures)
    assert any("platform must be one of web" in f and "'xyz'" in f for f in result.failures)


# ---------------------------------------------------------------------------------------------- robustness
def test_missing_table_is_a_failed_result_with_a_way_to_build_it(clean, tmp_path):
    path = broken_copy(clean, tmp_path / "no_recs.duckdb", "drop table recommender.recommendations")
    result = run_suite("recommendations", duckdb_path=str(path))
    assert (result.success, result.status) == (False, "missing")
    assert result.failures == [
        "recommendations: recommender.recommendations does not exist yet — build it with "
        "`dbt build --select recommendations`"
    ]


def test_missing_column_fails_as_must_exist_and_skips_cross_table_checks(clean, tmp_path):
    path = broken_copy(
        clean, tmp_path / "no_model_id.duckdb", "alter table recommender.recommendations drop column model_id"
    )
    result = run_suite("recommendations", duckdb_path=str(path))
    assert not result.success
    assert any(
        "column model_id must exist in recommender.recommendations — it is missing" in f
        for f in result.failures
    )
    assert result.notes and "cross-table checks skipped" in result.notes[0]


def test_missing_articles_table_fails_only_the_check_that_needs_it(clean, tmp_path):
    path = broken_copy(clean, tmp_path / "no_articles.duckdb", "drop table marts.articles")
    result = run_suite("recommendations", duckdb_path=str(path))
    assert result.failures == [
        "recommendations: cannot check recommended articles exist: marts.articles does not exist"
    ]


def test_site_with_no_reads_needs_no_recommendations(clean, tmp_path):
    path = broken_copy(
        clean,
        tmp_path / "quiet_metro.duckdb",
        "delete from recommender.recommender_cut_reads where site_id = 'metro'",
        "delete from recommender.recommendations where site_id = 'metro'",
    )
    result = run_suite("recommendations", duckdb_path=str(path))
    assert result.success, result.failures


def test_large_frames_are_sampled_and_counted_exactly(broken, tmp_path):
    params = QualityParams.from_project(max_rows=20)
    result = run_suite("recommendations", duckdb_path=str(broken), params=params)
    stats = result.statistics
    assert stats["sampled"] is True and stats["sample_rows"] == 20 and stats["rows"] == 127
    line = next(f for f in result.failures if "score must be between 0 and 1" in f)
    assert "3 of 127 rows (2.36%) outside (exact count over all rows)" in line
    # the same sample every time: the smallest hash(row)
    again = run_suite("recommendations", duckdb_path=str(broken), params=params)
    assert again.failures == result.failures


def test_raw_events_from_a_staging_view_are_read_once(clean, tmp_path):
    path = broken_copy(
        clean,
        tmp_path / "view.duckdb",
        "alter table staging.stg_snowplow__events rename to raw_lines",
        "create view staging.stg_snowplow__events as select * from staging.raw_lines",
    )
    result = run_suite("raw_events", duckdb_path=str(path))
    assert result.success, result.failures
    assert result.statistics["rows"] == 240
    assert result.statistics["as_of"] == (AS_OF - timedelta(minutes=18)).isoformat(sep=" ")


def test_thresholds_come_from_the_dbt_project_vars(tmp_path):
    (tmp_path / "dbt_project.yml").write_text(
        "vars:\n  article_recs__heartbeat: 20\n  article_recs__recs_per_source: 7\n"
        "  article_recs__as_of: '2024-03-10 12:00:00'\n  article_recs__quality_raw_tolerance_pct: 2.5\n"
    )
    params = QualityParams.from_project(tmp_path, max_rows=1000)
    assert (params.heartbeat_s, params.recs_per_source, params.as_of) == (20, 7, "2024-03-10 12:00:00")
    assert params.raw_mostly == pytest.approx(0.975) and params.max_rows == 1000
    assert QualityParams.from_project(tmp_path / "nowhere") == QualityParams()

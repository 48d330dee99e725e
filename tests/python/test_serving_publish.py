"""Publishing DuckDB models to Postgres serving: atomic switch, idempotence, retention, widget read path."""

# ruff: noqa: F811  (pytest fixtures imported from pg_fixtures are redefined as test arguments)

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import duckdb
import pytest
from pg_fixtures import pg_database, pg_server  # noqa: F401

from article_recs.serving.connection import PgSettings, connect
from article_recs.serving.publish import PublishError, publish
from article_recs.serving.read import explain_related, related_articles
from article_recs.serving.synthetic import SyntheticModel, set_current, write_models

pytestmark = pytest.mark.postgres


def knn(version: int, site: str = "herald", n_articles: int = 200) -> SyntheticModel:
    return SyntheticModel(f"knn-{site}-v{version}", site, "item_knn", n_articles, 10, seed=version)


def pop(version: int, site: str = "herald") -> SyntheticModel:
    return SyntheticModel(f"pop-{site}-v{version}", site, "popularity", 200, 20, seed=version)


def served(settings: PgSettings) -> dict[str, str]:
    with connect(settings) as conn, conn.cursor() as cur:
        cur.execute("select model_id, status from serving.models")
        return dict(cur.fetchall())


def expected_related(duckdb_path: Path, model_id: str, article_id: str, n: int = 10) -> list[str]:
    con = duckdb.connect(str(duckdb_path), read_only=True)
    try:
        rows = con.execute(
            "select recommended_article_id from recommender.recommendations "
            "where model_id = ? and source_entity_type = 'article' and source_entity_id = ? "
            "order by rank limit ?",
            [model_id, article_id, n],
        ).fetchall()
    finally:
        con.close()
    return [r[0] for r in rows]


def test_publish_serves_current_models_and_the_widget_reads_them(tmp_path, pg_database):
    db = tmp_path / "wh.duckdb"
    write_models(
        db, [knn(1), knn(1, "metro"), pop(1)], current=["knn-herald-v1", "knn-metro-v1", "pop-herald-v1"]
    )

    result = publish(duckdb_path=db, settings=pg_database, keep=3)

    assert sorted(result.copied) == ["knn-herald-v1", "knn-metro-v1", "pop-herald-v1"]
    assert result.rows_copied == 200 * 10 * 2 + 20
    assert served(pg_database) == {
        "knn-herald-v1": "current",
        "knn-metro-v1": "current",
        "pop-herald-v1": "current",
    }
    with connect(pg_database, autocommit=True) as conn:
        recs = related_articles(conn, "herald", "17", 5)
        assert [r.article_id for r in recs] == expected_related(db, "knn-herald-v1", "17", 5)
        assert [r.rank for r in recs] == [1, 2, 3, 4, 5]
        assert {r.model_id for r in recs} == {"knn-herald-v1"}
        # an article without item-kNN rows falls back to the site's popularity list, without itself
        fallback = related_articles(conn, "herald", "unknown-article", 5)
        assert [r.strategy for r in fallback] == ["popularity"] * 5
        assert related_articles(conn, "nosuchsite", "17", 5) == []


def test_republishing_the_same_models_copies_nothing(tmp_path, pg_database):
    db = tmp_path / "wh.duckdb"
    write_models(db, [knn(1)], current=["knn-herald-v1"])
    publish(duckdb_path=db, settings=pg_database, keep=3)

    again = publish(duckdb_path=db, settings=pg_database, keep=3)

    assert again.copied == [] and again.reused == ["knn-herald-v1"] and again.activated == []
    assert served(pg_database) == {"knn-herald-v1": "current"}


def test_keeps_the_last_k_models_and_deletes_older_ones_with_their_rows(tmp_path, pg_database):
    db = tmp_path / "wh.duckdb"
    for version in range(1, 5):
        write_models(db, [knn(version), pop(1)], current=[f"knn-herald-v{version}", "pop-herald-v1"])
        publish(duckdb_path=db, settings=pg_database, keep=2)

    assert served(pg_database) == {
        "knn-herald-v4": "current",
        "knn-herald-v3": "stale",
        "pop-herald-v1": "current",
    }
    with connect(pg_database) as conn, conn.cursor() as cur:
        cur.execute("select model_id, count(*) from serving.recommendations group by 1 order by 1")
        assert cur.fetchall() == [("knn-herald-v3", 2000), ("knn-herald-v4", 2000), ("pop-herald-v1", 20)]


def test_a_stale_model_made_current_again_in_duckdb_is_served_without_a_copy(tmp_path, pg_database):
    db = tmp_path / "wh.duckdb"
    write_models(db, [knn(1)], current=["knn-herald-v1"])
    publish(duckdb_path=db, settings=pg_database, keep=3)
    write_models(db, [knn(2)], current=["knn-herald-v2"])
    publish(duckdb_path=db, settings=pg_database, keep=3)

    set_current(db, ["knn-herald-v1"])  # roll back
    result = publish(duckdb_path=db, settings=pg_database, keep=3)

    assert result.copied == [] and result.activated == ["knn-herald-v1"]
    assert served(pg_database) == {"knn-herald-v1": "current", "knn-herald-v2": "stale"}


def test_a_model_without_rows_is_not_published_and_the_previous_one_stays(tmp_path, pg_database):
    db = tmp_path / "wh.duckdb"
    write_models(db, [knn(1)], current=["knn-herald-v1"])
    publish(duckdb_path=db, settings=pg_database)
    write_models(
        db, [SyntheticModel("knn-herald-v2", "herald", "item_knn", 0, 10)], current=["knn-herald-v2"]
    )

    result = publish(duckdb_path=db, settings=pg_database)

    assert result.skipped_empty == ["knn-herald-v2"] and result.copied == []
    assert served(pg_database) == {"knn-herald-v1": "current"}


def test_publish_without_current_models_is_an_error(tmp_path, pg_database):
    db = tmp_path / "wh.duckdb"
    write_models(db, [knn(1)], current=[])
    with pytest.raises(PublishError, match="no current model"):
        publish(duckdb_path=db, settings=pg_database)
    with pytest.raises(PublishError, match="no DuckDB warehouse"):
        publish(duckdb_path=tmp_path / "missing.duckdb", settings=pg_database)


def test_the_widget_query_is_served_by_the_indexes(tmp_path, pg_database):
    db = tmp_path / "wh.duckdb"
    write_models(db, [knn(1, n_articles=5000)], current=["knn-herald-v1"])
    publish(duckdb_path=db, settings=pg_database)
    with connect(pg_database, autocommit=True) as conn:
        plan = explain_related(conn, "herald", "42")
    assert "Index Scan using models_one_current on models" in plan
    assert "Index Scan using recommendations_pkey on recommendations" in plan
    assert "Seq Scan" not in plan


def test_readers_see_no_gap_and_no_mix_while_models_are_published(tmp_path, pg_database):
    """A reader thread queries the widget path in a tight loop during several publishes: every answer is the
    complete top 10 of exactly one model, and that model is the old current or the new one."""
    db = tmp_path / "wh.duckdb"
    versions = [knn(v, n_articles=3000) for v in range(1, 5)]
    article = "123"
    write_models(db, versions, current=["knn-herald-v1"])
    expected = {m.model_id: expected_related(db, m.model_id, article) for m in versions}
    assert len({tuple(v) for v in expected.values()}) == len(versions)  # versions are distinguishable
    publish(duckdb_path=db, settings=pg_database, keep=2)

    answers: list[tuple[str, ...]] = []
    problems: list[str] = []
    stop = threading.Event()

    def reader() -> None:
        with connect(pg_database, autocommit=True) as conn:
            while not stop.is_set():
                recs = related_articles(conn, "herald", article, 10, fallback=None)
                models = {r.model_id for r in recs}
                if len(models) != 1:
                    problems.append(f"models in one answer: {sorted(models)} ({len(recs)} rows)")
                    continue
                (model_id,) = models
                if [r.article_id for r in recs] != expected[model_id]:
                    problems.append(f"answer of {model_id} is not its top 10")
                answers.append(model_id)

    thread = threading.Thread(target=reader, daemon=True)
    thread.start()
    try:
        for model in versions[1:]:
            set_current(db, [model.model_id])
            publish(duckdb_path=db, settings=pg_database, keep=2)
            deadline = time.monotonic() + 10
            while not (answers and answers[-1] == model.model_id) and time.monotonic() < deadline:
                time.sleep(0.01)
            assert answers and answers[-1] == model.model_id, "the reader never saw the new model"
    finally:
        stop.set()
        thread.join(timeout=10)

    assert problems == []
    seen = [m for i, m in enumerate(answers) if i == 0 or answers[i - 1] != m]
    assert seen == [m.model_id for m in versions]  # in order, each switch once, none skipped
    assert len(answers) > 100


def test_the_read_path_benchmark_reports_percentiles_and_the_index(pg_server):
    from article_recs.serving.bench import bench_read_path

    report = bench_read_path(
        rows=4000, queries=50, settings=pg_server, database=f"ar_t_{os.getpid()}_bench", drop_after=True
    )

    assert report["rows"] == 4000 + 2 * 50  # item-kNN rows + two popularity lists
    assert report["empty_results"] == 0 and report["index_used"]
    assert 0 < report["p50_ms"] <= report["p95_ms"] <= report["max_ms"]

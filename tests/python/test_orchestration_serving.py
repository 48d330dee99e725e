"""The Dagster step that publishes to the Postgres serving store after a build (ARTICLE_RECS_PUBLISH=1)."""

# ruff: noqa: F811  (pytest fixtures imported from pg_fixtures are redefined as test arguments)

from __future__ import annotations

import pytest
from dagster import materialize
from pg_fixtures import pg_database, pg_server  # noqa: F401

from article_recs.serving.connection import PgSettings, connect
from article_recs.serving.synthetic import SyntheticModel, write_models

pytestmark = pytest.mark.postgres


def _pg_env(monkeypatch: pytest.MonkeyPatch, settings: PgSettings) -> None:
    monkeypatch.setenv("ARTICLE_RECS_PG_HOST", settings.host)
    monkeypatch.setenv("ARTICLE_RECS_PG_PORT", str(settings.port))
    monkeypatch.setenv("ARTICLE_RECS_PG_USER", settings.user)
    monkeypatch.setenv("ARTICLE_RECS_PG_PASSWORD", settings.password)
    monkeypatch.setenv("ARTICLE_RECS_PG_DATABASE", settings.database)


def test_the_serving_asset_exists_only_when_publishing_is_switched_on(monkeypatch):
    from orchestration.assets.serving import publish_enabled

    monkeypatch.delenv("ARTICLE_RECS_PUBLISH", raising=False)
    assert not publish_enabled()
    monkeypatch.setenv("ARTICLE_RECS_PUBLISH", "1")
    assert publish_enabled()


def test_the_serving_asset_publishes_current_models_to_postgres(tmp_path, monkeypatch, pg_database):
    from orchestration.assets.serving import postgres_serving

    db = tmp_path / "wh.duckdb"
    write_models(db, [SyntheticModel("knn-herald-v1", "herald", n_articles=30)], current=["knn-herald-v1"])
    monkeypatch.setenv("ARTICLE_RECS_DUCKDB_PATH", str(db))
    _pg_env(monkeypatch, pg_database)

    result = materialize([postgres_serving])

    assert result.success
    metadata = result.asset_materializations_for_node("postgres_serving")[0].metadata
    assert metadata["rows_copied"].value == 300
    with connect(pg_database, autocommit=True) as conn, conn.cursor() as cur:
        cur.execute("select model_id, status from serving.models")
        assert cur.fetchall() == [("knn-herald-v1", "current")]


def test_the_serving_asset_fails_naming_host_and_port_when_postgres_is_down(tmp_path, monkeypatch):
    from orchestration.assets.serving import postgres_serving

    db = tmp_path / "wh.duckdb"
    write_models(db, [SyntheticModel("knn-herald-v1", "herald", n_articles=5)], current=["knn-herald-v1"])
    monkeypatch.setenv("ARTICLE_RECS_DUCKDB_PATH", str(db))
    _pg_env(monkeypatch, PgSettings(host="127.0.0.1", port=9, user="nobody", password="", database="x"))

    result = materialize([postgres_serving], raise_on_error=False)

    assert not result.success
    failure = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"][0]
    assert "127.0.0.1:9" in str(failure.event_specific_data.error)

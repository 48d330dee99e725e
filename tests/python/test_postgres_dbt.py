"""The SQL layer on both warehouses: the same generated events built on DuckDB (from the TSV files) and on
PostgreSQL (from atomic.events, loaded by load-postgres) give the same marts, the same cuts, lists of the SQL
strategies at every cut, and the same rolling evaluation of them."""

# ruff: noqa: F811  (pytest fixtures imported from pg_fixtures are redefined as test arguments)

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from pg_fixtures import create_database, drop_database, pg_server  # noqa: F401
from warehouse_compare import (
    CUT_CHECKS,
    MART_CHECKS,
    SELECT,
    STRATEGY_CHECKS,
    assert_same_rows,
    build_duckdb,
    dbt_vars,
    duck_rows,
    generated_events,
)

from article_recs.dbt_runner import run_dbt
from article_recs.serving.connection import PgSettings, connect
from article_recs.serving.load_postgres import load_article_metadata, load_postgres

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


@pytest.fixture(scope="module")
def events(tmp_path_factory) -> Path:
    return generated_events(tmp_path_factory.mktemp("both_events"), users=400, articles=60, days=4)


def _build_postgres(events: Path, work: Path, settings: PgSettings) -> str:
    load_postgres(events, settings=settings)
    load_article_metadata(events / "articles" / "articles.csv", settings=settings)
    env = {
        "ARTICLE_RECS_PG_HOST": settings.host,
        "ARTICLE_RECS_PG_PORT": str(settings.port),
        "ARTICLE_RECS_PG_USER": settings.user,
        "ARTICLE_RECS_PG_PASSWORD": settings.password,
        "ARTICLE_RECS_PG_DATABASE": settings.database,
    }
    # one cut time per batch (macros/recommender_cuts.sql, cut_batches) where DuckDB computes every cut at
    # once: the comparisons below then also check that batched cut-keyed models equal unbatched ones
    return run_dbt(
        ["build", "--select", *SELECT],
        target="postgres",
        target_path=work / "target",
        env=env,
        dbt_vars=dbt_vars(events, article_recs__events_source="atomic", article_recs__cut_batch_sources=1),
    ).stdout


@pytest.fixture(scope="module")
def builds(events, tmp_path_factory, pg_server) -> tuple[Path, PgSettings, str]:
    """Both builds, side by side (two dbt processes; each also runs the selected models' data tests), and
    the PostgreSQL build's log."""
    name = f"ar_t_{os.getpid()}_dbt"
    settings = create_database(pg_server, name)
    try:
        with ThreadPoolExecutor(max_workers=2) as pool:
            duck = pool.submit(build_duckdb, events, tmp_path_factory.mktemp("duck"))
            pg = pool.submit(_build_postgres, events, tmp_path_factory.mktemp("pg"), settings)
            pg_log = pg.result()
            path = duck.result()
        yield path, settings, pg_log
    finally:
        drop_database(pg_server, name)


@pytest.fixture(scope="module")
def duckdb_build(builds) -> Path:
    return builds[0]


@pytest.fixture(scope="module")
def postgres_build(builds) -> PgSettings:
    return builds[1]


def test_postgres_builds_recommendation_lists_in_batches_of_cut_times(builds) -> None:
    # (ranker_candidates, the other batched model, is built where ranked_lists runs: DuckDB and Spark)
    assert "recommendation_lists: cut batch 2 of " in builds[2]


def _pg_rows(settings: PgSettings, sql: str) -> list[tuple]:
    with connect(settings) as conn, conn.cursor() as cur:
        cur.execute(sql)
        return cur.fetchall()


@pytest.mark.parametrize("name,sql", MART_CHECKS, ids=[c[0] for c in MART_CHECKS])
def test_marts_are_the_same_on_duckdb_and_postgres(name, sql, duckdb_build, postgres_build):
    duck = duck_rows(duckdb_build, sql)
    assert_same_rows(duck, _pg_rows(postgres_build, sql))
    assert duck and duck[0][0], f"{name}: empty on both, nothing compared"


@pytest.mark.parametrize("name,sql", CUT_CHECKS, ids=[c[0] for c in CUT_CHECKS])
def test_cuts_candidates_and_cases_are_the_same_on_duckdb_and_postgres(
    name, sql, duckdb_build, postgres_build
):
    duck = duck_rows(duckdb_build, sql)
    assert_same_rows(duck, _pg_rows(postgres_build, sql))
    assert duck, f"{name}: empty on both, nothing compared"


STRATEGIES_SQL = "select distinct strategy from recommender.recommendation_lists order by strategy"


def _postgres_strategies(settings: PgSettings) -> list[str]:
    return [r[0] for r in _pg_rows(settings, STRATEGIES_SQL)]


def test_postgres_builds_every_sql_strategy_and_serves_them(duckdb_build, postgres_build):
    """Every strategy of the PostgreSQL build is one DuckDB has too (DuckDB adds its Python ones), and each is
    served and registered there: recommendations and model_registry build on PostgreSQL."""
    on_pg = _postgres_strategies(postgres_build)
    on_duck = [r[0] for r in duck_rows(duckdb_build, STRATEGIES_SQL)]
    assert len(on_pg) >= 2 and set(on_pg) < set(on_duck)
    served = _pg_rows(
        postgres_build,
        "select registry.site_id, registry.strategy, count(*) from recommender.model_registry as registry "
        "inner join recommender.recommendations as recs on registry.model_id = recs.model_id "
        "where registry.status = 'current' group by registry.site_id, registry.strategy "
        "order by registry.site_id, registry.strategy",
    )
    sites = sorted({site for site, _, _ in served})
    assert len(sites) == 2
    assert [(site, strategy) for site, strategy, _ in served] == [(s, t) for s in sites for t in on_pg]
    assert all(n > 0 for _, _, n in served)


@pytest.mark.parametrize("table,sql", STRATEGY_CHECKS, ids=[c[0] for c in STRATEGY_CHECKS])
def test_strategy_lists_and_evaluations_are_the_same_on_duckdb_and_postgres(
    table, sql, duckdb_build, postgres_build
):
    strategies = _postgres_strategies(postgres_build)
    assert strategies, "no strategy on PostgreSQL"
    sql = sql.format(strategies=", ".join(f"'{s}'" for s in strategies))
    duck, pg = duck_rows(duckdb_build, sql), _pg_rows(postgres_build, sql)
    assert len(pg) > 0
    assert {row[2] if table != "model_evaluations" else row[1] for row in pg} == set(strategies)
    assert_same_rows(duck, pg)

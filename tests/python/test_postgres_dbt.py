"""The SQL layer on both warehouses: the same generated events built on DuckDB (from the TSV files) and on
PostgreSQL (from atomic.events, loaded by load-postgres) give the same marts, the same cuts, lists of the SQL
strategies at every cut, and the same rolling evaluation of them."""

# ruff: noqa: F811  (pytest fixtures imported from pg_fixtures are redefined as test arguments)

from __future__ import annotations

import math
import os
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path

import duckdb
import pytest
from pg_fixtures import create_database, drop_database, pg_server  # noqa: F401

from article_recs.dbt_runner import run_dbt
from article_recs.serving.connection import PgSettings, connect
from article_recs.serving.load_postgres import load_article_metadata, load_postgres
from article_recs.tools.generate import GenerateConfig, generate

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

AS_OF = "2024-03-10 00:00:00"

#: (name, query): every query is portable SQL; rows are compared exactly (floats to 1e-6 relative).
MART_CHECKS = [
    (
        "page_views",
        "select count(*), count(distinct page_view_id), sum(engaged_time_in_s), "
        "sum(absolute_time_in_s), sum(page_pings), count(article_id) from marts.page_views",
    ),
    (
        "page_views_by_site",
        "select site_id, count(*), sum(engaged_time_in_s) from marts.page_views "
        "group by site_id order by site_id",
    ),
    ("sessions", "select count(*), sum(page_views), sum(engaged_time_in_s) from marts.sessions"),
    ("users", "select count(*), sum(sessions), sum(page_views) from marts.users"),
    ("articles", "select count(*), sum(page_views), sum(readers), count(published_at) from marts.articles"),
    ("interactions", "select count(*), sum(dwell_s), sum(reads) from marts.interactions"),
]
#: What both builds run (models and their data tests): the marts, and the recommender and evaluation models
#: with their parents. On PostgreSQL that is every SQL model (dbt-postgres has no Python models: no ALS, no
#: oracle); recommendations and model_registry are built too, but their rows carry the run's model_id.
SELECT = [
    "+path:models/marts/core",
    "+path:models/marts/recommender",
    "+path:models/marts/evaluation",
    "--indirect-selection",
    "cautious",
]
#: (name, query) per cut: the same on both builds, whatever strategies each has.
CUT_CHECKS = [
    (
        "recommender_cuts",
        "select site_id, cut_at, is_serving, is_scored, eval_window_end from recommender.recommender_cuts "
        "order by site_id, cut_at",
    ),
    (
        "recommender_candidates",
        "select site_id, cut_at, count(*), sum(age_days), sum(decay) from recommender.recommender_candidates "
        "group by site_id, cut_at order by site_id, cut_at",
    ),
    (
        "recommender_cut_reads",
        "select site_id, cut_at, count(*), sum(dwell_s), sum(reads) from recommender.recommender_cut_reads "
        "group by site_id, cut_at order by site_id, cut_at",
    ),
    (
        "recommender_training_interactions",
        "select site_id, cut_at, count(*), count(distinct domain_userid), sum(dwell_s) "
        "from recommender.recommender_training_interactions "
        "group by site_id, cut_at order by site_id, cut_at",
    ),
    (
        "eval_related_cases",
        "select site_id, cut_at, count(*), sum(case when is_cold_start then 1 else 0 end) "
        "from evaluation.eval_related_cases group by site_id, cut_at order by site_id, cut_at",
    ),
    (
        "eval_reader_cases",
        "select site_id, cut_at, count(*), count(distinct domain_userid) "
        "from evaluation.eval_reader_cases group by site_id, cut_at order by site_id, cut_at",
    ),
]
#: (table, query) per strategy: compared on the strategies the PostgreSQL build has (read from its data, in
#: place of ``{strategies}``); DuckDB has those and its Python ones.
STRATEGY_CHECKS = [
    (
        "recommendation_lists",
        "select site_id, cut_at, strategy, source_entity_type, source_entity_id, rank, "
        "recommended_article_id, score, is_fill from recommender.recommendation_lists "
        "where strategy in ({strategies}) "
        "order by site_id, cut_at, strategy, source_entity_type, source_entity_id, rank",
    ),
    (
        "eval_case_hits",
        "select site_id, cut_at, strategy, task, count(*), sum(hr), sum(ndcg), sum(mrr), sum(recall), "
        "sum(cold_start) from evaluation.eval_case_hits where strategy in ({strategies}) "
        "group by site_id, cut_at, strategy, task order by site_id, cut_at, strategy, task",
    ),
    (
        # the bootstrap intervals hash each case with the database's own hash function: values only
        "model_evaluations",
        "select site_id, strategy, task, metric, k, value from evaluation.model_evaluations "
        "where strategy in ({strategies}) order by site_id, strategy, task, metric, k",
    ),
]


@pytest.fixture(scope="module")
def events(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("both_events")
    generate(
        GenerateConfig(
            out=out, users=400, articles=60, days=4, sites=2, seed=5, end=date(2024, 3, 10), quiet=True
        )
    )
    return out


def _vars(out: Path, **extra: object) -> dict[str, object]:
    return {
        "article_recs__as_of": AS_OF,
        "article_recs__events_path": f"{out}/events/**/*.tsv*",
        "article_recs__article_metadata_path": f"{out}/articles/articles.csv",
        "article_recs__ground_truth_path": f"{out}/ground_truth",
        **extra,
    }


def _build_duckdb(events: Path, work: Path) -> Path:
    path = work / "warehouse.duckdb"
    run_dbt(
        ["build", "--select", *SELECT], duckdb_path=path, target_path=work / "target", dbt_vars=_vars(events)
    )
    return path


def _build_postgres(events: Path, work: Path, settings: PgSettings) -> None:
    load_postgres(events, settings=settings)
    load_article_metadata(events / "articles" / "articles.csv", settings=settings)
    env = {
        "ARTICLE_RECS_PG_HOST": settings.host,
        "ARTICLE_RECS_PG_PORT": str(settings.port),
        "ARTICLE_RECS_PG_USER": settings.user,
        "ARTICLE_RECS_PG_PASSWORD": settings.password,
        "ARTICLE_RECS_PG_DATABASE": settings.database,
    }
    run_dbt(
        ["build", "--select", *SELECT],
        target="postgres",
        target_path=work / "target",
        env=env,
        dbt_vars=_vars(events, article_recs__events_source="atomic"),
    )


@pytest.fixture(scope="module")
def builds(events, tmp_path_factory, pg_server) -> tuple[Path, PgSettings]:
    """Both builds, side by side (two dbt processes; each also runs the selected models' data tests)."""
    name = f"ar_t_{os.getpid()}_dbt"
    settings = create_database(pg_server, name)
    try:
        with ThreadPoolExecutor(max_workers=2) as pool:
            duck = pool.submit(_build_duckdb, events, tmp_path_factory.mktemp("duck"))
            pg = pool.submit(_build_postgres, events, tmp_path_factory.mktemp("pg"), settings)
            pg.result()
            path = duck.result()
        yield path, settings
    finally:
        drop_database(pg_server, name)


@pytest.fixture(scope="module")
def duckdb_build(builds) -> Path:
    return builds[0]


@pytest.fixture(scope="module")
def postgres_build(builds) -> PgSettings:
    return builds[1]


def _duck_rows(path: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def _pg_rows(settings: PgSettings, sql: str) -> list[tuple]:
    with connect(settings) as conn, conn.cursor() as cur:
        cur.execute(sql)
        return cur.fetchall()


def _normal(rows: list[tuple]) -> list[tuple]:
    """Comparable values: numbers as floats, booleans and nulls as they are, the rest as text."""

    def norm(value: object) -> object:
        if value is None or isinstance(value, bool):
            return value
        try:
            return float(value)  # int, float, Decimal
        except (TypeError, ValueError):
            return str(value)

    return [tuple(norm(v) for v in row) for row in rows]


def _assert_same(duck_rows: list[tuple], pg_rows: list[tuple]) -> None:
    """The same rows in the same order; floats equal to 1e-6 relative (sums of doubles differ in the last
    digits between the two databases)."""
    duck, pg = _normal(duck_rows), _normal(pg_rows)
    assert len(duck) == len(pg), f"{len(duck)} rows on DuckDB, {len(pg)} on PostgreSQL"

    def same(a: object, b: object) -> bool:
        if isinstance(a, float) and isinstance(b, float):
            return math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-9)
        return a == b

    for i, (d, p) in enumerate(zip(duck, pg, strict=True)):
        assert len(d) == len(p) and all(same(a, b) for a, b in zip(d, p, strict=True)), (
            f"row {i}: DuckDB {d} != PostgreSQL {p}"
        )


@pytest.mark.parametrize("name,sql", MART_CHECKS, ids=[c[0] for c in MART_CHECKS])
def test_marts_are_the_same_on_duckdb_and_postgres(name, sql, duckdb_build, postgres_build):
    duck = _duck_rows(duckdb_build, sql)
    _assert_same(duck, _pg_rows(postgres_build, sql))
    assert duck and duck[0][0], f"{name}: empty on both, nothing compared"


@pytest.mark.parametrize("name,sql", CUT_CHECKS, ids=[c[0] for c in CUT_CHECKS])
def test_cuts_candidates_and_cases_are_the_same_on_duckdb_and_postgres(
    name, sql, duckdb_build, postgres_build
):
    duck = _duck_rows(duckdb_build, sql)
    _assert_same(duck, _pg_rows(postgres_build, sql))
    assert duck, f"{name}: empty on both, nothing compared"


STRATEGIES_SQL = "select distinct strategy from recommender.recommendation_lists order by strategy"


def _postgres_strategies(settings: PgSettings) -> list[str]:
    return [r[0] for r in _pg_rows(settings, STRATEGIES_SQL)]


def test_postgres_builds_every_sql_strategy_and_serves_them(duckdb_build, postgres_build):
    """Every strategy of the PostgreSQL build is one DuckDB has too (DuckDB adds its Python ones), and each is
    served and registered there: recommendations and model_registry build on PostgreSQL."""
    on_pg = _postgres_strategies(postgres_build)
    on_duck = [r[0] for r in _duck_rows(duckdb_build, STRATEGIES_SQL)]
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
    duck, pg = _duck_rows(duckdb_build, sql), _pg_rows(postgres_build, sql)
    assert len(pg) > 0
    assert {row[2] if table != "model_evaluations" else row[1] for row in pg} == set(strategies)
    _assert_same(duck, pg)

"""The SQL layer on local Apache Spark (dbt-spark, `method: session`): the same generated events built on
DuckDB and on Spark give the same marts, cuts, candidates and evaluation cases, and the same lists and
evaluations of every SQL strategy, row for row. The Spark warehouse is built in two runs - the first two
thirds of the hour folders, then all of them - so its second run (after a previous run's state) is what is
compared with DuckDB's single full build.

Needs Java (make spark-deps installs Debian's openjdk-17-jre-headless, and pyspark + dbt-spark): skipped, with
the reason in the output, only where no Java runtime can be found."""

from __future__ import annotations

import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import duckdb
import pytest
from warehouse_compare import (
    CUT_CHECKS,
    MART_CHECKS,
    STRATEGY_CHECKS,
    assert_same_rows,
    build_duckdb,
    dbt_vars,
    duck_rows,
    generated_events,
)

from article_recs.spark_models import build as build_on_spark
from article_recs.spark_warehouse import attach_views, java_available

pytestmark = [pytest.mark.spark, pytest.mark.slow]

if not java_available():
    pytest.skip(
        "Spark tests skipped: no Java runtime on this machine (make spark-deps installs Debian's "
        "openjdk-17-jre-headless; it could not be installed here)",
        allow_module_level=True,
    )
pytest.importorskip("dbt.adapters.spark", reason="Spark tests skipped: dbt-spark missing (make spark-deps)")


@pytest.fixture(scope="module")
def events(tmp_path_factory) -> Path:
    """About 5k events: 2 sites, 3 days."""
    return generated_events(tmp_path_factory.mktemp("spark_events"), users=350, articles=50, days=3)


def _build_spark(out: Path, work: Path) -> Path:
    """Two runs on one Spark warehouse: the SQL models on the first two thirds of the hour folders, then
    everything (the Python models run by article_recs.spark_models) on every folder."""
    warehouse = work / "spark"
    env = {"ARTICLE_RECS_SPARK_WAREHOUSE": str(warehouse)}
    hours = sorted(p for p in (out / "events").glob("*/*/*/*") if p.is_dir())
    landing = work / "landing"
    # the first run builds the SQL models (a completed run: every stateful Snowplow model is in it), the
    # second everything, the Python models run by article_recs.spark_models included
    args = ["build", "--exclude-resource-type", "test", "unit_test"]
    for batch, python_models in ((hours[: 2 * len(hours) // 3], False), (hours[2 * len(hours) // 3 :], True)):
        for hour in batch:
            shutil.copytree(hour, landing / hour.relative_to(out / "events"))
        build_on_spark(
            args,
            target="spark",
            target_path=work / "target",
            env=env,
            dbt_vars=dbt_vars(out, landing),
            python_models=python_models,
        )
    return warehouse


@pytest.fixture(scope="module")
def builds(events, tmp_path_factory) -> tuple[Path, duckdb.DuckDBPyConnection]:
    """Both builds side by side; the Spark tables are read through DuckDB views of their Parquet files."""
    with ThreadPoolExecutor(max_workers=2) as pool:
        duck = pool.submit(build_duckdb, events, tmp_path_factory.mktemp("duck"))
        spark = pool.submit(_build_spark, events, tmp_path_factory.mktemp("spark"))
        warehouse = spark.result()
        path = duck.result()
    con = duckdb.connect()
    assert attach_views(con, warehouse), "no Spark table found"
    yield path, con
    con.close()


@pytest.fixture(scope="module")
def duckdb_build(builds) -> Path:
    return builds[0]


@pytest.fixture(scope="module")
def spark_build(builds) -> duckdb.DuckDBPyConnection:
    return builds[1]


def test_spark_ran_twice_and_the_second_run_read_every_file(spark_build):
    runs = spark_build.execute(
        "select run_seq, is_full_refresh from intermediate.int_runs_completed order by run_seq"
    ).fetchall()
    assert [seq for seq, _ in runs] == [1, 2]
    # plain Parquet tables have no DELETE: every Spark run rebuilds the stateful models whole (README)
    assert all(full for _, full in runs)


@pytest.mark.parametrize("name,sql", MART_CHECKS, ids=[c[0] for c in MART_CHECKS])
def test_marts_are_the_same_on_duckdb_and_spark(name, sql, duckdb_build, spark_build):
    duck = duck_rows(duckdb_build, sql)
    assert_same_rows(duck, spark_build.execute(sql).fetchall(), other="Spark")
    assert duck and duck[0][0], f"{name}: empty on both, nothing compared"


@pytest.mark.parametrize("name,sql", CUT_CHECKS, ids=[c[0] for c in CUT_CHECKS])
def test_cuts_candidates_and_cases_are_the_same_on_duckdb_and_spark(name, sql, duckdb_build, spark_build):
    duck = duck_rows(duckdb_build, sql)
    assert_same_rows(duck, spark_build.execute(sql).fetchall(), other="Spark")
    assert duck, f"{name}: empty on both, nothing compared"


@pytest.mark.parametrize("table,sql", STRATEGY_CHECKS, ids=[c[0] for c in STRATEGY_CHECKS])
def test_strategy_lists_and_evaluations_are_the_same_on_duckdb_and_spark(
    table, sql, duckdb_build, spark_build
):
    strategies = [
        r[0]
        for r in spark_build.execute(
            "select distinct strategy from recommender.recommendation_lists order by strategy"
        ).fetchall()
    ]
    # the SQL strategies, and the Python ones (ALS, content, ranked) that article_recs.spark_models ran
    expected = {"item_knn", "popularity", "trending", "covisitation", "als", "content", "ranked"}
    assert expected <= set(strategies)
    sql = sql.format(strategies=", ".join(f"'{s}'" for s in strategies))
    spark = spark_build.execute(sql).fetchall()
    assert spark
    assert_same_rows(duck_rows(duckdb_build, sql), spark, other="Spark")


def test_spark_serves_and_registers_every_strategy_it_built(spark_build):
    served = spark_build.execute(
        "select registry.site_id, registry.strategy, count(*) from recommender.model_registry as registry "
        "inner join recommender.recommendations as recs on registry.model_id = recs.model_id "
        "where registry.status = 'current' group by registry.site_id, registry.strategy "
        "order by registry.site_id, registry.strategy"
    ).fetchall()
    assert len({site for site, _, _ in served}) == 2
    assert all(n > 0 for _, _, n in served)

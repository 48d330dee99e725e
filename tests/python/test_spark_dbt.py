"""The SQL layer on local Apache Spark (dbt-spark, `method: session`): the same generated events built on
DuckDB and on Spark give the same marts, cuts, candidates and evaluation cases, and the same lists and
evaluations of every SQL strategy, row for row. The Spark warehouse is built in two runs, three hours apart
(as_of): the first builds the SQL models, the second everything. The cut-keyed models are incremental on
Spark (insert_overwrite of one partition per cut): the second run computes only the new cuts and drops the
partitions of the cuts that left the window, keeps the others' files as they were, and what it leaves is
compared with DuckDB's single full build - an incremental run against a full refresh.

Needs Java (make spark-deps installs Debian's openjdk-17-jre-headless, and pyspark + dbt-spark): skipped, with
the reason in the output, only where no Java runtime can be found."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import duckdb
import pytest
from warehouse_compare import (
    AS_OF,
    CUT_CHECKS,
    MART_CHECKS,
    STRATEGY_CHECKS,
    assert_same_rows,
    build_duckdb,
    dbt_vars,
    duck_rows,
    generated_events,
    skip_without_spark,
)

from article_recs.spark_models import build as build_on_spark
from article_recs.spark_warehouse import attach_views, spark_tables

pytestmark = [pytest.mark.spark, pytest.mark.slow]

skip_without_spark()


@pytest.fixture(scope="module")
def events(tmp_path_factory) -> Path:
    """About 5k events: 2 sites, 3 days."""
    return generated_events(tmp_path_factory.mktemp("spark_events"), users=350, articles=50, days=3)


#: The first Spark run's as_of: three hours before AS_OF, off the two-hour grid, so that its serving cut and
#: the oldest cut of its ranker tail leave the window at the second run (their partitions dropped).
FIRST_AS_OF = "2024-03-09 21:00:00"
#: What the first run builds (with their parents): the cut-keyed models that need no Python model and the
#: stateful Snowplow models (a run records itself as completed only when it built all of them) - not the
#: online evaluation and the evaluation cases, which only the second run needs.
FIRST_RUN_MODELS = [
    "recommender_list_sources",
    "popularity_lists",
    "trending_lists",
    "covisitation_lists",
    "item_knn_lists",
    "events_quarantine",
    "int_events_load_outcomes",
    "int_articles_aggregated",
    "page_views",
    "sessions",
    "users",
    "interactions",
]


def cut_partitions(warehouse: Path) -> dict[tuple[str, str], dict[str, set[str]]]:
    """(schema, table) -> partition folder (site_id=../cut_at=..) -> its Parquet files, of every table
    partitioned by cut."""
    found = {}
    for key, folder in spark_tables(warehouse).items():
        parts: dict[str, set[str]] = {}
        for file in folder.glob("site_id=*/cut_at=*/*.parquet"):
            parts.setdefault(str(file.parent.relative_to(folder)), set()).add(file.name)
        if parts:
            found[key] = parts
    return found


def _build_spark(out: Path, work: Path) -> tuple[Path, dict]:
    """Two runs on one Spark warehouse, on every hour folder: the SQL models at FIRST_AS_OF, then everything
    (the Python models run by article_recs.spark_models) at AS_OF. Returns the warehouse and the cut
    partitions the first run left."""
    warehouse = work / "spark"
    env = {"ARTICLE_RECS_SPARK_WAREHOUSE": str(warehouse)}
    args = ["build", "--exclude-resource-type", "test", "unit_test"]
    first_run = ["--select", *[f"+{m}" for m in FIRST_RUN_MODELS]]
    first = None
    for as_of, python_models in ((FIRST_AS_OF, False), (AS_OF, True)):
        build_on_spark(
            args + (first_run if first is None else []),
            target="spark",
            target_path=work / "target",
            env=env,
            dbt_vars=dbt_vars(out, article_recs__as_of=as_of),
            python_models=python_models,
        )
        if first is None:
            first = cut_partitions(warehouse)
    return warehouse, first


@pytest.fixture(scope="module")
def builds(events, tmp_path_factory) -> tuple[Path, duckdb.DuckDBPyConnection, Path, dict]:
    """Both builds side by side; the Spark tables are read through DuckDB views of their Parquet files."""
    with ThreadPoolExecutor(max_workers=2) as pool:
        duck = pool.submit(build_duckdb, events, tmp_path_factory.mktemp("duck"))
        spark = pool.submit(_build_spark, events, tmp_path_factory.mktemp("spark"))
        warehouse, first_run = spark.result()
        path = duck.result()
    con = duckdb.connect()
    assert attach_views(con, warehouse), "no Spark table found"
    yield path, con, warehouse, first_run
    con.close()


@pytest.fixture(scope="module")
def duckdb_build(builds) -> Path:
    return builds[0]


@pytest.fixture(scope="module")
def spark_build(builds) -> duckdb.DuckDBPyConnection:
    return builds[1]


def test_spark_ran_twice_and_the_snowplow_models_were_rebuilt_whole(spark_build):
    runs = spark_build.execute(
        "select run_seq, is_full_refresh from intermediate.int_runs_completed order by run_seq"
    ).fetchall()
    assert [seq for seq, _ in runs] == [1, 2]
    # plain Parquet tables have no DELETE: every Spark run rebuilds the Snowplow models whole (README)
    assert all(full for _, full in runs)


def test_the_second_run_wrote_only_the_new_cuts_and_dropped_the_retired_ones(builds):
    _, con, warehouse, first = builds
    cuts = {
        f"site_id={site}/cut_at={cut:%Y-%m-%d %H%%3A%M%%3A%S}"
        for site, cut in con.execute("select site_id, cut_at from recommender.recommender_cuts").fetchall()
    }
    now = cut_partitions(warehouse)
    assert first, "the first run left no table partitioned by cut"
    for table, before in first.items():
        after = now[table]
        kept, retired, new = before.keys() & cuts, before.keys() - cuts, after.keys() - before.keys()
        # the cuts of both runs: the same files (not rewritten); the first run's serving cut and oldest tail
        # cut: gone; the cuts new at AS_OF: written by the second run
        assert kept and retired and new, f"{table}: kept {len(kept)}, retired {len(retired)}, new {len(new)}"
        assert all(after.get(part) == before[part] for part in kept), f"{table}: a kept cut was rewritten"
        assert after.keys() <= cuts, f"{table}: holds cuts recommender_cuts does not list"


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

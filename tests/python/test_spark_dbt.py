"""The SQL layer on local Apache Spark (dbt-spark, `method: session`): the same generated events built on
DuckDB and on Spark give the same marts, cuts, candidates and evaluation cases, and the same lists and
evaluations of every SQL strategy, row for row. DuckDB builds all the events at once (a full refresh); the
Spark warehouse is built in two runs, three hours apart (as_of): the first on the event files but two hour
folders of the last evening (the SQL models), the second, incremental, on all of them (everything). Both
kinds of incremental models are checked on Spark: the Snowplow models overwrite the partitions the run
touches (the event store's partition of the first run keeps its files), the cut-keyed models compute only
the new cuts and drop the partitions of the cuts that left the window, keeping the others' files as they
were; and what the two runs leave is compared with DuckDB's single full build - an incremental run against a
full refresh.

Compressed event files that cannot be read whole are among the events (one Spark build for both): the build
goes on, each such file is quarantined as a file with the same reason and size as on DuckDB (int_event_files
over Spark's binaryFile source), and every usable line of the readable files is used, the lines before the
break of a truncated gzip too. Two differences, stated in macros/spark.sql: Spark lists no file of 0 bytes,
so an empty .gz (no line to lose) is quarantined as empty_file on DuckDB only; and Spark loses the part of a
line where a truncated gzip breaks (DuckDB quarantines it as wrong_field_count), so the truncated file's
lines_recovered is one fewer.

Needs Java (make spark-deps installs Debian's openjdk-17-jre-headless, and pyspark + dbt-spark): skipped, with
the reason in the output, only where no Java runtime can be found."""

from __future__ import annotations

import gzip
import random
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


FILE_REASONS = ("empty_file", "not_gzip", "truncated_gzip")
QUARANTINED_FILES = f"""
    select source_file, quarantine_reason, file_bytes, lines_recovered from staging.events_quarantine
    where quarantine_reason in {FILE_REASONS}
"""
#: The lines of each file that were not quarantined (every outcome but quarantined:*), over all runs
LINES_PER_FILE = """
    select load_partition, sum(events) from intermediate.int_events_load_outcomes
    where outcome not like 'quarantined:%' group by load_partition
"""


def _bad_files(events: Path) -> dict[str, Path]:
    """An empty .gz, a plain-text .gz, a .gz of random bytes and a gzip cut in half, beside a good file."""
    good = max(events.rglob("*.tsv.gz"), key=lambda path: path.stat().st_size)
    raw = good.read_bytes()
    files = {kind: good.parent / f"{kind}-0001.tsv.gz" for kind in ("empty", "plain", "random", "truncated")}
    files["empty"].write_bytes(b"")
    files["plain"].write_bytes(gzip.decompress(raw))
    files["random"].write_bytes(random.Random(19).randbytes(3000))
    files["truncated"].write_bytes(raw[: len(raw) // 2])
    return files


@pytest.fixture(scope="module")
def events(tmp_path_factory) -> tuple[Path, dict[str, Path]]:
    """About 5k events: 2 sites, 3 days; and the bad files written among them."""
    out = generated_events(tmp_path_factory.mktemp("spark_events"), users=350, articles=50, days=3)
    return out, _bad_files(out / "events")


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


#: The hour folders whose files the first Spark run does not see yet (they reach the bucket after the next
#: hour's: within the second run's lookback window, which reads them). Not the last hour: its files hold
#: events whose device clock is hours behind (derived_tstamp 13:19, 15:42), which count in the cuts the
#: first run builds and keeps - without them those cuts would differ from a full build by the data, not by
#: the strategy.
FIRST_RUN_HELD_BACK = ("2024/03/09/21", "2024/03/09/22")


def partition_files(warehouse: Path) -> dict[tuple[str, str], dict[str, set[str]]]:
    """(schema, table) -> partition folder (e.g. site_id=../cut_at=..) -> its Parquet files, of every
    partitioned table."""
    found = {}
    for key, folder in spark_tables(warehouse).items():
        parts: dict[str, set[str]] = {}
        for file in folder.rglob("*=*/*.parquet"):
            parts.setdefault(str(file.parent.relative_to(folder)), set()).add(file.name)
        if parts:
            found[key] = parts
    return found


def _link_event_files(source: Path, target: Path, held_back: tuple[str, ...] = ()) -> None:
    """Hard links in `target` of the event files of `source` but those of the hour folders (YYYY/MM/DD/HH)
    `held_back`."""
    for file in sorted(source.rglob("*.tsv*")):
        relative = file.relative_to(source)
        if "/".join(relative.parts[:4]) in held_back:
            continue
        (target / relative).parent.mkdir(parents=True, exist_ok=True)
        if not (target / relative).exists():
            (target / relative).hardlink_to(file)


def _build_spark(out: Path, work: Path) -> tuple[Path, dict]:
    """Two runs on one Spark warehouse: the SQL models at FIRST_AS_OF on the event files but those of
    FIRST_RUN_HELD_BACK, then everything (the Python models run by article_recs.spark_models) at AS_OF on
    all the files. Returns the warehouse and the partitions (their files) the first run left."""
    warehouse = work / "spark"
    events = work / "events"
    env = {"ARTICLE_RECS_SPARK_WAREHOUSE": str(warehouse)}
    args = ["build", "--exclude-resource-type", "test", "unit_test"]
    first_run = ["--select", *[f"+{m}" for m in FIRST_RUN_MODELS]]
    first = None
    for as_of, python_models in ((FIRST_AS_OF, False), (AS_OF, True)):
        _link_event_files(out / "events", events, FIRST_RUN_HELD_BACK if first is None else ())
        build_on_spark(
            args + (first_run if first is None else []),
            target="spark",
            target_path=work / "target",
            env=env,
            dbt_vars=dbt_vars(out, events_dir=events, article_recs__as_of=as_of),
            python_models=python_models,
        )
        if first is None:
            first = partition_files(warehouse)
    return warehouse, first


@pytest.fixture(scope="module")
def builds(events, tmp_path_factory) -> tuple[Path, duckdb.DuckDBPyConnection, Path, dict]:
    """Both builds side by side (DuckDB's with the quarantine and the load stats); the Spark tables are read
    through DuckDB views of their Parquet files."""
    out, _ = events
    with ThreadPoolExecutor(max_workers=2) as pool:
        duck = pool.submit(
            build_duckdb, out, tmp_path_factory.mktemp("duck"), ["+events_quarantine", "+event_load_stats"]
        )
        spark = pool.submit(_build_spark, out, tmp_path_factory.mktemp("spark"))
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


def test_the_second_spark_run_was_incremental_and_overwrote_only_the_partitions_it_touched(builds):
    _, con, warehouse, first = builds
    runs = con.execute(
        "select run_seq, is_full_refresh from intermediate.int_runs_completed order by run_seq"
    ).fetchall()
    assert runs == [(1, True), (2, False)]
    stored = dict(
        con.execute(
            "select loaded_in_run, count(*) from intermediate.int_events_deduplicated group by loaded_in_run"
        ).fetchall()
    )
    # the second run read the files written after the first: it stored their events in a partition of its own
    assert stored.get(1) and stored.get(2), stored
    now = partition_files(warehouse)
    store = ("intermediate", "int_events_deduplicated")
    assert set(first[store]) == {"loaded_in_run=1"}
    assert set(now[store]) == {"loaded_in_run=1", "loaded_in_run=2"}
    # no event of the first run was replaced by an earlier copy: its partition was not written again
    assert now[store]["loaded_in_run=1"] == first[store]["loaded_in_run=1"]
    # the sessions the new events continued moved to the second run's partition of the lifecycle table, the
    # first run's partition was rewritten without them
    lifecycle = ("intermediate", "int_sessions_lifecycle")
    assert set(now[lifecycle]) == {"updated_in_run=1", "updated_in_run=2"}
    assert now[lifecycle]["updated_in_run=1"] != first[lifecycle]["updated_in_run=1"]
    assert con.execute(
        "select count(*) from intermediate.int_sessions_lifecycle as lifecycle "
        "where updated_in_run = 2 and start_tstamp < timestamp '2024-03-09 21:00:00'"
    ).fetchone()[0], "no session that started before the second run's files was continued by them"


def test_the_second_run_wrote_only_the_new_cuts_and_dropped_the_retired_ones(builds):
    _, con, warehouse, first = builds
    cuts = {
        f"site_id={site}/cut_at={cut:%Y-%m-%d %H%%3A%M%%3A%S}"
        for site, cut in con.execute("select site_id, cut_at from recommender.recommender_cuts").fetchall()
    }
    now = partition_files(warehouse)
    by_cut = {table: parts for table, parts in first.items() if all("/cut_at=" in part for part in parts)}
    assert by_cut, "the first run left no table partitioned by cut"
    for table, before in by_cut.items():
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


def _key(file: str | Path) -> str:
    """A file by its hour folder and name (source_file: a path on DuckDB, a file:// URI on Spark)."""
    return "/".join(Path(file).parts[-5:])


def _by_name(rows: list[tuple]) -> dict[str, tuple]:
    """source_file -> the other columns, keyed by _key."""
    return {_key(file): tuple(rest) for file, *rest in rows}


def test_bad_files_are_quarantined_on_spark_as_on_duckdb(events, duckdb_build, spark_build) -> None:
    _, files = events
    duck = _by_name(duck_rows(duckdb_build, QUARANTINED_FILES))
    spark = _by_name(spark_build.execute(QUARANTINED_FILES).fetchall())
    size = {kind: file.stat().st_size for kind, file in files.items()}
    assert duck.pop(_key(files["empty"])) == ("empty_file", 0, 0)
    # Spark's line reader loses the part of a line the gzip stream breaks in (DuckDB reads it, and quarantines
    # it as wrong_field_count): one line fewer recovered; the lines used are the same (the test below)
    reason, file_bytes, recovered = duck[_key(files["truncated"])]
    duck[_key(files["truncated"])] = (reason, file_bytes, recovered - 1)
    # the same rows but for the empty file: Spark lists no file of 0 bytes (macros/spark.sql)
    assert spark == duck
    assert spark[_key(files["plain"])] == ("not_gzip", size["plain"], 0)
    assert spark[_key(files["random"])] == ("not_gzip", size["random"], 0)
    reason, file_bytes, recovered = spark[_key(files["truncated"])]
    assert (reason, file_bytes) == ("truncated_gzip", size["truncated"])
    assert recovered > 0, "a truncated gzip's lines up to the break are read and used"
    stats = dict(spark_build.execute("select outcome, events from marts.event_load_stats").fetchall())
    assert stats["quarantined:not_gzip"] == 2
    assert stats["quarantined:truncated_gzip"] == 1
    assert "quarantined:empty_file" not in stats


def test_every_usable_line_of_the_readable_files_is_used_on_spark(events, duckdb_build, spark_build) -> None:
    _, files = events
    duck = _by_name(duck_rows(duckdb_build, LINES_PER_FILE))
    spark = _by_name(spark_build.execute(LINES_PER_FILE).fetchall())
    assert _key(files["truncated"]) in spark
    assert len(spark) > 2
    assert spark == duck

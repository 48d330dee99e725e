"""Compressed event files that cannot be read whole, on local Apache Spark (dbt-spark, `method: session`):
the build goes on, each such file is quarantined as a file with the same reason and size as on DuckDB
(int_event_files over Spark's binaryFile source), and every usable line of the readable files is used, the
lines before the break of a truncated gzip too. Two differences, stated in macros/spark.sql: Spark lists no
file of 0 bytes, so an empty .gz (no line to lose) is quarantined as empty_file on DuckDB only; and Spark
loses the part of a line where a truncated gzip breaks (DuckDB quarantines it as wrong_field_count), so the
truncated file's lines_recovered is one fewer.

Needs Java and dbt-spark (make spark-deps): skipped, with the reason, where they are missing."""

from __future__ import annotations

import gzip
import random
from pathlib import Path

import duckdb
import pytest
from warehouse_compare import AS_OF, dbt_vars, duck_rows, generated_events, skip_without_spark

from article_recs.dbt_runner import run_dbt
from article_recs.spark_models import build as build_on_spark
from article_recs.spark_warehouse import attach_views

pytestmark = [pytest.mark.spark, pytest.mark.slow]

skip_without_spark()

#: The models the checks read, with their parents; no Python model (none is needed here).
MODELS = ["+events_quarantine", "+event_load_stats"]
FILE_REASONS = ("empty_file", "not_gzip", "truncated_gzip")
QUARANTINED_FILES = f"""
    select source_file, quarantine_reason, file_bytes, lines_recovered from staging.events_quarantine
    where quarantine_reason in {FILE_REASONS}
"""
#: The lines used, per file
LINES_PER_FILE = """
    select source_file, count(*) from staging.int_events_validated where quarantine_reason is null
    group by source_file
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


def _key(file: str | Path) -> str:
    """A file by its hour folder and name (source_file: a path on DuckDB, a file:// URI on Spark)."""
    return "/".join(Path(file).parts[-5:])


def _by_name(rows: list[tuple]) -> dict[str, tuple]:
    """source_file -> the other columns, keyed by _key."""
    return {_key(file): tuple(rest) for file, *rest in rows}


@pytest.fixture(scope="module")
def builds(tmp_path_factory) -> dict:
    work = tmp_path_factory.mktemp("spark_bad_files")
    out = generated_events(work / "gen", users=60, articles=15, days=1)
    files = _bad_files(out / "events")
    build_vars = dbt_vars(out, article_recs__as_of=AS_OF)
    duck = work / "duck.duckdb"
    run_dbt(
        ["build", "--select", *MODELS, "--exclude-resource-type", "test", "unit_test"],
        duckdb_path=duck,
        target_path=work / "duck_target",
        dbt_vars=build_vars,
    )
    warehouse = work / "spark"
    build_on_spark(
        ["build", "--select", *MODELS, "--exclude-resource-type", "test", "unit_test"],
        target="spark",
        target_path=work / "spark_target",
        env={"ARTICLE_RECS_SPARK_WAREHOUSE": str(warehouse)},
        dbt_vars=build_vars,
        python_models=False,
    )
    con = duckdb.connect()
    assert attach_views(con, warehouse), "no Spark table found"
    yield {"files": files, "duck": duck, "spark": con}
    con.close()


def test_bad_files_are_quarantined_on_spark_as_on_duckdb(builds: dict) -> None:
    files = builds["files"]
    duck = _by_name(duck_rows(builds["duck"], QUARANTINED_FILES))
    spark = _by_name(builds["spark"].execute(QUARANTINED_FILES).fetchall())
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
    stats = dict(builds["spark"].execute("select outcome, events from marts.event_load_stats").fetchall())
    assert stats["quarantined:not_gzip"] == 2
    assert stats["quarantined:truncated_gzip"] == 1
    assert "quarantined:empty_file" not in stats


def test_every_usable_line_of_the_readable_files_is_used_on_spark(builds: dict) -> None:
    duck = _by_name(duck_rows(builds["duck"], LINES_PER_FILE))
    spark = _by_name(builds["spark"].execute(LINES_PER_FILE).fetchall())
    assert _key(builds["files"]["truncated"]) in spark
    assert len(spark) > 2
    assert spark == duck

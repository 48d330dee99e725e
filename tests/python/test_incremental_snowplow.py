"""Incremental runs of the Snowplow models give the same marts as a full refresh, a run with nothing new
changes nothing and does (almost) no work, and the three sources (TSV files, JSON lines, atomic tables)
give the same marts for the same events.

Generated events land hour by hour in a folder, the way the S3 loader writes them. Three incremental runs
each see more hours (the third also a file written late into an hour folder older than the lookback), then
a run with no new files, then a full refresh; every Snowplow mart is compared row for row. The data also
holds cookie-only events (no domain_sessionid) and, with max_session_days = 1, sessions longer than the cap
(the generator's offline devices deliver events up to 36 hours late). The JSON-lines and atomic builds run
on other threads meanwhile (each dbt run in its own process and DuckDB file).
"""

from __future__ import annotations

import gzip
import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from article_recs.dbt_runner import SNOWPLOW_SELECTION, run_dbt
from article_recs.events.fields import FIELDS

pytestmark = pytest.mark.slow

NO_TESTS = ["--exclude-resource-type", "test", "--exclude-resource-type", "unit_test"]
#: the tables compared between incremental runs and a full refresh (rows sorted by every column)
TABLES = [
    "marts.page_views",
    "marts.sessions",
    "marts.users",
    "marts.articles",
    "marts.interactions",
    "marts.event_load_stats",
    "marts.sessions_quarantine",
    "staging.events_quarantine",
    "intermediate.int_events_deduplicated",
    "intermediate.int_sessions_lifecycle",
]
#: columns that record which run did the work, not what the data is
RUN_COLUMNS = {"loaded_in_run", "updated_in_run", "is_late"}
#: the marts that do not depend on how a malformed line is quarantined (compared across sources)
SOURCE_MARTS = ["marts.page_views", "marts.sessions", "marts.users", "marts.articles", "marts.interactions"]
CUTOFFS = ["2026-01-08 18", "2026-01-09 09", "2026-01-09 23"]
LOOKBACK_HOURS = 6
DDL = Path(__file__).resolve().parents[2] / "docs" / "atomic_layout.sql"
SESSION_ID = FIELDS.index("domain_sessionid")

#: the marts of the TSV full refresh, for the other sources to compare with
REFERENCE: dict[str, list[tuple]] = {}


def _hour_of(path: Path, events: Path) -> str:
    y, m, d, h = path.relative_to(events).parts[:4]
    return f"{y}-{m}-{d} {h}"


def _rewrite(path: Path, edit) -> None:
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        lines = fh.read().split("\n")
    with gzip.open(path, "wt", encoding="utf-8") as fh:
        fh.write("\n".join(edit(line) for line in lines))


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("incremental") / "gen"
    subprocess.run(
        [str(Path(sys.executable).parent / "article-recs"), "generate", "--out", str(out), "--users", "300",
         "--articles", "40", "--days", "3", "--sites", "2", "--seed", "11", "--end", "2026-01-10", "--quiet"],
        check=True,
    )
    # cookie-only events: the tracker sent no domain_sessionid for two sessions
    files = sorted((out / "events").rglob("*.tsv.gz"))
    with gzip.open(files[len(files) // 2], "rt", encoding="utf-8") as fh:
        sessions = sorted({v[SESSION_ID] for v in (line.split("\t") for line in fh) if len(v) == 131})[:2]

    def drop_session_id(line: str) -> str:
        values = line.split("\t")
        if len(values) == 131 and values[SESSION_ID] in sessions:
            values[SESSION_ID] = ""
        return "\t".join(values)

    for path in files:
        _rewrite(path, drop_session_id)
    return out


def _land(generated: Path, landing: Path, cutoff: str, late_file: Path) -> None:
    """Copy the hour folders up to `cutoff` into the landing folder (what the loader has written so far)."""
    events = generated / "events"
    for path in sorted(events.rglob("*.tsv.gz")):
        target = landing / path.relative_to(events)
        if path != late_file and _hour_of(path, events) <= cutoff and not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(path, target)


def _tables(db: Path, tables: list[str]) -> dict[str, list[tuple]]:
    with duckdb.connect(str(db), read_only=True) as con:
        result = {}
        for table in tables:
            columns = [c for c in con.sql(f"select * from {table} limit 0").columns if c not in RUN_COLUMNS]
            result[table] = con.sql(f"select {', '.join(columns)} from {table} order by all").fetchall()
        return result


def _build(db: Path, target: Path, dbt_vars: dict, *extra: str) -> dict:
    """dbt build of the Snowplow models (no tests) into ``db``; the run's snowplow_run_stats row."""
    run_dbt(
        ["build", "-s", *SNOWPLOW_SELECTION, *NO_TESTS, *extra],
        dbt_vars=dbt_vars,
        duckdb_path=db,
        target_path=target,
    )
    return _last_run(db)


def _last_run(db: Path) -> dict:
    with duckdb.connect(str(db), read_only=True) as con:
        rel = con.sql("select * from marts.snowplow_run_stats order by run_seq desc limit 1")
        return dict(zip(rel.columns, rel.fetchone(), strict=True))


# ------------------------------------------------------------------------------------------- other sources
def _write_jsonl(events: Path, out: Path) -> None:
    """The TSV files as enriched JSON lines: one object per event, contexts nested, indexes as numbers; a
    malformed TSV line becomes a line that is not JSON, and the first file gets two more lines that are not
    JSON objects."""
    for index, path in enumerate(sorted(events.rglob("*.tsv.gz"))):
        target = out / path.relative_to(events).with_name(path.name.replace(".tsv.gz", ".jsonl"))
        target.parent.mkdir(parents=True, exist_ok=True)
        with gzip.open(path, "rt", encoding="utf-8") as src, open(target, "w", encoding="utf-8") as dst:
            for line in filter(None, src.read().split("\n")):
                values = line.split("\t")
                if len(values) != 131:
                    dst.write(json.dumps({"raw": line})[:-7] + "\n")  # cut short: not valid JSON
                    continue
                event = {name: value for name, value in zip(FIELDS, values, strict=True) if value != ""}
                for name in ("contexts", "derived_contexts"):
                    try:
                        event[name] = json.loads(event[name])
                    except (KeyError, ValueError):
                        pass
                if event.get("domain_sessionidx", "").isdigit():
                    event["domain_sessionidx"] = int(event["domain_sessionidx"])
                dst.write(json.dumps(event) + "\n")
            if index == 0:
                dst.write('{"app_id": "herald-web", "event_id": \n["an", "array"]\n')


ATOMIC_LINES = """
create temp table lines as
select {fields}, try_strptime(regexp_extract(filename, '(\\d{{4}}/\\d{{2}}/\\d{{2}}/\\d{{2}})/[^/]*$', 1),
                              '%Y/%m/%d/%H') as load_tstamp
from (
    select filename, string_split(raw_line, chr(9)) as v
    from read_csv('{events}/**/*.tsv.gz', columns={{'raw_line': 'varchar'}}, delim=chr(1), quote='',
                  escape='', header=false, auto_detect=false, filename=true)
)
where len(v) = 131
"""
ATOMIC_WEB_PAGE = """
insert into atomic.com_snowplowanalytics_snowplow_web_page_1
select 'com.snowplowanalytics.snowplow', 'web_page', 'jsonschema', '1-0-0', event_id,
       cast(collector_tstamp as timestamp), 'events', '["events","web_page"]', 'events',
       entity ->> '$.data.id'
from (select event_id, collector_tstamp, unnest(json_extract(contexts, '$.data[*]')) as entity
      from lines where contexts is not null)
where entity ->> '$.schema' like 'iglu:com.snowplowanalytics.snowplow/web_page/%'
"""
ATOMIC_YAUAA = """
insert into atomic.nl_basjes_yauaa_context_1 (
    schema_vendor, schema_name, schema_format, schema_version, root_id, root_tstamp, ref_root, ref_tree,
    ref_parent, device_class, agent_name
)
select 'nl.basjes', 'yauaa_context', 'jsonschema', '1-0-4', event_id, cast(collector_tstamp as timestamp),
       'events', '["events","yauaa_context"]', 'events', entity ->> '$.data.deviceClass',
       entity ->> '$.data.agentName'
from (select event_id, collector_tstamp, unnest(json_extract(derived_contexts, '$.data[*]')) as entity
      from lines where json_valid(derived_contexts))
where entity ->> '$.schema' like 'iglu:nl.basjes/yauaa_context/%'
"""


def _load_atomic(events: Path, db: Path, batch: tuple[str | None, str, str] | None = None) -> None:
    """What a loader writes into the warehouse (docs/atomic_layout.sql, run as is): the events that parse,
    typed, and their web_page and YAUAA contexts in tables of their own; load_tstamp is the hour folder.
    ``batch`` = (after, up_to, loaded_at): only the hour folders in (after, up_to], loaded in one batch at
    loaded_at (a Postgres loader's load_tstamp: the time of loading)."""
    fields = ", ".join(f"nullif(v[{i}], '') as {name}" for i, name in enumerate(FIELDS, start=1))
    with duckdb.connect(str(db)) as con:
        con.execute(DDL.read_text())
        con.execute(ATOMIC_LINES.format(fields=fields, events=events))
        if batch is not None:
            after, up_to, loaded_at = batch
            con.execute(
                "delete from lines where strftime(load_tstamp, '%Y-%m-%d %H') > ? "
                "or strftime(load_tstamp, '%Y-%m-%d %H') <= coalesce(?, '')",
                [up_to, after],
            )
            con.execute("update lines set load_tstamp = cast(? as timestamp)", [loaded_at])
        con.execute("""
            delete from lines
            where event_id is null or try_cast(collector_tstamp as timestamp) is null
               or not coalesce(json_valid(contexts), true)
        """)
        types = con.sql(
            "select column_name, data_type from information_schema.columns "
            "where table_schema = 'atomic' and table_name = 'events' order by ordinal_position"
        ).fetchall()
        select = ", ".join(
            "load_tstamp" if name == "load_tstamp"
            else f"try_cast(try_cast({name} as integer) as boolean)" if data_type == "BOOLEAN"
            else f"try_cast({name} as {data_type})"
            for name, data_type in types
        )
        con.execute(f"insert into atomic.events select {select} from lines")
        con.execute(ATOMIC_WEB_PAGE)
        con.execute(ATOMIC_YAUAA)


@pytest.fixture(scope="module")
def other_sources(generated: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    """Full builds of the same events from JSON lines and from atomic tables, started on other threads."""
    root = tmp_path_factory.mktemp("sources")
    _write_jsonl(generated / "events", root / "jsonl")
    _load_atomic(generated / "events", root / "atomic_build.duckdb")
    common = {
        "article_recs__article_metadata_path": str(generated / "articles" / "articles.csv"),
        "article_recs__ground_truth_path": "",
        "article_recs__max_session_days": 1,
    }
    builds = {
        "jsonl": {**common, "article_recs__events_source": "jsonl",
                  "article_recs__events_path": f"{root / 'jsonl'}/**/*.jsonl"},
        "atomic": {**common, "article_recs__events_source": "atomic"},
    }
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures: dict[str, tuple[Future, Path]] = {}
        for name, dbt_vars in builds.items():
            db = root / f"{name}_build.duckdb"
            future = pool.submit(run_dbt, ["build", "-s", *SNOWPLOW_SELECTION, *NO_TESTS], dbt_vars=dbt_vars,
                                 duckdb_path=db, target_path=root / f"target_{name}")
            futures[name] = (future, db)
        yield futures


# ------------------------------------------------------------------------------------------------- tests
def test_three_incremental_runs_equal_a_full_refresh(generated: Path, tmp_path: Path, other_sources) -> None:
    landing = tmp_path / "landing"
    db = tmp_path / "incremental.duckdb"
    dbt_vars = {
        "article_recs__events_path": f"{landing}/**/*.tsv*",
        "article_recs__article_metadata_path": str(generated / "articles" / "articles.csv"),
        "article_recs__ground_truth_path": "",
        "article_recs__max_session_days": 1,
    }

    def build(*extra: str) -> dict:
        return _build(db, tmp_path / "target", dbt_vars, *extra)

    # a file of an early hour that the loader writes only before the third run: late beyond the lookback
    events = generated / "events"
    late_file = sorted(p for p in events.rglob("*.tsv.gz") if _hour_of(p, events) < "2026-01-08 12")[-1]

    for i, cutoff in enumerate(CUTOFFS):
        if i == 2:
            (landing / late_file.relative_to(events)).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(late_file, landing / late_file.relative_to(events))
        _land(generated, landing, cutoff, late_file)
        run = build()
        assert run["is_full_refresh"] == (i == 0)
        if i > 0:
            # an incremental run reads the new hours and the lookback (2 files an hour), not the history
            read = datetime.fromisoformat(str(run["high_water_mark"])) - run["window_start"]
            assert run["files_read"] <= 2 * (read.total_seconds() / 3600 + 1) + (1 if i == 2 else 0)
    assert run["lines_late"] > 0, "the late file's lines arrive beyond the lookback"
    incremental = _tables(db, TABLES)
    assert len(incremental["marts.page_views"]) > 100
    assert incremental["marts.sessions_quarantine"], "max_session_days = 1 quarantines sessions"

    # a run with no new files changes nothing: it reads the lookback's files and rebuilds nothing
    run = build()
    assert (run["events_stored"], run["sessions_rebuilt"], run["page_views_written"]) == (0, 0, 0)
    assert run["files_read"] <= 2 * (LOOKBACK_HOURS + 1)
    assert _tables(db, TABLES) == incremental

    # a full refresh over the same files gives the same tables, row for row
    assert build("--full-refresh")["is_full_refresh"]
    full = _tables(db, TABLES)
    for table in TABLES:
        assert full[table] == incremental[table], f"{table}: incremental runs differ from a full refresh"
    assert any(str(row[0]).startswith("derived-") for row in full["marts.sessions"]), "derived sessions"
    REFERENCE.update({table: full[table] for table in SOURCE_MARTS})


@pytest.mark.parametrize("source", ["jsonl", "atomic"])
def test_json_lines_and_atomic_tables_give_the_same_marts_as_tsv(source: str, other_sources) -> None:
    future, db = other_sources[source]
    future.result()
    if not REFERENCE:
        pytest.skip("the TSV reference build failed")
    marts = _tables(db, SOURCE_MARTS)
    for table in SOURCE_MARTS:
        assert marts[table] == REFERENCE[table], f"{table} built from {source} differs from the TSV build"
    if source == "jsonl":
        with duckdb.connect(str(db), read_only=True) as con:
            bad = con.sql(
                "select count(*) from staging.events_quarantine where quarantine_reason = 'invalid_json'"
            ).fetchone()[0]
        assert bad >= 2, "lines that are not JSON objects are quarantined, not lost"


def test_runs_on_atomic_tables_read_only_the_new_load_batches_and_equal_a_full_refresh(
    generated: Path, tmp_path: Path
) -> None:
    """load_tstamp of atomic.events is the time of loading: batches loaded minutes apart (a bulk load, then
    one more batch, as a loader does) are each read once, although the 6-hour lookback covers all of them."""
    db = tmp_path / "atomic_incremental.duckdb"
    dbt_vars = {
        "article_recs__events_source": "atomic",
        "article_recs__article_metadata_path": str(generated / "articles" / "articles.csv"),
        "article_recs__ground_truth_path": "",
        "article_recs__max_session_days": 1,
    }

    def build(*extra: str) -> dict:
        return _build(db, tmp_path / "target", dbt_vars, *extra)

    events = generated / "events"
    after = None
    for i, cutoff in enumerate(CUTOFFS):
        _load_atomic(events, db, (after, cutoff, f"2026-01-10 00:0{i}:00"))
        with duckdb.connect(str(db), read_only=True) as con:
            batch_rows = con.sql(
                f"select count(*) from atomic.events where load_tstamp = '2026-01-10 00:0{i}:00'"
            ).fetchone()[0]
        run = build()
        assert run["is_full_refresh"] == (i == 0)
        assert run["lines_read"] == batch_rows > 0, "a run reads its new batch, not the batches before it"
        after = cutoff
    incremental = _tables(db, TABLES)

    run = build()
    assert (run["lines_read"], run["events_stored"], run["sessions_rebuilt"]) == (0, 0, 0)

    assert build("--full-refresh")["is_full_refresh"]
    full = _tables(db, TABLES)
    for table in TABLES:
        assert full[table] == incremental[table], f"{table}: incremental runs differ from a full refresh"

"""`article-recs load-postgres`: enriched TSV into Snowplow's Postgres loader layout, malformed lines
quarantined with a reason, never a crash; re-runs load only new files."""

# ruff: noqa: F811  (pytest fixtures imported from pg_fixtures are redefined as test arguments)

from __future__ import annotations

import gzip
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from pg_fixtures import pg_database, pg_env, pg_server  # noqa: F401

from article_recs.events.fields import FIELD_INDEX, N_FIELDS
from article_recs.serving.connection import connect
from article_recs.serving.load_postgres import EVENT_COLUMNS, atomic_ddl, load_postgres
from article_recs.tools.generate import GenerateConfig, generate

pytestmark = pytest.mark.postgres


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("events")
    manifest = generate(
        GenerateConfig(
            out=out,
            users=150,
            articles=40,
            days=2,
            sites=2,
            seed=11,
            end=date(2024, 3, 10),
            malformed_rate=0.02,
            quiet=True,
        )
    )
    return out, manifest


def scalar(settings, sql: str):
    with connect(settings) as conn, conn.cursor() as cur:
        cur.execute(sql)
        return cur.fetchone()[0]


def test_loads_events_and_contexts_and_quarantines_malformed_lines(generated, pg_database):
    out, manifest = generated
    result = load_postgres(out, settings=pg_database)

    assert result.lines == manifest["lines"]
    assert result.events + result.quarantined == manifest["lines"]
    assert result.quarantined > 0 and result.events > 0.9 * manifest["lines"]
    assert scalar(pg_database, "select count(*) from atomic.events") == result.events
    assert scalar(pg_database, "select count(*) from atomic.load_quarantine") == result.quarantined
    assert scalar(pg_database, "select count(*) from atomic.load_manifest") == manifest["files"]
    # a truncated line never reaches atomic.events
    assert (
        result.quarantine_by_reason.get("wrong_field_count", 0) == manifest["malformed_by_kind"]["truncated"]
    )
    # every event but those whose contexts lack a web_page has exactly one web_page context, joined by root_id
    pings_without = manifest["malformed_by_kind"]["ping_without_web_page"]
    assert (
        scalar(
            pg_database,
            """
        select count(*) from atomic.events as e
        left join atomic.com_snowplowanalytics_snowplow_web_page_1 as c
            on c.root_id = e.event_id and c.root_tstamp = e.collector_tstamp
        where c.id is null
        """,
        )
        == pings_without
    )
    assert (
        scalar(
            pg_database,
            "select count(*) from atomic.nl_basjes_yauaa_context_1 "
            "where device_class is null or agent_name is null",
        )
        == 0
    )
    assert (
        scalar(
            pg_database,
            "select count(distinct (schema_vendor, schema_name, schema_format, ref_root, ref_tree, "
            "ref_parent)) "
            "from atomic.com_snowplowanalytics_snowplow_web_page_1",
        )
        == 1
    )


def test_columns_are_typed_like_the_loader_and_json_columns_are_not_in_events(pg_database, generated):
    load_postgres(generated[0], settings=pg_database)
    with connect(pg_database) as conn, conn.cursor() as cur:
        cur.execute(
            "select column_name, data_type from information_schema.columns "
            "where table_schema = 'atomic' and table_name = 'events'"
        )
        types = dict(cur.fetchall())
    assert "contexts" not in types and "derived_contexts" not in types and "unstruct_event" not in types
    assert set(EVENT_COLUMNS) <= set(types)
    assert types["collector_tstamp"] == "timestamp without time zone"
    assert types["domain_sessionidx"] == "integer"
    assert types["dvce_ismobile"] == "boolean"
    assert types["geo_latitude"] == "double precision"


def test_a_second_run_loads_only_new_files(generated, pg_database, tmp_path):
    out, _ = generated
    first = load_postgres(out, settings=pg_database)
    again = load_postgres(out, settings=pg_database)
    assert again.files_loaded == 0 and again.files_skipped == first.files_loaded
    assert scalar(pg_database, "select count(*) from atomic.events") == first.events
    replaced = load_postgres(out, settings=pg_database, replace=True)
    assert replaced.events == first.events
    assert scalar(pg_database, "select count(*) from atomic.events") == first.events


def test_garbage_bytes_are_quarantined_with_a_reason_never_a_crash(generated, pg_database, tmp_path):
    out, _ = generated
    sample = next((out / "events").rglob("*.tsv.gz"))
    good = gzip.decompress(sample.read_bytes()).split(b"\n")[0]
    fields = good.split(b"\t")
    bad_ts = list(fields)
    bad_ts[FIELD_INDEX["dvce_created_tstamp"]] = b"yesterday"
    bad_int = list(fields)
    bad_int[FIELD_INDEX["doc_height"]] = b"99999999999"
    lines = [
        good,
        good.replace(b"Mozilla", b"Mozilla\xff\xfe", 1),  # not UTF-8
        good.replace(b"web", b"w\x00eb", 1),  # NUL byte
        b"\t".join(fields[: N_FIELDS - 3]),  # truncated
        good + b"\textra",  # too many fields
        b"\t".join(bad_ts),
        b"\t".join(bad_int),
        b"lorem ipsum <html> \\N",
        good.replace(b'"data":{"id":', b'"data":{"xid":', 1),  # web_page entity without its id
        good.replace(b'"deviceClass"', b'"deviceKlass"', 1),  # yauaa entity without deviceClass
    ]
    folder = tmp_path / "bad" / "events" / "2024" / "03" / "09" / "00"
    folder.mkdir(parents=True)
    (folder / "bad-0000.tsv").write_bytes(b"\n".join(lines) + b"\n")

    result = load_postgres(tmp_path / "bad", settings=pg_database)

    assert result.events == 1
    assert result.quarantine_by_reason == {
        "invalid_utf8": 1,
        "nul_byte": 1,
        "wrong_field_count": 3,
        "unparseable_dvce_created_tstamp": 1,
        "unparseable_doc_height": 1,
        "web_page_context_without_id": 1,
        "yauaa_context_without_device_class": 1,
    }
    with connect(pg_database) as conn, conn.cursor() as cur:
        cur.execute("select line_number, reason, length(raw_line) > 0 from atomic.load_quarantine order by 1")
        rows = cur.fetchall()
    assert [r[0] for r in rows] == [2, 3, 4, 5, 6, 7, 8, 9, 10] and all(r[2] for r in rows)
    assert scalar(pg_database, "select count(*) from atomic.com_snowplowanalytics_snowplow_web_page_1") == 1
    assert scalar(pg_database, "select count(*) from atomic.nl_basjes_yauaa_context_1") == 1


def test_the_cli_reports_counts_and_fails_in_one_line_when_postgres_is_down(generated, pg_database):
    out, _ = generated
    command = [sys.executable, "-m", "article_recs.serving.load_postgres", "--input", str(out)]
    ok = subprocess.run(command, env=pg_env(pg_database), capture_output=True, text=True, timeout=120)
    assert ok.returncode == 0, ok.stderr
    assert "lines quarantined" in ok.stdout

    down = subprocess.run(
        command, env=pg_env(pg_database.with_(port=1)), capture_output=True, text=True, timeout=60
    )
    assert down.returncode == 3  # unavailable (article_recs.exit_codes)
    assert "Traceback" not in down.stderr and len(down.stderr.strip().splitlines()) == 1
    assert "127.0.0.1:1 " in down.stderr


def test_the_loader_layout_matches_docs_atomic_layout(pg_database):
    """docs/atomic_layout.sql is the DDL the dbt sources expect: the loader's tables have every column it
    declares, with the same types."""
    ddl_file = Path(__file__).resolve().parents[2] / "docs" / "atomic_layout.sql"
    if not ddl_file.exists():
        pytest.skip("docs/atomic_layout.sql not written yet")
    with connect(pg_database) as conn, conn.cursor() as cur:
        cur.execute(ddl_file.read_text())
        cur.execute("alter schema atomic rename to atomic_docs")
        cur.execute(atomic_ddl("atomic"))
        cur.execute(
            """
            select table_schema, table_name, column_name, data_type
            from information_schema.columns
            where table_schema in ('atomic', 'atomic_docs')
            """
        )
        rows = cur.fetchall()
        conn.commit()
    ours = {(t, c): d for s, t, c, d in rows if s == "atomic"}
    docs = {(t, c): d for s, t, c, d in rows if s == "atomic_docs"}
    assert docs, "docs/atomic_layout.sql created no table in schema atomic"
    missing = sorted(f"{t}.{c}" for t, c in docs if (t, c) not in ours)
    different = sorted(
        f"{t}.{c}: {docs[t, c]} vs {ours[t, c]}"
        for t, c in docs
        if ours.get((t, c), docs[t, c]) != docs[t, c]
    )
    assert missing == [] and different == []

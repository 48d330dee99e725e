"""Bad input never crashes a build and never vanishes: a build over generated events plus everything a broken
loader, a broken device or a hostile client can put in the files, then a second build with nothing new.

Into the last hour folder (re-read by the next run's lookback) go: an empty .gz, a .gz that is plain text, a
.gz of random bytes, a gzip cut in half, events dated 2099 and 1970; outside any hour folder (so every run
reads it again) a file of binary garbage lines. The build must succeed; each bad file and event is
quarantined with its reason and counted; the second build counts nothing twice and does not warn.
"""

from __future__ import annotations

import gzip
import os
import random
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from article_recs.dbt_runner import DbtResult, run_dbt
from article_recs.events.fields import FIELDS

pytestmark = pytest.mark.slow

BUILD = ["build", "--exclude-resource-type", "unit_test"]
LAST_HOUR = ("2026", "01", "09", "23")
FUTURE_ID = "00000000-0000-4000-8000-000000002099"
PAST_ID = "00000000-0000-4000-8000-000000001970"
NO_APP_ID = "00000000-0000-4000-8000-0000000000a9"
#: a person's page view (a browser's YAUAA context) sent with a crawler's user agent (a seed pattern)
CRAWLER_ID = "00000000-0000-4000-8000-0000000000b0"
CRAWLER_AGENT = "Mozilla/5.0 (compatible; ExampleSpider/2.1; +https://example.org/spider)"
ROTATED_USER = "rotated-cookie-id"
GARBAGE_LINES = 30
TAG = "<x-hostile>"
SCRIPT = "<script>hostile()</script>"
IMG = "<img src=x onerror=hostile()>"
TAGGED_ID = "00000000-0000-4000-8000-0000000000a1"
#: fields left as they are on the line with markup everywhere else (it must stay a usable page view)
UNTAGGED = {"event", "event_id", "domain_userid", "domain_sessionid", "domain_sessionidx", "contexts",
            "derived_contexts", "app_id", "page_urlpath"}
#: CMS export rows: a short row, a date that does not parse, no article id, and a long row (used)
CMS_BAD_ROWS = [
    "herald,90001",
    "herald,90002,yesterday-ish,news,A. Writer,Title,https://www.herald.example/x-a90002",
    "herald,,2026-01-08 10:00:00,news,A. Writer,Title,https://www.herald.example/x",
    "metro,90004,2026-01-08 10:00:00,news,A. Writer,Title,https://metro.example/x/90004/,extra,fields",
]


def _hostile(events: Path) -> dict[str, Path]:
    """Write the bad files beside the generated ones; return them by kind."""
    hour = events.joinpath(*LAST_HOUR)
    good = sorted(hour.glob("*.tsv.gz"))[0]
    raw = good.read_bytes()
    lines = gzip.decompress(raw).decode().split("\n")
    rng = random.Random(15)
    files = {
        "empty": hour / "empty-0001.tsv.gz",
        "plain": hour / "plain-0001.tsv.gz",
        "random": hour / "random-0001.tsv.gz",
        "truncated": hour / "truncated-0001.tsv.gz",
        "clock": hour / "clock-0001.tsv.gz",
        "garbage": events / "garbage.tsv",
    }
    files["empty"].write_bytes(b"")
    files["plain"].write_text("\n".join(lines), encoding="utf-8")
    files["random"].write_bytes(rng.randbytes(4000))
    files["truncated"].write_bytes(raw[: len(raw) // 2])
    # a page view of the second largest file (the largest gets the rotated id and the foreign host below):
    # the base of the injected lines
    by_size = sorted(events.rglob("*.tsv.gz"), key=lambda path: path.stat().st_size, reverse=True)
    with gzip.open(by_size[1], "rt") as fh:
        rows = [row.split("\t") for row in fh.read().split("\n")]
    values = next(row for row in rows if len(row) == 131 and row[FIELDS.index("event")] == "page_view")
    clock = []
    for event_id, tstamp in ((FUTURE_ID, "2099-01-01 00:00:00.000"), (PAST_ID, "1970-01-01 00:00:01.000")):
        line = list(values)
        line[FIELDS.index("event_id")] = event_id
        line[FIELDS.index("collector_tstamp")] = tstamp
        line[FIELDS.index("derived_tstamp")] = tstamp
        clock.append("\t".join(line))
    # a page view without app_id
    line = list(values)
    line[FIELDS.index("event_id")] = NO_APP_ID
    line[FIELDS.index("app_id")] = ""
    clock.append("\t".join(line))
    # a crawler's user agent on a person's page view: a bot by the seed's patterns alone
    line = next(
        list(row) for row in rows
        if len(row) == 131 and row[FIELDS.index("event")] == "page_view"
        and "Robot" not in row[FIELDS.index("derived_contexts")]
    )
    line[FIELDS.index("event_id")] = CRAWLER_ID
    line[FIELDS.index("useragent")] = CRAWLER_AGENT
    clock.append("\t".join(line))
    with gzip.open(files["clock"], "wt", encoding="utf-8") as fh:
        fh.write("\n".join(clock) + "\n")
    # markup in every text field (line A, a page view that is used), in event / platform / event_id (line B)
    # and in app_id (line C: a site of its own)
    tagged = list(values)
    for index, name in enumerate(FIELDS):
        if name not in UNTAGGED and not name.endswith("_tstamp"):
            tagged[index] = f"{tagged[index]}{TAG}"
    tagged[FIELDS.index("event_id")] = TAGGED_ID
    hostile_event = list(values)
    hostile_event[FIELDS.index("event")] = SCRIPT
    hostile_event[FIELDS.index("platform")] = TAG
    hostile_event[FIELDS.index("event_id")] = IMG
    hostile_app = list(values)
    hostile_app[FIELDS.index("event_id")] = "00000000-0000-4000-8000-0000000000c3"
    hostile_app[FIELDS.index("app_id")] = SCRIPT
    with gzip.open(hour / "tags-0001.tsv.gz", "wt", encoding="utf-8") as fh:
        fh.write("\n".join("\t".join(line) for line in (tagged, hostile_event, hostile_app)) + "\n")
    # the cookie id rotates within a session: a page view (its pings keep the old id) carries another one
    rotated = max(events.rglob("*.tsv.gz"), key=lambda path: path.stat().st_size)
    with gzip.open(rotated, "rt", encoding="utf-8") as fh:
        rows = [row.split("\t") for row in fh.read().split("\n")]
    views = [row for row in rows if len(row) == 131 and row[FIELDS.index("event")] == "page_view"]
    views[-1][FIELDS.index("domain_userid")] = ROTATED_USER
    # an article page of a known app on a host that is not its site's (a proxy, a copy)
    path = FIELDS.index("page_urlpath")
    article_view = next(row for row in views[:-1] if row[path].rstrip("/")[-1].isdigit())
    article_view[FIELDS.index("page_urlhost")] = "evil.example"
    article_view[FIELDS.index("page_url")] = "https://evil.example" + article_view[path]
    with gzip.open(rotated, "wt", encoding="utf-8") as fh:
        fh.write("\n".join("\t".join(row) for row in rows))
    # bytes that are not UTF-8, one garbage line each
    files["garbage"].write_bytes(b"".join(b"\xff\xfe" + rng.randbytes(40).replace(b"\n", b" ") + b"\n"
                                         for _ in range(GARBAGE_LINES)))
    return files


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> dict:
    root = tmp_path_factory.mktemp("hostile")
    out = root / "gen"
    subprocess.run(
        [str(Path(sys.executable).parent / "article-recs"), "generate", "--out", str(out), "--users", "200",
         "--articles", "30", "--days", "2", "--sites", "2", "--seed", "15", "--end", "2026-01-10", "--quiet"],
        check=True,
    )
    files = _hostile(out / "events")
    cms = out / "articles" / "articles.csv"
    cms_rows = cms.read_text(encoding="utf-8").rstrip("\n").split("\n")
    cms.write_text("\n".join([*cms_rows, *CMS_BAD_ROWS]) + "\n", encoding="utf-8")
    truncated_lines = duckdb.sql(
        f"select count(*) from read_csv('{files['truncated']}', columns={{'raw_line': 'varchar'}}, "
        "delim=chr(1), quote='', escape='', header=false, auto_detect=false)"
    ).fetchone()[0]
    dbt_vars = {
        "article_recs__events_path": f"{out / 'events'}/**/*.tsv*",
        "article_recs__article_metadata_path": str(out / "articles" / "articles.csv"),
        "article_recs__ground_truth_path": "",
    }
    db = root / "hostile.duckdb"
    runs: list[DbtResult] = []
    for _ in range(2):
        runs.append(
            run_dbt(BUILD, dbt_vars=dbt_vars, duckdb_path=db, target_path=root / "target", check=False)
        )
    return {"root": root, "db": db, "files": files, "runs": runs, "truncated_lines": truncated_lines}


def _sql(db: Path, query: str) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.sql(query).fetchall()


def test_the_build_goes_on(hostile: dict) -> None:
    for run in hostile["runs"]:
        assert run.ok, f"exit {run.returncode}: {run.error_lines()}\n{run.stderr[-2000:]}"
        assert "Traceback" not in run.stdout


def test_an_unreadable_file_is_quarantined_as_a_file_with_its_size_and_lines_recovered(hostile: dict) -> None:
    files = hostile["files"]
    rows = {
        Path(file).name: (reason, size, recovered)
        for reason, file, size, recovered in _sql(hostile["db"], """
            select quarantine_reason, source_file, file_bytes, lines_recovered from staging.events_quarantine
            where quarantine_reason in ('empty_file', 'not_gzip', 'truncated_gzip')
        """)
    }
    assert rows == {
        files["empty"].name: ("empty_file", 0, 0),
        files["plain"].name: ("not_gzip", files["plain"].stat().st_size, 0),
        files["random"].name: ("not_gzip", files["random"].stat().st_size, 0),
        files["truncated"].name: (
            "truncated_gzip", files["truncated"].stat().st_size, hostile["truncated_lines"]
        ),
    }
    assert hostile["truncated_lines"] > 0, "a truncated gzip's lines up to the break are read and used"
    stats = dict(_sql(hostile["db"], "select outcome, events from marts.event_load_stats"))
    assert stats["quarantined:empty_file"] == 1
    assert stats["quarantined:not_gzip"] == 2
    assert stats["quarantined:truncated_gzip"] == 1
    assert stats["quarantined:invalid_utf8"] >= GARBAGE_LINES


def test_implausible_timestamps_are_quarantined_with_a_reason_and_a_count(hostile: dict) -> None:
    quarantined = _sql(hostile["db"], f"""
        select event_id, quarantine_reason from staging.events_quarantine
        where event_id in ('{FUTURE_ID}', '{PAST_ID}') order by event_id
    """)
    assert quarantined == [(PAST_ID, "timestamp_before_floor"), (FUTURE_ID, "timestamp_in_future")]
    stats = dict(_sql(hostile["db"], "select outcome, events from marts.event_load_stats"))
    assert stats["quarantined:timestamp_in_future"] == 1
    assert stats["quarantined:timestamp_before_floor"] == 1
    latest, earliest = _sql(hostile["db"], "select max(end_tstamp), min(start_tstamp) from marts.sessions")[0]
    assert str(latest) < "2026-01-11" and str(earliest) > "2026-01-07", "no session stretched to 2099 or 1970"


def test_a_user_agent_matching_a_seed_pattern_is_a_bot(hostile: dict) -> None:
    # the patterns are read from the seed when int_events_validated runs (snowplow_bot_regex_literal; its unit
    # tests override that macro); this line's YAUAA context says it is a browser, so only the pattern can tell
    [(outcome, device_class)] = _sql(hostile["db"], f"""
        select outcome, yauaa_device_class from staging.int_events_validated where event_id = '{CRAWLER_ID}'
    """)
    assert (outcome, device_class in ("Desktop", "Phone", "Tablet")) == ("bot", True), device_class


def test_a_page_view_without_app_id_is_quarantined(hostile: dict) -> None:
    assert _sql(hostile["db"], f"""
        select quarantine_reason from staging.events_quarantine where event_id = '{NO_APP_ID}'
    """) == [("missing_app_id",)]
    assert _sql(hostile["db"], "select count(*) from marts.page_views where site_id is null") == [(0,)]


def test_one_reader_per_session_when_the_cookie_id_rotates(hostile: dict) -> None:
    # the page view keeps the session's reader: no page view of a reader that users does not have
    rotated = f"select count(*) from marts.page_views where domain_userid = '{ROTATED_USER}'"
    assert _sql(hostile["db"], rotated) == [(0,)]
    assert _sql(hostile["db"], """
        select count(*) from marts.page_views
        where domain_userid not in (select domain_userid from marts.users)
    """) == [(0,)]


def test_a_page_on_an_unknown_host_is_no_article_and_is_counted(hostile: dict) -> None:
    assert _sql(hostile["db"], """
        select count(*), count(article_id) from marts.page_views where page_url like 'https://evil.example/%'
    """) == [(1, 0)]
    # and the page view with markup in every field, whose host is www.herald.example<x-hostile>
    assert _sql(hostile["db"], "select sum(page_views_unknown_host) from marts.snowplow_run_stats") == [(2,)]


def test_bad_cms_rows_are_quarantined_and_the_rest_is_used(hostile: dict) -> None:
    assert _sql(hostile["db"], """
        select quarantine_reason, article_id from marts.article_metadata_quarantine order by all
    """) == [("missing_id", None), ("missing_published_at", "90001"), ("unparseable_published_at", "90002")]
    metro = "select article_id from staging.stg_cms__article_metadata where site_id = 'metro'"
    used = _sql(hostile["db"], metro)
    assert ("90004",) in used and len(used) > 10


def test_no_value_reaches_the_html_the_project_writes_unescaped(hostile: dict) -> None:
    """The quality report over the hostile warehouse: Data Docs and summary.html hold the values as text."""
    docs = hostile["root"] / "docs"
    quality = subprocess.run(
        [str(Path(sys.executable).parent / "article-recs"), "quality", "--duckdb", str(hostile["db"]),
         "--docs-dir", str(docs)],
        capture_output=True, text=True, env={**os.environ, "GX_ANALYTICS_ENABLED": "false"},
    )
    assert quality.returncode in (0, 1), quality.stdout[-2000:] + quality.stderr[-2000:]
    assert "could not be checked" not in quality.stdout, quality.stdout[-3000:]
    pages = list(docs.rglob("*.html"))
    assert (docs / "summary.html") in pages and len(pages) > 5
    tagged_views = f"select count(*) from marts.page_views where page_title like '%{TAG}%'"
    assert _sql(hostile["db"], tagged_views) == [(1,)], "the page view with markup everywhere is used"
    shown = [page for page in pages if "hostile()" in page.read_text(encoding="utf-8")]
    assert shown, "the hostile values are on the validation pages (escaped)"
    for page in pages:
        text = page.read_text(encoding="utf-8")
        for markup in (TAG, SCRIPT, IMG, "<x-hostile", "<script>hostile", "<img src=x"):
            assert markup not in text, f"{page.relative_to(docs)} holds {markup} unescaped"


def test_a_run_with_nothing_new_counts_nothing_twice_and_does_not_warn(hostile: dict) -> None:
    first, second = _sql(hostile["db"], """
        select lines_read, new_lines, new_lines_quarantined, top_quarantined_files
        from marts.snowplow_run_stats order by run_seq
    """)
    assert first[1] == first[0] and first[2] > GARBAGE_LINES
    assert hostile["files"]["garbage"].name in first[3], "the share's files are named"
    # the second run re-reads the last hours (lookback) and the garbage file (no hour folder): nothing new
    assert second[0] > GARBAGE_LINES and second[1:3] == (0, 0)
    assert "quarantine_share_within_limits" in first_warning_lines(hostile["runs"][0])
    assert first_warning_lines(hostile["runs"][1]) == ""


def first_warning_lines(run: DbtResult) -> str:
    return "\n".join(line for line in run.stdout.splitlines() if "WARN 1" in line or "FAIL" in line)


def test_the_share_message_names_the_share_and_the_files(hostile: dict) -> None:
    message = [line for line in hostile["runs"][0].stdout.splitlines() if "quarantine share" in line]
    assert message, hostile["runs"][0].stdout[-3000:]
    assert "% (" in message[0] and hostile["files"]["garbage"].name in message[0]


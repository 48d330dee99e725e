"""Event files are read as UTF-8: titles with typographic characters (whose UTF-8 bytes include 0x80-0x9F)
flow through, and a line that is not UTF-8 is quarantined with a reason - never a failed build, never lost."""

from __future__ import annotations

import gzip
from pathlib import Path

import duckdb
import pytest

from article_recs.cli import main as cli_main
from article_recs.dbt_runner import run_dbt
from article_recs.events.fields import FIELDS

pytestmark = pytest.mark.slow

TITLE = "Fire \u2013 crews\u2019 \u201clatest\u201d update \u20ac5m"


def _rewrite_first_page_view(path: Path) -> tuple[str, bytes]:
    """Give the first page view of a file a typographic title; return its event id and a broken line."""
    lines = gzip.decompress(path.read_bytes()).decode("utf-8").splitlines()
    title_index = FIELDS.index("page_title")
    event_index = FIELDS.index("event")
    for i, line in enumerate(lines):
        fields = line.split("\t")
        if len(fields) == len(FIELDS) and fields[event_index] == "page_view":
            fields[title_index] = TITLE
            lines[i] = "\t".join(fields)
            event_id = fields[FIELDS.index("event_id")]
            broken = line.replace("\t", "\t\xff\xfe", 1).encode("latin-1", errors="replace")
            break
    else:  # pragma: no cover - the generator always writes page views
        raise AssertionError("no page view in " + str(path))
    path.write_bytes(gzip.compress(("\n".join(lines) + "\n").encode("utf-8")))
    return event_id, broken


def test_typographic_titles_flow_through_and_non_utf8_lines_are_quarantined(tmp_path):
    data = tmp_path / "data"
    assert cli_main(["generate", "--out", str(data), "--users", "60", "--articles", "20", "--days", "1",
                     "--sites", "1", "--seed", "5", "--end", "2026-11-20", "--quiet",
                     "--malformed-rate", "0"]) == 0
    first_file = sorted((data / "events").rglob("*.tsv.gz"))[0]
    event_id, broken = _rewrite_first_page_view(first_file)
    (first_file.parent / "broken-0000.tsv").write_bytes(broken + b"\n")

    db = tmp_path / "wh.duckdb"
    run_dbt(
        ["build", "--select", "+page_views", "+event_load_stats", "+events_quarantine",
         "--exclude", "resource_type:test", "resource_type:unit_test"],
        dbt_vars={"article_recs__events_path": str(data / "events" / "**" / "*.tsv*"),
                  "article_recs__article_metadata_path": "", "article_recs__ground_truth_path": ""},
        duckdb_path=db, target_path=tmp_path / "target",
    )

    con = duckdb.connect(str(db), read_only=True)
    title = con.execute("select page_title from marts.page_views where event_id = ?", [event_id]).fetchone()
    assert title == (TITLE,)
    quarantined = con.execute(
        "select quarantine_reason, source_file from staging.events_quarantine"
        " where quarantine_reason = 'invalid_utf8'"
    ).fetchall()
    assert [(r, Path(f).name) for r, f in quarantined] == [("invalid_utf8", "broken-0000.tsv")]
    outcomes = dict(con.execute("select outcome, events from marts.event_load_stats").fetchall())
    assert outcomes["quarantined:invalid_utf8"] == 1

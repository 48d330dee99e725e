"""`article-recs replay`: real interaction logs (generic or MIND) as enriched events."""

from __future__ import annotations

import csv
import gzip
import json
import re
from collections import Counter, defaultdict
from pathlib import Path

import pandas as pd
import pytest

from article_recs.cli import main
from article_recs.events.errors import InputError
from article_recs.events.fields import FIELD_INDEX, N_FIELDS
from article_recs.tools.replay import ReplayConfig, pseudonymous_id, replay
from article_recs.tools.sites import SITE_TEMPLATES

F = FIELD_INDEX
MIND_SUBSET = (
    Path(__file__).resolve().parents[3] / "shared" / "datasets" / "mind_small_subset" / "behaviors.tsv"
)


def events(out: Path) -> list[list[str]]:
    rows = []
    for path in sorted((out / "events").rglob("*.tsv*")):
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rt", encoding="utf-8") as fh:
            rows.extend(line.rstrip("\n").split("\t") for line in fh)
    return rows


def write_csv(path: Path, header: list[str], rows: list[list[object]], sep: str = ",") -> Path:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, delimiter=sep)
        w.writerow(header)
        w.writerows(rows)
    return path


# u1: two reads in one session, a third an hour later (new session); u2: one long read
TINY = [
    ["u1", "101", "2024-03-01T10:00:00Z", "30"],  # pings at 5, 15, 25 s -> 3
    ["u1", "102", "2024-03-01T10:01:00Z", "4"],  # under 5 s -> none
    ["u1", "103", "2024-03-01 11:00:00", "10"],  # 61 min later: session 2; ping at 5 s -> 1
    ["u2", "101", "2024-03-01T12:00:00+00:00", "61"],  # 5, 15, ..., 55 -> 6
]


def test_replay_of_a_tiny_csv_gives_the_expected_page_views_and_pings(tmp_path: Path) -> None:
    src = write_csv(tmp_path / "reads.csv", ["user_id", "article_id", "timestamp", "dwell_seconds"], TINY)
    out = tmp_path / "out"
    m = replay(ReplayConfig(input=src, out=out, gzip=False, quiet=True))
    assert (m["page_views"], m["page_pings"], m["sessions"], m["users"]) == (4, 10, 3, 2)
    assert m["skipped"] == 0 and m["dwell_given"] == 4

    rows = events(out)
    assert len(rows) == m["events"] == 14 and all(len(v) == N_FIELDS for v in rows)
    site = SITE_TEMPLATES["replay"]
    pv_articles = Counter()
    sessions = defaultdict(set)
    for v in rows:
        assert v[F["app_id"]] == "replay-web" and v[F["user_id"]] == ""
        assert v[F["domain_userid"]] in (pseudonymous_id("replay", "u1"), pseudonymous_id("replay", "u2"))
        sessions[v[F["domain_userid"]]].add((v[F["domain_sessionidx"]], v[F["domain_sessionid"]]))
        if v[F["event"]] == "page_view":
            pv_articles[site.article_id_from_path(v[F["page_urlpath"]])] += 1
    assert pv_articles == Counter({"101": 2, "102": 1, "103": 1})
    u1 = sorted(sessions[pseudonymous_id("replay", "u1")])
    assert [idx for idx, _ in u1] == ["1", "2"] and u1[0][1] != u1[1][1]
    # the second read of a session is referred by the first
    second = next(
        v for v in rows if v[F["event"]] == "page_view" and v[F["page_urlpath"]].startswith("/read/102/")
    )
    assert second[F["refr_medium"]] == "internal" and "/read/101/" in second[F["page_referrer"]]
    with open(out / "articles" / "articles.csv", newline="") as fh:
        assert sorted(r["article_id"] for r in csv.DictReader(fh)) == ["101", "102", "103"]


def test_replay_is_deterministic_and_a_log_without_dwell_gets_no_page_pings(tmp_path: Path) -> None:
    src = write_csv(
        tmp_path / "reads.tsv",
        ["user_id", "article_id", "timestamp"],
        [[f"u{i % 7}", f"a{i % 11}", f"2024-03-0{1 + i % 3}T0{i % 10}:00:00"] for i in range(60)],
        sep="\t",
    )
    a = replay(ReplayConfig(input=src, out=tmp_path / "a", quiet=True))
    b = replay(ReplayConfig(input=src, out=tmp_path / "b", quiet=True))
    # unknown dwell: no pings are invented (downstream engaged_time_in_s = 0, page_pings = 0)
    assert a["dwell_unknown_no_pings"] == 60 and a["dwell_given"] == 0 and a["page_pings"] == 0
    assert {v[F["event"]] for v in events(tmp_path / "a")} == {"page_view"}
    assert {k: v for k, v in a.items() if k != "input"} == {k: v for k, v in b.items() if k != "input"}
    for pa, pb in zip(
        sorted((tmp_path / "a").rglob("*.gz")), sorted((tmp_path / "b").rglob("*.gz")), strict=True
    ):
        assert pa.read_bytes() == pb.read_bytes()


def test_only_the_reads_with_a_dwell_get_page_pings(tmp_path: Path) -> None:
    rows = [
        ["u1", "101", "2024-03-01T10:00:00Z", "30"],  # pings at 5, 15, 25 s -> 3
        ["u1", "102", "2024-03-01T10:01:00Z", ""],  # unknown -> none
        ["u2", "103", "2024-03-01T11:00:00Z", ""],  # unknown -> none
    ]
    src = write_csv(tmp_path / "reads.csv", ["user_id", "article_id", "timestamp", "dwell_seconds"], rows)
    m = replay(ReplayConfig(input=src, out=tmp_path / "out", gzip=False, quiet=True))
    assert (m["dwell_given"], m["dwell_unknown_no_pings"], m["page_pings"]) == (1, 2, 3)
    pinged = Counter(v[F["page_urlpath"]] for v in events(tmp_path / "out") if v[F["event"]] == "page_ping")
    assert list(pinged) == ["/read/101/article"] and pinged["/read/101/article"] == 3


ARTICLES = [
    ["101", "Storm floods the city centre", "2024-02-28T08:30:00Z", "weather", "Ann Lee"],
    ["102", "Council votes on budget", "", "politics", ""],
    ["999", "Nobody read this one", "2024-02-27 07:00:00", "", "Bo Chen"],
]


def test_articles_file_gives_page_titles_and_the_cms_export(tmp_path: Path) -> None:
    src = write_csv(tmp_path / "reads.csv", ["user_id", "article_id", "timestamp", "dwell_seconds"], TINY)
    meta = write_csv(
        tmp_path / "articles.tsv",
        ["article_id", "title", "published_at", "section", "author"],
        ARTICLES,
        sep="\t",
    )
    assert (
        main(
            [
                "replay",
                "--input",
                str(src),
                "--out",
                str(tmp_path / "out"),
                "--articles",
                str(meta),
                "--no-gzip",
                "--quiet",
            ]
        )
        == 0
    )
    m = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert (m["articles"], m["articles_in_cms_export"], m["articles_with_published_at"]) == (3, 4, 2)
    titles = {
        SITE_TEMPLATES["replay"].article_id_from_path(v[F["page_urlpath"]]): v[F["page_title"]]
        for v in events(tmp_path / "out")
        if v[F["event"]] == "page_view"
    }
    assert titles == {
        "101": "Storm floods the city centre | Replay",
        "102": "Council votes on budget | Replay",
        "103": "Replay",  # not in the file: no title known, none invented
    }
    with open(tmp_path / "out" / "articles" / "articles.csv", newline="") as fh:
        cms = {r["article_id"]: r for r in csv.DictReader(fh)}
    assert set(cms) == {"101", "102", "103", "999"}
    assert cms["101"] == {
        "site_id": "replay",
        "article_id": "101",
        "published_at": "2024-02-28 08:30:00",
        "section": "weather",
        "author": "Ann Lee",
        "title": "Storm floods the city centre",
        "url": "https://" + SITE_TEMPLATES["replay"].host + "/read/101/storm-floods-the-city-centre",
    }
    assert cms["102"]["published_at"] == "" and cms["103"]["title"] == ""
    assert (cms["999"]["published_at"], cms["999"]["author"]) == ("2024-02-27 07:00:00", "Bo Chen")


def test_articles_file_from_parquet_overrides_mind_news(tmp_path: Path) -> None:
    src = _tiny_mind(tmp_path / "mind")
    meta = tmp_path / "articles.parquet"
    pd.DataFrame(
        {
            "article_id": ["N10", "N14", "N14", ""],
            "title": ["Big game tonight, updated", "Fresh title", "second copy", "x"],
            "published_at": pd.to_datetime(["2019-11-15 06:00", None, None, None]),
        }
    ).to_parquet(meta)
    m = replay(ReplayConfig(input=src, out=tmp_path / "out", mind=True, articles=meta, quiet=True))
    assert m["articles_file_skipped_by_reason"] == {"missing article_id": 1, "repeated article_id": 1}
    with open(tmp_path / "out" / "articles" / "articles.csv", newline="") as fh:
        cms = {r["article_id"]: r for r in csv.DictReader(fh)}
    assert cms["N10"]["title"] == "Big game tonight, updated" and cms["N10"]["section"] == "sports"
    assert cms["N10"]["published_at"] == "2019-11-15 06:00:00"
    assert cms["N14"]["title"] == "Fresh title" and cms["N14"]["published_at"] == ""
    assert cms["N12"]["title"] == "City council votes"  # news.tsv where the file says nothing


def test_articles_file_names_the_missing_column(tmp_path: Path) -> None:
    src = write_csv(
        tmp_path / "reads.csv", ["user_id", "article_id", "timestamp"], [["u1", "1", "2024-01-01"]]
    )
    meta = write_csv(tmp_path / "a.csv", ["article_id", "headline"], [["1", "x"]])
    with pytest.raises(InputError, match="missing columns title, published_at"):
        replay(ReplayConfig(input=src, out=tmp_path / "out", articles=meta, quiet=True))


def test_replay_names_the_missing_column(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    src = write_csv(tmp_path / "reads.csv", ["user", "article_id", "timestamp"], [["u1", "1", "2024-01-01"]])
    with pytest.raises(InputError, match="missing column user_id"):
        replay(ReplayConfig(input=src, out=tmp_path / "out", quiet=True))
    assert main(["replay", "--input", str(src), "--out", str(tmp_path / "out"), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "user_id" in err and err.count("\n") == 1 and "Traceback" not in err
    assert main(["replay", "--input", str(tmp_path / "nope.csv"), "--out", str(tmp_path / "o")]) == 2
    assert "not found" in capsys.readouterr().err


def test_bad_rows_are_skipped_and_counted_by_reason(tmp_path: Path) -> None:
    rows = [
        ["u1", "1", "2024-03-01T10:00:00Z", "20"],
        ["", "2", "2024-03-01T10:00:00Z", "20"],
        ["u1", "", "2024-03-01T10:00:00Z", "20"],
        ["u1", "3", "yesterday-ish", "20"],
        ["u1", "4", "2024-03-01T10:05:00Z", "lots"],
        ["u1", "5", "2024-03-01T10:06:00Z", "-3"],
        ["u1", "bad id!", "2024-03-01T10:07:00Z", ""],
        ["u2", "6", "1709287200", ""],  # epoch seconds
    ]
    src = write_csv(tmp_path / "reads.csv", ["user_id", "article_id", "timestamp", "dwell_seconds"], rows)
    m = replay(ReplayConfig(input=src, out=tmp_path / "out", quiet=True))
    assert m["rows_read"] == 8 and m["reads"] == 2 and m["skipped"] == 6
    reasons = m["skipped_by_reason"]
    assert reasons["missing user_id"] == reasons["missing article_id"] == reasons["bad timestamp"] == 1
    assert reasons["bad dwell_seconds"] == 2
    assert any("does not fit site replay" in k for k in reasons)
    assert m["first_event"] == "2024-03-01 10:00:00"


def test_replay_reads_parquet_onto_a_numeric_site(tmp_path: Path) -> None:
    src = tmp_path / "reads.parquet"
    pd.DataFrame(
        {
            "user_id": ["x", "x", "y"],
            "article_id": ["7", "8", "x9"],
            "timestamp": pd.to_datetime(["2024-03-01 10:00", "2024-03-01 10:02", "2024-03-01 10:00"]),
            "dwell_seconds": [12.0, 3.0, 40.0],
        }
    ).to_parquet(src)
    m = replay(ReplayConfig(input=src, out=tmp_path / "out", site="herald", quiet=True))
    assert m["reads"] == 2 and m["page_pings"] == 1 + 0
    site = SITE_TEMPLATES["herald"]
    paths = {v[F["page_urlpath"]] for v in events(tmp_path / "out")}
    assert {site.article_id_from_path(p) for p in paths} == {"7", "8"}


def _tiny_mind(folder: Path) -> Path:
    folder.mkdir()
    (folder / "behaviors.tsv").write_text(
        "1\tU1\t11/15/2019 8:55:22 AM\tN1 N2\tN10-1 N11-0 N12-1\n"
        "2\tU1\t11/15/2019 8:58:00 AM\tN1 N2\tN13-0 N14-1\n"
        "3\tU2\t11/14/2019 11:00:00 PM\t\tN10-1 junk\n"
        "4\tU3\tnot a time\tN1\tN10-1\n"
        "broken line\n",
        encoding="utf-8",
    )
    (folder / "news.tsv").write_text(
        "N10\tsports\tfootball_nfl\tBig game tonight\tabstract\thttps://x\t[]\t[]\n"
        "N12\tnews\tnewsus\tCity council votes\tabstract\thttps://x\t[]\t[]\n",
        encoding="utf-8",
    )
    return folder / "behaviors.tsv"


def test_mind_clicks_become_reads_on_the_mind_site(tmp_path: Path) -> None:
    src = _tiny_mind(tmp_path / "mind")
    m = replay(ReplayConfig(input=src, out=tmp_path / "out", mind=True, quiet=True))
    assert m["reads"] == 4 and m["rows_read"] == 5 and m["users"] == 2
    assert m["skipped_by_reason"] == {"bad impression token": 1, "bad timestamp": 1, "wrong field count": 1}
    assert m["history"] == "skipped" and m["history_items"] == 2
    site = SITE_TEMPLATES["mind"]
    rows = events(tmp_path / "out")
    pvs = [v for v in rows if v[F["event"]] == "page_view"]
    assert sorted(site.article_id_from_path(v[F["page_urlpath"]]) for v in pvs) == [
        "N10",
        "N10",
        "N12",
        "N14",
    ]
    assert any(v[F["page_urlpath"]] == "/news/sports/big-game-tonight-N10" for v in pvs)
    # two clicks of one impression are read one after the other
    u1 = sorted(
        v[F["dvce_created_tstamp"]] for v in pvs if v[F["domain_userid"]] == pseudonymous_id("mind", "U1")
    )
    assert u1[0] == "2019-11-15 08:55:22.000" and u1[1] > u1[0]
    with open(tmp_path / "out" / "articles" / "articles.csv", newline="") as fh:
        meta = {r["article_id"]: r for r in csv.DictReader(fh)}
    assert meta["N10"]["title"] == "Big game tonight" and meta["N10"]["section"] == "sports"
    assert meta["N14"]["published_at"] == ""

    with_history = replay(
        ReplayConfig(input=src, out=tmp_path / "h", mind=True, mind_history=True, quiet=True)
    )
    assert with_history["reads"] == 4 + 2


def test_mind_site_regex_matches_the_seed_and_ids_are_text() -> None:
    site = SITE_TEMPLATES["mind"]
    path = site.article_path("N12345", "foodanddrink", "Ten recipes: fast & cheap!", None)
    assert re.fullmatch(r"/news/foodanddrink/ten-recipes-fast-cheap-N12345", path)
    assert site.article_id_from_path(path) == "N12345"
    assert site.article_id_from_path("/tag/N12345") is None


@pytest.mark.skipif(not MIND_SUBSET.is_file(), reason="../shared MIND subset not available")
def test_replay_of_the_shared_mind_subset(tmp_path: Path) -> None:
    m = replay(ReplayConfig(input=MIND_SUBSET, out=tmp_path / "out", mind=True, quiet=True))
    assert m["rows_read"] == 5000 and m["reads"] > 5000 and m["skipped"] == 0
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert manifest["events"] == m["page_views"] + m["page_pings"]

"""`article-recs generate`: the enriched TSV it writes, its hidden truth, and the CLI around it."""

from __future__ import annotations

import csv
import gzip
import hashlib
import json
import re
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from article_recs.cli import main
from article_recs.events.fields import FIELD_INDEX, FIELDS, N_FIELDS
from article_recs.events.truth import GroundTruth
from article_recs.tools.generate import SITE_TEMPLATES, GenerateConfig, generate
from article_recs.tools.sites import generated_sites

END = date(2024, 5, 15)
# the widget's events have their own tests (test_widget_events.py): these check page views and pings
SMALL = dict(users=400, articles=160, days=3, sites=2, end=END, quiet=True, widget=False)
RATES = dict(bot_rate=0.05, duplicate_rate=0.03, malformed_rate=0.01, late_rate=0.01)
UUID4 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
TSTAMP = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3}$")
WEB_PAGE_ID = re.compile(r'web_page/jsonschema/1-0-0","data":\{"id":"([0-9a-f-]{36})"')
F = FIELD_INDEX


def read_lines(out: Path) -> list[tuple[Path, str]]:
    """(file, line) for every line of every event file, in file order."""
    lines = []
    for path in sorted((out / "events").rglob("*.tsv*")):
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rt", encoding="utf-8") as fh:
            lines.extend((path, line.rstrip("\n")) for line in fh)
    return lines


def ms(text: str) -> int:
    return round(datetime.strptime(text, "%Y-%m-%d %H:%M:%S.%f").replace(tzinfo=UTC).timestamp() * 1000)


def is_tstamp(text: str) -> bool:
    try:
        return bool(TSTAMP.match(text)) and ms(text) > 0
    except ValueError:
        return False


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> dict:
    out = tmp_path_factory.mktemp("generated")
    manifest = generate(GenerateConfig(out=out, seed=11, **SMALL, **RATES))
    lines = read_lines(out)
    valid = [(p, line.split("\t")) for p, line in lines if len(line.split("\t")) == N_FIELDS]
    return {"out": out, "manifest": manifest, "lines": lines, "valid": valid}


def _has_web_page(contexts: str) -> bool:
    try:
        entities = json.loads(contexts)["data"]
    except ValueError:
        return False
    return any(e["schema"].startswith("iglu:com.snowplowanalytics.snowplow/web_page/") for e in entities)


def well_formed(dataset: dict) -> list[list[str]]:
    """Lines with 131 fields, a parseable collector_tstamp, an event_id and valid contexts with a web_page."""
    if "well_formed" not in dataset:
        dataset["well_formed"] = [
            v
            for _, v in dataset["valid"]
            if is_tstamp(v[F["collector_tstamp"]]) and v[F["event_id"]] and _has_web_page(v[F["contexts"]])
        ]
    return dataset["well_formed"]


# ------------------------------------------------------------------------------------------------ shape
def test_every_line_has_131_fields_except_the_truncated_ones(dataset: dict) -> None:
    m = dataset["manifest"]
    counts = Counter(len(line.split("\t")) for _, line in dataset["lines"])
    assert len(dataset["lines"]) == m["lines"] == m["events"] + m["malformed_lines"]
    assert sum(n for fields, n in counts.items() if fields != N_FIELDS) == m["malformed_by_kind"]["truncated"]
    assert all(n > 0 for n in m["malformed_by_kind"].values()), m["malformed_by_kind"]
    assert sum(m["malformed_by_kind"].values()) == m["malformed_lines"]


def test_field_values_look_like_snowplow(dataset: dict) -> None:
    rows = well_formed(dataset)
    assert len(rows) == dataset["manifest"]["events"]  # every malformed line is caught by the filter
    for v in rows[:5000]:
        assert v[F["platform"]] == "web"
        assert v[F["event"]] in ("page_view", "page_ping") and v[F["event_name"]] == v[F["event"]]
        assert UUID4.match(v[F["event_id"]]) and UUID4.match(v[F["domain_sessionid"]])
        assert UUID4.match(v[F["domain_userid"]]) and UUID4.match(v[F["network_userid"]])
        for name in (
            "etl_tstamp",
            "collector_tstamp",
            "dvce_created_tstamp",
            "dvce_sent_tstamp",
            "derived_tstamp",
        ):
            assert TSTAMP.match(v[F[name]]), (name, v[F[name]])
        assert ms(v[F["derived_tstamp"]]) == ms(v[F["collector_tstamp"]]) - (
            ms(v[F["dvce_sent_tstamp"]]) - ms(v[F["dvce_created_tstamp"]])
        )
        assert v[F["v_tracker"]].startswith("js-3.")
        assert (
            v[F["event_vendor"]] == "com.snowplowanalytics.snowplow" and v[F["event_format"]] == "jsonschema"
        )
        assert re.fullmatch(r"[0-9a-f]{32}", v[F["event_fingerprint"]])
        assert all(0 <= int(o) <= 255 for o in v[F["user_ipaddress"]].split("."))
        assert v[F["page_url"]] == f"https://{v[F['page_urlhost']]}{v[F['page_urlpath']]}" + (
            f"?{v[F['page_urlquery']]}" if v[F["page_urlquery"]] else ""
        )
        assert v[F["refr_medium"]] in ("", "internal", "search", "social", "unknown")
        assert (
            json.loads(v[F["derived_contexts"]])["data"][0]["schema"]
            == "iglu:nl.basjes/yauaa_context/jsonschema/1-0-4"
        )
        if v[F["event"]] == "page_ping":
            assert int(v[F["pp_yoffset_min"]]) <= int(v[F["pp_yoffset_max"]])
        else:
            assert v[F["pp_yoffset_max"]] == ""
    logged_in = {v[F["domain_userid"]] for v in rows if v[F["user_id"]]}
    readers = {v[F["domain_userid"]] for v in rows}
    assert 0 < len(logged_in) < 0.25 * len(readers)  # a minority of readers carry a user_id (PII)


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path: Path) -> None:
    tiny = dict(users=60, articles=24, days=2, sites=2, end=END, quiet=True)

    def digest(out: Path) -> dict[str, str]:
        return {
            str(p.relative_to(out)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(out.rglob("*"))
            if p.is_file()
        }

    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    generate(GenerateConfig(out=a, seed=5, **tiny))
    generate(GenerateConfig(out=b, seed=5, **tiny))
    generate(GenerateConfig(out=c, seed=6, **tiny))
    assert digest(a) == digest(b)
    assert digest(a) != digest(c)
    assert any(p.endswith(".tsv.gz") for p in digest(a))


def test_files_are_split_by_collector_hour_and_app(dataset: dict) -> None:
    out = dataset["out"]
    checked = 0
    for path, v in dataset["valid"]:
        rel = path.relative_to(out / "events").parts
        assert len(rel) == 5 and re.fullmatch(r"[a-z0-9]+-web-\d{4}\.tsv\.gz", rel[4]), rel
        if not is_tstamp(v[F["collector_tstamp"]]):
            continue  # the malformed "bad collector_tstamp" lines
        assert "/".join(rel[:4]) == v[F["collector_tstamp"]][:13].replace("-", "/").replace(" ", "/")
        assert rel[4].startswith(v[F["app_id"]] + "-")
        checked += 1
    assert checked > 0.98 * len(dataset["valid"])
    last = max(v[F["collector_tstamp"]] for v in well_formed(dataset))
    assert last < END.isoformat()  # nothing at or after --end midnight


# ------------------------------------------------------------------------------------------------ behaviour
def _page_views_and_pings(rows: list[list[str]]) -> tuple[dict, dict]:
    views, pings = {}, defaultdict(list)
    for v in rows:
        pv_id = WEB_PAGE_ID.search(v[F["contexts"]]).group(1)
        if v[F["event"]] == "page_view":
            views[pv_id] = v
        else:
            pings[pv_id].append(v)
    return views, pings


def test_page_pings_carry_their_page_views_id(dataset: dict) -> None:
    views, pings = _page_views_and_pings(well_formed(dataset))
    orphans = [pv_id for pv_id in pings if pv_id not in views]
    m = dataset["manifest"]
    # a page view can be lost in transit, or be one of the malformed lines
    assert len(orphans) <= m["lost_page_views"] + m["malformed_lines"]
    assert len(pings) > 100
    for pv_id, events in pings.items():
        if pv_id in views:
            pv = views[pv_id]
            for e in events:
                for name in ("page_url", "domain_sessionid", "domain_userid", "page_referrer"):
                    assert e[F[name]] == pv[F[name]]
                assert ms(e[F["dvce_created_tstamp"]]) > ms(pv[F["dvce_created_tstamp"]])


def test_page_pings_every_ten_seconds_after_five(dataset: dict) -> None:
    views, pings = _page_views_and_pings(well_formed(dataset))
    gaps, firsts = [], []
    for pv_id, events in pings.items():
        times = sorted({ms(e[F["dvce_created_tstamp"]]) for e in events})
        if pv_id in views and len(times) == len({e[F["event_id"]] for e in events}):
            firsts.append(times[0] - ms(views[pv_id][F["dvce_created_tstamp"]]))
            gaps.extend(b - a for a, b in zip(times, times[1:], strict=False))
    assert gaps and firsts
    # the first ping ~5 s after the page view (unless that ping was turned into a malformed line)
    assert sum(5_000 <= f <= 5_500 for f in firsts) / len(firsts) > 0.98
    assert all((f - 5_000) % 10_000 <= 500 for f in firsts)
    # consecutive pings are ~10 s apart (a ping lost to a malformed line makes a 20 s gap)
    assert sum(9_500 <= g <= 10_500 for g in gaps) / len(gaps) > 0.98


def test_sessions_are_30_minutes_apart_per_reader(dataset: dict) -> None:
    by_reader = defaultdict(list)
    seen = set()
    for v in well_formed(dataset):
        if v[F["event_id"]] in seen or "bot" in v[F["useragent"]].lower():
            continue
        seen.add(v[F["event_id"]])
        by_reader[v[F["domain_userid"]]].append(
            (ms(v[F["dvce_created_tstamp"]]), v[F["domain_sessionid"]], int(v[F["domain_sessionidx"]]))
        )
    multi = 0
    for events in by_reader.values():
        events.sort()
        idx_of = {}
        for (t0, s0, i0), (t1, s1, i1) in zip(events, events[1:], strict=False):
            if s0 != s1:
                assert t1 - t0 >= 30 * 60_000
                assert i1 == i0 + 1
                multi += 1
            else:
                assert t1 - t0 < 30 * 60_000
            idx_of[s1] = i1
    assert multi > 20


def test_duplicates_share_event_id(dataset: dict) -> None:
    by_id = defaultdict(list)
    for v in well_formed(dataset):
        by_id[v[F["event_id"]]].append(v)
    copies = {k: vs for k, vs in by_id.items() if len(vs) > 1}
    assert sum(len(vs) - 1 for vs in copies.values()) == dataset["manifest"]["duplicate_events"] > 0
    moved = 0
    for a, b in copies.values():
        differing = {FIELDS[i] for i in range(N_FIELDS) if a[i] != b[i]}
        assert differing <= {"collector_tstamp", "etl_tstamp", "derived_tstamp"}
        moved += bool(differing)
    assert 0 < moved < len(copies)  # some byte-identical, some re-sent seconds later


def test_bots_use_bot_user_agents_and_send_no_pings(dataset: dict) -> None:
    bot_events = 0
    for v in well_formed(dataset):
        robot = '"deviceClass":"Robot"' in v[F["derived_contexts"]]
        assert robot == ("bot" in v[F["useragent"]].lower())
        if robot:
            bot_events += 1
            assert v[F["event"]] == "page_view" and v[F["br_type"]] == "Robot"
    assert bot_events == dataset["manifest"]["bot_events"] > 0


def test_late_events_reach_the_collector_hours_after_creation(dataset: dict) -> None:
    late = [
        v
        for v in well_formed(dataset)
        if ms(v[F["collector_tstamp"]]) - ms(v[F["dvce_created_tstamp"]]) > 3_600_000
    ]
    assert len(late) == dataset["manifest"]["late_events"] > 0
    for v in late:  # derived_tstamp still tells the true time
        assert abs(ms(v[F["derived_tstamp"]]) - ms(v[F["dvce_created_tstamp"]])) < 1_000


def test_readers_follow_stories_within_a_session(dataset: dict) -> None:
    truth = GroundTruth.load(dataset["out"])
    story = {
        (s, a): st
        for s in truth.site_ids
        for a, st in truth.articles(s)[["article_id", "story_id"]].itertuples(index=False)
    }
    site_of = {t.app_id: t for t in generated_sites(2)}
    views = sorted(
        (
            v
            for v in well_formed(dataset)
            if v[F["event"]] == "page_view" and "bot" not in v[F["useragent"]].lower()
        ),
        key=lambda v: (v[F["domain_sessionid"]], v[F["dvce_created_tstamp"]]),
    )
    pairs = same = 0
    previous: dict[str, str] = {}
    for v in views:
        site = site_of[v[F["app_id"]]]
        article = site.article_id_from_path(v[F["page_urlpath"]])
        if article is None:
            continue
        key = story[(site.site_id, article)]
        if v[F["domain_sessionid"]] in previous:
            pairs += 1
            same += previous[v[F["domain_sessionid"]]] == key
        previous[v[F["domain_sessionid"]]] = key
    assert pairs > 100 and same / pairs > 0.3  # the item-to-item signal related-article models need


# ------------------------------------------------------------------------------------------------ truth
def test_ground_truth_scores_same_story_articles_higher(dataset: dict) -> None:
    out = dataset["out"]
    for name in ("readers.csv", "articles.csv", "params.json"):
        assert (out / "ground_truth" / name).is_file()
    truth = GroundTruth.load(out)
    arts = truth.articles("herald")
    reader = truth.readers("herald")["domain_userid"].iloc[0]
    at = datetime(2024, 5, 14, 12, tzinfo=UTC)
    published = arts[arts["published_at"] < at]
    source = published.groupby("story_id").filter(lambda g: len(g) >= 3).iloc[-1]
    siblings = set(published.loc[published["story_id"] == source["story_id"], "article_id"]) - {
        source["article_id"]
    }

    plain = truth.score_candidates("herald", reader, at)
    boosted = truth.score_candidates("herald", reader, at, source_article_id=source["article_id"])
    assert set(plain.index) == set(published["article_id"])  # only articles published before `at`
    beh = truth.behaviour
    for article in siblings:
        assert boosted[article] == pytest.approx(plain[article] * beh.story_boost)
    # the source is in its own story and counts as read
    assert boosted[source["article_id"]] == pytest.approx(
        plain[source["article_id"]] * beh.story_boost * beh.reread_factor
    )
    assert boosted.index[0] in siblings or plain[boosted.index[0]] > 0
    # naive datetimes are UTC; an average reader when domain_userid is None
    naive = truth.score_candidates("herald", reader, at.replace(tzinfo=None))
    assert naive.equals(plain)
    assert len(truth.score_candidates("herald", None, at)) == len(plain)
    with pytest.raises(KeyError):
        truth.score_candidates("herald", "not-a-reader", at)


def test_oracle_explains_the_reads_the_generator_made(dataset: dict) -> None:
    """Replaying each in-session next read through score_candidates (source, history, time): the article the
    generator chose always has a positive score and far more than an even share of the probability."""
    truth = GroundTruth.load(dataset["out"])
    site_of = {t.app_id: t for t in generated_sites(2)}
    views = sorted(
        (v for v in well_formed(dataset) if v[F["event"]] == "page_view" and "bot" not in v[F["useragent"]]),
        key=lambda v: v[F["dvce_created_tstamp"]],
    )
    history: dict[str, list[str]] = defaultdict(list)
    last_in_session: dict[str, str] = {}
    shares, evens = [], []
    for v in views:
        site = site_of[v[F["app_id"]]]
        article = site.article_id_from_path(v[F["page_urlpath"]])
        if article is None:
            continue
        reader, session = v[F["domain_userid"]], v[F["domain_sessionid"]]
        source = last_in_session.get(session)
        if source is not None and len(shares) < 300:
            at = datetime.strptime(v[F["dvce_created_tstamp"]], "%Y-%m-%d %H:%M:%S.%f")
            scores = truth.score_candidates(site.site_id, reader, at, source, history[reader])
            assert scores[article] > 0
            shares.append(scores[article] / scores.sum())
            evens.append(1 / (scores > 0).sum())
        last_in_session[session] = article
        history[reader].append(article)
    assert len(shares) > 100
    assert sum(shares) / len(shares) > 10 * sum(evens) / len(evens)


def test_cms_export_lists_every_article_and_urls_match_the_site_regex(dataset: dict) -> None:
    out = dataset["out"]
    with open(out / "articles" / "articles.csv", newline="", encoding="utf-8") as fh:
        cms = list(csv.DictReader(fh))
    truth = GroundTruth.load(out)
    assert len(cms) == SMALL["articles"] == sum(len(truth.articles(s)) for s in truth.site_ids)
    assert any(row["published_at"] < "2024-05-12" for row in cms)  # some published before the window
    known = set()
    for row in cms:
        site = SITE_TEMPLATES[row["site_id"]]
        path = row["url"].removeprefix(f"https://{site.host}")
        assert site.article_id_from_path(path) == row["article_id"]
        assert row["article_id"].isdigit()
        known.add((row["site_id"], row["article_id"]))
    assert len(known) == len(cms)

    site_of = {t.app_id: t for t in generated_sites(2)}
    lookalikes = kinds = 0
    for v in well_formed(dataset):
        site = site_of[v[F["app_id"]]]
        path = v[F["page_urlpath"]]
        article = site.article_id_from_path(path)
        if article is not None:
            assert (site.site_id, article) in known
        elif path.startswith(("/sponsored/", "/wires/")):
            # looks like an article (the regex alone matches) but sits under an excluded prefix
            assert re.search(site.article_url_regex, path)
            lookalikes += 1
        else:
            kinds += 1
    assert lookalikes > 0 and kinds > 0


def test_site_templates_agree_with_the_sites_seed() -> None:
    seed = Path(__file__).resolve().parents[2] / "seeds" / "sites.csv"
    if not seed.exists():
        pytest.skip("seeds/sites.csv not there")
    with open(seed, newline="", encoding="utf-8") as fh:
        rows = {row["site_id"]: row for row in csv.DictReader(fh)}
    for site_id in ("herald", "metro", "mind"):
        assert site_id in rows
    for site_id, template in SITE_TEMPLATES.items():
        if site_id in rows:
            expected = template.seed_row()
            assert {k: rows[site_id][k] or "" for k in expected} == expected


# ------------------------------------------------------------------------------------------------ modes, CLI
def test_bad_input_mode_injects_garbage(tmp_path: Path) -> None:
    m = generate(
        GenerateConfig(out=tmp_path, users=80, articles=30, days=2, end=END, quiet=True, bad_input=True)
    )
    assert m["malformed_lines"] > 0.03 * m["lines"]
    assert m["malformed_by_kind"]["garbage"] > 0 and m["malformed_by_kind"]["extra_fields"] > 0
    assert m["bot_events"] > 0.05 * m["events"]
    raw = b"".join(gzip.open(p).read() for p in sorted((tmp_path / "events").rglob("*.gz")))
    lines = raw.split(b"\n")[:-1]
    counts = Counter(line.count(b"\t") + 1 for line in lines)
    assert counts[1] >= m["malformed_by_kind"]["garbage"]
    assert counts[N_FIELDS + 2] == m["malformed_by_kind"]["extra_fields"]
    not_utf8 = 0
    for line in lines:
        try:
            line.decode("utf-8")
        except UnicodeDecodeError:
            not_utf8 += 1
    assert not_utf8 == m["malformed_by_kind"]["invalid_utf8"] > 0


def test_cli_generate_writes_the_layout_and_summary(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    out = tmp_path / "demo"
    code = main(
        [
            "generate",
            "--out",
            str(out),
            "--users",
            "50",
            "--articles",
            "20",
            "--days",
            "1",
            "--end",
            "2024-05-15",
            "--no-gzip",
            "--quiet",
        ]
    )
    assert code == 0
    assert "events" in capsys.readouterr().out
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["files"] == len(list((out / "events").rglob("*.tsv"))) > 0
    assert manifest["window_start"] == "2024-05-14 00:00:00"
    params = json.loads((out / "ground_truth" / "params.json").read_text())
    assert params["seed"] == 42 and params["end"] == "2024-05-15"
    # running again over its own output replaces it
    assert (
        main(
            [
                "generate",
                "--out",
                str(out),
                "--users",
                "50",
                "--articles",
                "20",
                "--days",
                "1",
                "--end",
                "2024-05-15",
                "--quiet",
            ]
        )
        == 0
    )
    assert not list((out / "events").rglob("*.tsv"))


def test_cli_bad_arguments_exit_2_with_one_line(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["generate", "--out", str(tmp_path / "x"), "--articles", "1", "--sites", "2"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--articles" in err and "Traceback" not in err

    foreign = tmp_path / "foreign"
    (foreign / "events").mkdir(parents=True)
    assert main(["generate", "--out", str(foreign), "--users", "10", "--articles", "4", "--quiet"]) == 2
    assert "--force" in capsys.readouterr().err
    assert (foreign / "events").is_dir()

    with pytest.raises(SystemExit) as exc:
        main(["generate", "--out", str(tmp_path), "--end", "15/05/2024"])
    assert exc.value.code == 2


def test_default_end_is_today_utc(tmp_path: Path) -> None:
    m = generate(GenerateConfig(out=tmp_path, users=20, articles=8, days=1, quiet=True))
    today = datetime.now(UTC).date()
    assert m["window_end"][:10] in (today.isoformat(), (today + timedelta(days=1)).isoformat())

"""``article-recs replay``: a real interaction log as Snowplow enriched events, so real behaviour flows
through the whole pipeline.

Inputs
  generic  CSV, TSV or Parquet with columns ``user_id, article_id, timestamp`` and optional
           ``dwell_seconds``. Timestamps: ISO-8601 text (naive = UTC), or numbers = epoch seconds
           (milliseconds when > 1e11).
  --mind   MIND's ``behaviors.tsv`` (no header: impression_id, user_id, time ``11/15/2019 8:55:22 AM``
           taken as UTC, click history, impressions ``Nxxxx-1/0``). Every clicked impression (``-1``) is a
           read at the impression time; several clicks of one impression are read one after the other. The
           history has no timestamps: it is skipped (counted in the manifest) unless ``--mind-history``,
           which places each user's history (from their earliest impression) one read an hour, in order,
           ending a day before that impression. ``news.tsv`` beside it gives titles and categories
           (sections).
  --articles  the articles' metadata: CSV, TSV or Parquet with columns ``article_id, title, published_at``
           and optional ``section, author`` (published_at as the timestamps above; blank = unknown). It
           takes precedence over ``news.tsv`` where it has a value.

What each read becomes
  a page_view at its time, its page_title the article's title (``--articles``, else MIND's ``news.tsv``)
  with the site's masthead (the masthead alone when no title is known). With a ``dwell_seconds``, page
  pings every 10 s from 5 s while the reader stays (capped at ``Behaviour.max_dwell_s``; cut short when the
  same user's next read starts). Without one the dwell is unknown and the read has no page pings at all
  (nothing is invented: the page view then has engaged_time_in_s 0 and page_pings 0 downstream, as a visit
  under min_visit_length has). A user's reads are in time order; one not after the previous page view
  (plus its dwell when known) is moved just after it.
  Sessions break after 30 minutes without events (new domain_sessionid, domain_sessionidx + 1).

Identity
  domain_userid = uuid5(site_id + user_id): stable and pseudonymous. The raw user_id is the source system's id
  and is never written (user_id is empty). Browser, IP and country are stable per user, derived from a hash.

URLs follow the chosen site's template (``--site``, default ``mind`` with ``--mind`` else ``replay``) so the
site's ``article_url_regex`` recovers the article id; reads whose id cannot fit the site are skipped.
``DIR/articles/articles.csv`` is the CMS export (``site_id, article_id, published_at, section, author, title,
url``; the var ``article_recs__article_metadata_path``): every replayed article, and every article of
``--articles`` the site can route even if nobody read it. published_at comes from ``--articles``; left empty
when unknown (the pipeline then uses first_seen). Bad rows never stop a replay: they are counted by reason in
``manifest.json``.
"""

from __future__ import annotations

import csv
import hashlib
import sys
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from article_recs.events.behaviour import Behaviour
from article_recs.events.errors import InputError, InputFileNotFoundError

from .profiles import HUMAN_DEVICES, VIEWPORT_MARGIN
from .sites import SITE_TEMPLATES, SiteTemplate
from .tables import COUNTRY_TZ, PUBLIC_OCTETS, PageViews, Readers, make_pings, page_view_blocks, prepare_out
from .writer import (
    PAGE_PING,
    PAGE_VIEW,
    EventBatch,
    format_uuids,
    random_uuid_bytes,
    write_hourly,
    write_json,
)

REQUIRED_COLUMNS = ("user_id", "article_id", "timestamp")
OPTIONAL_COLUMNS = ("dwell_seconds",)
ARTICLE_COLUMNS = ("article_id", "title", "published_at")
OPTIONAL_ARTICLE_COLUMNS = ("section", "author")
SESSION_GAP_MS = 30 * 60_000
NEXT_READ_GAP_MS = 2_000  # when reads collide, the next starts this long after the previous one ends
MIND_HISTORY_SPACING_MS = 3_600_000
_NAMESPACE = uuid.UUID("6f1d3c52-9b1e-4c55-a7a4-2a4c2b8f0e11")


@dataclass(frozen=True)
class ReplayConfig:
    input: Path
    out: Path
    site: str | None = None
    articles: Path | None = None
    mind: bool = False
    mind_history: bool = False
    gzip: bool = True
    seed: int = 0
    quiet: bool = False
    force: bool = False
    behaviour: Behaviour = Behaviour()


@dataclass
class _Reads:
    """Reads in input order: user_id, article_id, t_ms (epoch ms), dwell_s (NaN: unknown, no page pings)."""

    frame: pd.DataFrame
    rows_read: int
    skipped: Counter
    articles: dict[str, tuple[str, str]]  # article_id -> (section, title), when the input knows them
    notes: dict[str, object]


# ================================================================================================= reading
def _read_table(path: Path) -> pd.DataFrame:
    name = path.name.lower()
    try:
        if name.endswith((".parquet", ".pq")):
            return pd.read_parquet(path)
        sep = "\t" if name.endswith((".tsv", ".tsv.gz", ".tab", ".txt", ".txt.gz")) else ","
        if not name.endswith((".csv", ".csv.gz", ".tsv", ".tsv.gz", ".tab", ".txt", ".txt.gz")):
            raise InputError(f"{path}: unsupported file type (use .csv, .tsv or .parquet, or --mind)")
        return pd.read_csv(
            path,
            sep=sep,
            dtype=str,
            keep_default_na=False,
            na_filter=False,
            on_bad_lines="skip",
            encoding_errors="replace",
            quoting=csv.QUOTE_MINIMAL,
        )
    except InputError:
        raise
    except (ValueError, OSError, ImportError) as exc:  # parser errors are ValueError subclasses
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise InputError(f"{path}: cannot read: {reason}") from exc


_EPOCH = pd.Timestamp(0, tz="UTC")


def _epoch_ms(ts: pd.Series) -> pd.Series:
    """UTC datetimes -> epoch milliseconds as float (NaN for NaT)."""
    return ((ts - _EPOCH) / pd.Timedelta(milliseconds=1)).astype("float64")


def _clean(text: str) -> str:
    """No tab or line break may reach a TSV field."""
    return " ".join(text.split()) if any(c in text for c in "\t\r\n") else text


def _parse_times(values: pd.Series) -> pd.Series:
    """Epoch milliseconds (float, NaN when unparseable) from text, numbers or datetimes."""
    if pd.api.types.is_datetime64_any_dtype(values):
        ts = values.dt.tz_localize("UTC") if values.dt.tz is None else values.dt.tz_convert("UTC")
        return _epoch_ms(ts)
    if pd.api.types.is_numeric_dtype(values):
        num = pd.to_numeric(values, errors="coerce").astype("float64")
        return num.where(num > 1e11, num * 1000.0)
    text = values.astype(str).str.strip()
    numeric = pd.to_numeric(text.where(text.str.fullmatch(r"\d+(\.\d+)?"), None), errors="coerce")
    out = numeric.where(numeric > 1e11, numeric * 1000.0)
    rest = out.isna() & (text != "")
    if rest.any():
        parsed = pd.to_datetime(text[rest], format="ISO8601", utc=True, errors="coerce")
        retry = parsed.isna()
        if retry.any():
            parsed[retry] = pd.to_datetime(text[rest][retry], format="mixed", utc=True, errors="coerce")
        out[rest] = _epoch_ms(parsed)
    return out


def read_interactions(path: Path) -> _Reads:
    """A generic interaction log. Raises :class:`InputError` naming any missing column."""
    table = _read_table(path)
    table.columns = [str(c).strip().lower() for c in table.columns]
    missing = [c for c in REQUIRED_COLUMNS if c not in table.columns]
    if missing:
        raise InputError(
            f"{path}: missing column{'s' if len(missing) > 1 else ''} {', '.join(missing)} "
            f"(need {', '.join(REQUIRED_COLUMNS)} and optionally dwell_seconds; found: "
            f"{', '.join(table.columns) or 'none'})"
        )
    skipped: Counter = Counter()
    users = table["user_id"].astype(str).str.strip()
    articles = table["article_id"].astype(str).str.strip()
    t_ms = _parse_times(table["timestamp"])
    if "dwell_seconds" in table.columns:
        raw = table["dwell_seconds"]
        dwell = pd.to_numeric(raw, errors="coerce").astype("float64")
        blank = raw.isna() | (raw.astype(str).str.strip() == "")
        bad_dwell = (~blank & dwell.isna()) | (dwell < 0)
    else:
        dwell = pd.Series(np.nan, index=table.index)
        bad_dwell = pd.Series(False, index=table.index)
    reasons = [
        ("missing user_id", (users == "") | (users.str.lower().isin(["nan", "none", "null"]))),
        ("missing article_id", (articles == "") | (articles.str.lower().isin(["nan", "none", "null"]))),
        ("bad timestamp", t_ms.isna()),
        ("bad dwell_seconds", bad_dwell),
    ]
    keep = pd.Series(True, index=table.index)
    for reason, bad in reasons:
        bad = bad & keep
        if bad.any():
            skipped[reason] += int(bad.sum())
        keep &= ~bad
    frame = pd.DataFrame({"user_id": users, "article_id": articles, "t_ms": t_ms, "dwell_s": dwell})[keep]
    return _Reads(frame.reset_index(drop=True), len(table), skipped, {}, {"format": "generic"})


def _read_mind_news(path: Path) -> dict[str, tuple[str, str]] | None:
    if not path.is_file():
        return None
    news: dict[str, tuple[str, str]] = {}
    with open(path, encoding="utf-8", errors="replace", newline="") as fh:
        for line in fh:
            parts = line.rstrip("\r\n").split("\t")
            if len(parts) >= 4 and parts[0]:
                news[parts[0]] = (_clean(parts[1]), _clean(parts[3]))
    return news


def read_mind(path: Path, history: bool) -> _Reads:
    """MIND ``behaviors.tsv`` (and ``news.tsv`` beside it): clicked impressions as reads."""
    skipped: Counter = Counter()
    users, times, clicks, histories = [], [], [], []
    rows_read = 0
    with open(path, encoding="utf-8", errors="replace", newline="") as fh:
        for line in fh:
            rows_read += 1
            parts = line.rstrip("\r\n").split("\t")
            if len(parts) != 5:
                skipped["wrong field count"] += 1
                continue
            _, user, time_text, hist, impressions = parts
            if not user:
                skipped["missing user_id"] += 1
                continue
            clicked = []
            for token in impressions.split():
                news_id, _, label = token.rpartition("-")
                if label not in ("0", "1") or not news_id:
                    skipped["bad impression token"] += 1
                elif label == "1":
                    clicked.append(news_id)
            users.append(user)
            times.append(time_text)
            clicks.append(clicked)
            histories.append(hist.split())
    t_ms = pd.to_datetime(
        pd.Series(times, dtype=str), format="%m/%d/%Y %I:%M:%S %p", utc=True, errors="coerce"
    )
    t_ms = _epoch_ms(t_ms).tolist()
    rows_u, rows_a, rows_t = [], [], []
    first_seen: dict[str, tuple[float, list[str]]] = {}
    impressions_without_click = 0
    for user, t, clicked, hist in zip(users, t_ms, clicks, histories, strict=True):
        if np.isnan(t):
            skipped["bad timestamp"] += 1
            continue
        if not clicked:
            impressions_without_click += 1
        for news_id in clicked:
            rows_u.append(user)
            rows_a.append(news_id)
            rows_t.append(t)
        if user not in first_seen or t < first_seen[user][0]:
            first_seen[user] = (t, hist)
    history_items = sum(len(h) for _, h in first_seen.values())
    if history:
        for user, (t, hist) in first_seen.items():
            start = t - 86_400_000 - len(hist) * MIND_HISTORY_SPACING_MS
            for i, news_id in enumerate(hist):
                rows_u.append(user)
                rows_a.append(news_id)
                rows_t.append(start + i * MIND_HISTORY_SPACING_MS)
    frame = pd.DataFrame({"user_id": rows_u, "article_id": rows_a, "t_ms": rows_t, "dwell_s": np.nan})
    frame["t_ms"] = frame["t_ms"].astype("float64")
    news = _read_mind_news(path.parent / "news.tsv")
    notes: dict[str, object] = {
        "format": "mind",
        "impressions_without_click": impressions_without_click,
        "history_items": history_items,
        "history": "replayed hourly before each user's first impression" if history else "skipped",
        "news_tsv": str(path.parent / "news.tsv") if news is not None else None,
    }
    return _Reads(frame, rows_read, skipped, news or {}, notes)


@dataclass
class ArticleMeta:
    """What the CMS export says about one article (empty text / None: unknown)."""

    section: str = ""
    title: str = ""
    author: str = ""
    published_ms: int | None = None


def read_articles(path: Path) -> tuple[dict[str, ArticleMeta], Counter, int]:
    """The ``--articles`` file: article_id -> :class:`ArticleMeta`, the rows skipped by reason, and the rows
    read. Raises :class:`InputError` naming any missing column. The first row of a repeated id wins."""
    if not path.is_file():
        raise InputFileNotFoundError(f"--articles {path} not found")
    table = _read_table(path)
    table.columns = [str(c).strip().lower() for c in table.columns]
    missing = [c for c in ARTICLE_COLUMNS if c not in table.columns]
    if missing:
        raise InputError(
            f"{path}: missing column{'s' if len(missing) > 1 else ''} {', '.join(missing)} "
            f"(need {', '.join(ARTICLE_COLUMNS)} and optionally {', '.join(OPTIONAL_ARTICLE_COLUMNS)}; "
            f"found: "
            f"{', '.join(table.columns) or 'none'})"
        )
    skipped: Counter = Counter()

    def text(column: str) -> list[str]:
        if column not in table.columns:
            return [""] * len(table)
        values = table[column].astype(object).where(table[column].notna(), "")
        return [_clean(str(v).strip()) for v in values]

    ids, titles, sections, authors = text("article_id"), text("title"), text("section"), text("author")
    raw_published = table["published_at"]
    blank = raw_published.isna() | (raw_published.astype(str).str.strip() == "")
    published = _parse_times(raw_published)
    out: dict[str, ArticleMeta] = {}
    for i, article_id in enumerate(ids):
        if article_id.lower() in ("", "nan", "none", "null"):
            skipped["missing article_id"] += 1
            continue
        if article_id in out:
            skipped["repeated article_id"] += 1
            continue
        ms = published.iloc[i]
        if not blank.iloc[i] and np.isnan(ms):
            skipped["bad published_at (kept, published_at unknown)"] += 1
        out[article_id] = ArticleMeta(
            section=sections[i],
            title=titles[i],
            author=authors[i],
            published_ms=None if np.isnan(ms) else int(ms),
        )
    return out, skipped, len(table)


def _merge_meta(news: dict[str, tuple[str, str]], given: dict[str, ArticleMeta]) -> dict[str, ArticleMeta]:
    """MIND's news.tsv (section, title) overlaid with the ``--articles`` values that are not empty."""
    merged = {a: ArticleMeta(section=section, title=title) for a, (section, title) in news.items()}
    for article_id, meta in given.items():
        base = merged.get(article_id, ArticleMeta())
        merged[article_id] = ArticleMeta(
            section=meta.section or base.section,
            title=meta.title or base.title,
            author=meta.author or base.author,
            published_ms=meta.published_ms if meta.published_ms is not None else base.published_ms,
        )
    return merged


# ================================================================================================= identity
def _hash_unit(*parts: str) -> float:
    """A stable number in [0, 1) from text."""
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def pseudonymous_id(site_id: str, user_id: str) -> str:
    """The domain_userid of a replayed user: a UUID derived from site and source user id (not reversible
    without the input)."""
    return str(uuid.uuid5(_NAMESPACE, f"{site_id}\x1f{user_id}"))


def _reader_for(readers: Readers, site: SiteTemplate, user_id: str) -> int:
    weights = np.cumsum([d.weight for d in HUMAN_DEVICES])
    device = HUMAN_DEVICES[
        int(np.searchsorted(weights / weights[-1], _hash_unit("device", user_id), side="right"))
    ]
    codes, w = zip(*site.countries, strict=True)
    cum = np.cumsum(w) / sum(w)
    country = codes[
        min(int(np.searchsorted(cum, _hash_unit("country", user_id), side="right")), len(codes) - 1)
    ]
    digest = hashlib.sha256(f"ip\x1f{user_id}".encode()).digest()
    ip = f"{PUBLIC_OCTETS[digest[0] % len(PUBLIC_OCTETS)]}.{digest[1]}.{digest[2]}.{1 + digest[3] % 254}"
    dw, dh = VIEWPORT_MARGIN[device.dvce_type]
    return readers.add(
        site=0,
        device=device,
        domain_userid=pseudonymous_id(site.site_id, user_id),
        network_userid=str(uuid.uuid5(_NAMESPACE, f"network\x1f{user_id}")),
        user_id="",
        ip=ip,
        country=country if country in COUNTRY_TZ else "US",
        viewport=(device.screen[0] - dw, device.screen[1] - dh),
        is_bot=False,
    )


# ================================================================================================= replay
def _choose_site(cfg: ReplayConfig) -> SiteTemplate:
    name = cfg.site or ("mind" if cfg.mind else "replay")
    if name not in SITE_TEMPLATES:
        raise InputError(f"unknown --site {name!r} (known: {', '.join(SITE_TEMPLATES)})")
    return SITE_TEMPLATES[name]


@dataclass
class _Timeline:
    """The reads in replay order (by user, then time): when each starts and how long it lasts."""

    users: list[str]
    articles: list[str]
    t: np.ndarray  # start, epoch ms: strictly increasing per user
    dwell_ms: np.ndarray
    unknown: np.ndarray  # no dwell given: the read gets no page pings
    moved: int  # reads moved after the user's previous one
    capped: int  # dwells capped at behaviour.max_dwell_s

    def keep(self, mask: np.ndarray) -> None:
        self.users = [u for u, k in zip(self.users, mask, strict=True) if k]
        self.articles = [a for a, k in zip(self.articles, mask, strict=True) if k]
        self.t, self.dwell_ms, self.unknown = self.t[mask], self.dwell_ms[mask], self.unknown[mask]


def _place_reads(frame: pd.DataFrame, beh: Behaviour) -> _Timeline:
    """Strictly increasing per user; a read ends where the user's next one starts."""
    n = len(frame)
    # a missing dwell stays unknown: 0 ms here, so the read gets no page pings (make_pings) - none invented
    dwell_in = frame["dwell_s"].to_numpy(dtype=np.float64)
    unknown = np.isnan(dwell_in)
    dwell_s = np.where(unknown, 0.0, dwell_in)
    capped = int((dwell_s > beh.max_dwell_s).sum())
    dwell_ms = (np.minimum(dwell_s, beh.max_dwell_s) * 1000).astype(np.int64)
    users = frame["user_id"].tolist()
    articles = frame["article_id"].tolist()
    t = frame["t_ms"].to_numpy(dtype=np.float64).astype(np.int64).copy()
    moved = 0
    for i in range(1, n):
        if users[i] == users[i - 1] and t[i] <= t[i - 1]:
            t[i] = t[i - 1] + dwell_ms[i - 1] + NEXT_READ_GAP_MS
            moved += 1
    same_next = (
        np.r_[np.array(users[1:], dtype=object) == np.array(users[:-1], dtype=object), False]
        if n
        else np.zeros(0, dtype=bool)
    )
    room = np.r_[t[1:] - t[:-1], 0] - 1000 - beh.ping_jitter_ms if n else np.zeros(0, dtype=np.int64)
    cut = same_next & (dwell_ms > room)
    dwell_ms = np.where(cut, np.maximum(room, 0), dwell_ms)
    return _Timeline(users, articles, t, dwell_ms, unknown, moved, capped)


def _article_paths(
    site: SiteTemplate, reads: _Timeline, given: dict[str, ArticleMeta], known: dict[str, ArticleMeta]
) -> dict[str, tuple[ArticleMeta, str]]:
    """Every article read (and every one of the CMS export the site can carry): its metadata and URL path,
    dated by the publish time when known, else the first read."""
    first_seen: dict[str, int] = {}
    for a, ti in zip(reads.articles, reads.t.tolist(), strict=True):
        if a not in first_seen or ti < first_seen[a]:
            first_seen[a] = ti
    meta: dict[str, tuple[ArticleMeta, str]] = {}
    for a in list(first_seen) + [a for a in given if a not in first_seen and site.is_valid_article_id(a)]:
        m = known.get(a, ArticleMeta())
        when = m.published_ms if m.published_ms is not None else first_seen[a]
        path = site.article_path(
            a, m.section or "general", m.title or "article", datetime.fromtimestamp(when / 1000, UTC)
        )
        meta[a] = (m, path)
    return meta


def _page_views(
    cfg: ReplayConfig, site: SiteTemplate, reads: _Timeline, meta: dict[str, tuple[ArticleMeta, str]],
    readers: Readers, reader_of: dict[str, int], last_offset: np.ndarray,
) -> PageViews:
    """One page view per read; a new session per user after SESSION_GAP_MS without events, the previous
    page of the session as the referrer."""
    from tqdm import tqdm

    pvs = PageViews()
    session = -1
    session_idx: dict[str, int] = {}
    prev_user, prev_end, prev_url = None, 0, ""
    n = len(reads.users)
    with tqdm(total=n, desc="reads", unit="read", disable=cfg.quiet, file=sys.stderr, leave=False) as bar:
        for i in range(n):
            user, ti = reads.users[i], int(reads.t[i])
            r = reader_of[user]
            if user != prev_user or ti - prev_end > SESSION_GAP_MS:
                session_idx[user] = session_idx.get(user, 0) + 1
                session = pvs.add_session(r, session_idx[user], readers.ip[r])
                referrer, medium = "", ""
            else:
                referrer, medium = prev_url, "internal"
            m, path = meta[reads.articles[i]]
            page_title = site.page_title(m.title)  # no title known: the masthead alone, nothing invented
            pvs.add(session, ti, int(reads.dwell_ms[i]), 0, -1, path, page_title, "", referrer, medium, "")
            prev_user, prev_end, prev_url = user, ti + int(last_offset[i]), site.url(path)
            bar.update(1)
    return pvs


def _event_batch(
    rng: np.random.Generator, site: SiteTemplate, pvs: PageViews, readers: Readers, pings, doc_height
) -> EventBatch:
    """The page views and their pings as one batch of enriched events (timestamps, ids, blocks)."""
    n = len(pvs.t_ms)
    session_ids = [
        str(uuid.uuid5(_NAMESPACE, f"session\x1f{site.site_id}\x1f{readers.domain_userid[r]}\x1f{idx}"))
        for r, idx in zip(pvs.sess_reader, pvs.sess_idx, strict=True)
    ]
    pv_ids = format_uuids(random_uuid_bytes(rng, n))
    a_blocks, b_blocks, c_blocks = page_view_blocks(
        pvs, readers, [site.host], pv_ids, session_ids, doc_height
    )
    pv_t = np.asarray(pvs.t_ms, dtype=np.int64)
    row_pv = np.concatenate([np.arange(n), pings.owner])
    row_kind = np.concatenate([np.full(n, PAGE_VIEW, np.int8), np.full(pings.owner.size, PAGE_PING, np.int8)])
    created = np.concatenate([pv_t, pv_t[pings.owner] + pings.offset_ms])
    rows = row_pv.size
    sent = created + rng.integers(3, 250, rows)
    collector = sent + rng.integers(20, 450, rows)
    pp = np.zeros((rows, 4), dtype=np.int64)
    pp[n:, 2] = pings.y_min
    pp[n:, 3] = pings.y_max
    return EventBatch(
        app_ids=[site.app_id],
        pv_site=np.zeros(n, dtype=np.int64),
        pv_a=a_blocks,
        pv_b=b_blocks,
        pv_c=c_blocks,
        row_pv=row_pv,
        row_kind=row_kind,
        created_ms=created,
        sent_ms=sent,
        collector_ms=collector,
        derived_ms=collector - (sent - created),
        etl_ms=collector + rng.integers(800, 6000, rows),
        row_uid=np.arange(rows),
        uid_bytes=random_uuid_bytes(rng, rows),
        fp_bytes=rng.integers(0, 256, (rows, 16), dtype=np.uint8),
        pp=pp,
    )


def replay(cfg: ReplayConfig) -> dict:
    """Replay ``cfg.input`` into ``cfg.out``; returns the manifest (also written to ``manifest.json``)."""
    from tqdm import tqdm

    if not cfg.input.is_file():
        raise InputFileNotFoundError(f"--input {cfg.input} not found")
    if cfg.mind_history and not cfg.mind:
        raise InputError("--mind-history needs --mind")
    site = _choose_site(cfg)
    reads = read_mind(cfg.input, cfg.mind_history) if cfg.mind else read_interactions(cfg.input)
    frame, skipped = reads.frame, reads.skipped
    given: dict[str, ArticleMeta] = {}
    articles_skipped: Counter = Counter()
    articles_rows = 0
    if cfg.articles is not None:
        given, articles_skipped, articles_rows = read_articles(cfg.articles)

    # ids the site cannot carry in its URLs
    valid = frame["article_id"].map(site.is_valid_article_id).astype(bool)
    if (~valid).any():
        skipped[f"article_id does not fit site {site.site_id} ({site.id_pattern})"] += int((~valid).sum())
        frame = frame[valid]
    frame = frame.reset_index(names="order").sort_values(["user_id", "t_ms", "order"], kind="stable")

    rng = np.random.default_rng(cfg.seed)
    timeline = _place_reads(frame, cfg.behaviour)
    meta = _article_paths(site, timeline, given, _merge_meta(reads.articles, given))
    unroutable = {a for a, (_, path) in meta.items() if site.article_id_from_path(path) != a}
    if unroutable:
        keep = np.array([a not in unroutable for a in timeline.articles], dtype=bool)
        if not keep.all():
            skipped[f"url of site {site.site_id} would not give back the article_id"] += int((~keep).sum())
        timeline.keep(keep)
    n = len(timeline.users)

    # pings (to know when a read's last event is), then sessions
    read_to = rng.beta(2.2, 1.4, n)
    doc_height = rng.integers(3000, 9000, n)
    readers = Readers()
    reader_of: dict[str, int] = {}
    for u in timeline.users:
        if u not in reader_of:
            reader_of[u] = _reader_for(readers, site, u)
    view_h = np.array([readers.viewport[reader_of[u]][1] for u in timeline.users], dtype=np.int64)
    pings = make_pings(cfg.behaviour, rng, timeline.dwell_ms, doc_height, view_h, read_to)
    last_offset = np.zeros(n, dtype=np.int64)
    if pings.owner.size:
        np.maximum.at(last_offset, pings.owner, pings.offset_ms)
    pvs = _page_views(cfg, site, timeline, meta, readers, reader_of, last_offset)
    batch = _event_batch(rng, site, pvs, readers, pings, doc_height)
    rows, created = batch.row_pv.size, batch.created_ms

    prepare_out(cfg.out, ["events", "articles"], cfg.force, "replay")
    with tqdm(
        total=rows,
        desc="writing",
        unit="event",
        unit_scale=True,
        disable=cfg.quiet,
        file=sys.stderr,
        leave=False,
    ) as bar:
        files = write_hourly(cfg.out, batch, gzip=cfg.gzip, progress=bar.update)
    _write_articles(cfg.out, site, {a: v for a, v in meta.items() if a not in unroutable})

    manifest = {
        "generator": "article-recs replay",
        "input": str(cfg.input),
        **reads.notes,
        "site": site.seed_row(),
        "gzip": cfg.gzip,
        "rows_read": reads.rows_read,
        "reads": n,
        "skipped": sum(skipped.values()),
        "skipped_by_reason": dict(sorted(skipped.items())),
        "reads_moved_after_previous": timeline.moved,
        "dwell_given": int((~timeline.unknown).sum()),
        "dwell_unknown_no_pings": int(timeline.unknown.sum()),
        "dwell_capped": timeline.capped,
        "users": len(reader_of),
        "sessions": len(pvs.sess_reader),
        "page_views": n,
        "page_pings": int(pings.owner.size),
        "events": rows,
        "articles": len(set(timeline.articles)),
        "articles_in_cms_export": len(meta) - len(unroutable),
        "articles_with_metadata": sum(1 for m, _ in meta.values() if m.section or m.title),
        "articles_with_published_at": sum(1 for m, _ in meta.values() if m.published_ms is not None),
        "articles_file": str(cfg.articles) if cfg.articles else None,
        "articles_file_rows": articles_rows,
        "articles_file_skipped_by_reason": dict(sorted(articles_skipped.items())),
        "files": len(files),
        "first_event": _fmt_ms(int(created.min())) if rows else None,
        "last_event": _fmt_ms(int(created.max())) if rows else None,
    }
    write_json(cfg.out / "manifest.json", manifest)
    return manifest


def _fmt_ms(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%d %H:%M:%S")


def _write_articles(out: Path, site: SiteTemplate, meta: dict[str, tuple[ArticleMeta, str]]) -> None:
    path = out / "articles" / "articles.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["site_id", "article_id", "published_at", "section", "author", "title", "url"])
        for article_id in sorted(meta):
            m, url_path = meta[article_id]
            published = _fmt_ms(m.published_ms) if m.published_ms is not None else ""
            url = site.url(url_path)
            w.writerow([site.site_id, article_id, published, m.section, m.author, m.title, url])


def summary_line(manifest: dict) -> str:
    m = manifest
    skipped = ", ".join(f"{v:,} {k}" for k, v in m["skipped_by_reason"].items()) or "none"
    return (
        f"replayed {m['reads']:,} reads of {m['rows_read']:,} input rows as {m['events']:,} events "
        f"({m['page_views']:,} page views, {m['page_pings']:,} pings, {m['sessions']:,} sessions, "
        f"{m['users']:,} users, {m['articles']:,} articles) in {m['files']:,} files; skipped: {skipped}"
    )

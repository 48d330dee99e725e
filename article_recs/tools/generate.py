"""``article-recs generate``: synthetic Snowplow enriched events for news sites, with the hidden truth.

Output (docs/DESIGN.md)::

    DIR/events/YYYY/MM/DD/HH/<app_id>-0000.tsv.gz   131-field enriched TSV, split by collector_tstamp hour
    DIR/articles/articles.csv                       CMS metadata of every article (also those published
                                                    before the window)
    DIR/ground_truth/readers.csv, articles.csv, params.json
    DIR/manifest.json                               counts of what was written

Time window: the ``days`` whole days before ``end`` 00:00 UTC (``end`` defaults to today, UTC), so every
event's collector_tstamp falls before ``end`` midnight and the same arguments on the same day give the same
bytes.
``--users`` and ``--articles`` are totals over all sites: each person reads a home site (and maybe a second
one, as a separate domain_userid), and the articles are split evenly between sites.

The same seed gives byte-identical files: every random draw comes from ``numpy`` generators spawned from the
seed, in a fixed order, and gzip headers carry no timestamp.
"""

from __future__ import annotations

import csv
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np

from article_recs.events.behaviour import Behaviour
from article_recs.events.errors import InputError

from .profiles import (
    BOT_DEVICES,
    BOT_NETWORKS,
    CAMPAIGNS,
    EXTERNAL_REFERRERS,
    FIRST_NAMES,
    HEADLINES,
    HUMAN_DEVICES,
    LAST_NAMES,
    PLACES,
    TOPIC_SUBJECTS,
    TOPICS,
    VIEWPORT_MARGIN,
)
from .sites import SITE_TEMPLATES, SiteTemplate, generated_sites
from .tables import PageViews, Readers, make_pings, page_view_blocks, prepare_out, random_ips
from .writer import (
    BAD_INPUT_KINDS,
    MALFORMED_KINDS,
    PAGE_PING,
    PAGE_VIEW,
    EventBatch,
    format_uuids,
    random_uuid_bytes,
    write_hourly,
    write_json,
)

__all__ = ["SITE_TEMPLATES", "GenerateConfig", "generate", "generated_sites"]

DEFAULT_RATES = {
    "bot_rate": 0.02,
    "duplicate_rate": 0.01,
    "malformed_rate": 0.001,
    "late_rate": 0.002,
    "lost_page_view_rate": 0.001,
}
#: ``--bad-input``: rates used for any rate not given explicitly, plus garbage lines.
BAD_INPUT_RATES = {
    "bot_rate": 0.1,
    "duplicate_rate": 0.05,
    "malformed_rate": 0.05,
    "late_rate": 0.03,
    "lost_page_view_rate": 0.02,
}
TOPIC_SHARE = np.array([0.18, 0.14, 0.14, 0.16, 0.1, 0.08, 0.1, 0.1])
EMAIL_DOMAINS = ("example.com", "mail.example", "example.org")

# page kinds
ARTICLE, HOME, SECTION, TAG, AUTHOR, LOOKALIKE = range(6)


@dataclass(frozen=True)
class GenerateConfig:
    """Arguments of :func:`generate`. Rates left as None take :data:`DEFAULT_RATES` (or
    :data:`BAD_INPUT_RATES` with ``bad_input``)."""

    out: Path
    users: int = 3000
    articles: int = 600
    days: int = 14
    sites: int = 2
    seed: int = 42
    end: date | None = None
    gzip: bool = True
    bot_rate: float | None = None
    duplicate_rate: float | None = None
    malformed_rate: float | None = None
    late_rate: float | None = None
    lost_page_view_rate: float | None = None
    bad_input: bool = False
    quiet: bool = False
    force: bool = False
    behaviour: Behaviour = field(default_factory=Behaviour)
    # the recommendation widget on article pages: rec_impression / rec_click events (tools/widget.py)
    widget: bool = True
    widget_arms: dict[str, float] | None = None  # None: half item_knn, half popularity

    def resolved(self) -> GenerateConfig:
        """Validated, with the end date and every rate filled in."""
        if self.users < 1 or self.articles < 1 or self.days < 1 or self.sites < 1:
            raise InputError("--users, --articles, --days and --sites must be at least 1")
        if self.articles < self.sites:
            raise InputError(f"--articles ({self.articles}) must be at least --sites ({self.sites})")
        if self.days > 3660:
            raise InputError("--days must be at most 3660")
        defaults = BAD_INPUT_RATES if self.bad_input else DEFAULT_RATES
        rates = {}
        for name, default in defaults.items():
            value = getattr(self, name)
            value = default if value is None else float(value)
            if not 0.0 <= value <= 0.5:
                raise InputError(f"--{name.replace('_', '-')} must be between 0 and 0.5, got {value}")
            rates[name] = value
        end = self.end or datetime.now(UTC).date()
        return replace(self, end=end, out=Path(self.out), **rates)

    @property
    def window(self) -> tuple[int, int]:
        """(start, end) of the window, epoch seconds."""
        assert self.end is not None
        end_s = int(datetime(self.end.year, self.end.month, self.end.day, tzinfo=UTC).timestamp())
        return end_s - self.days * 86400, end_s


# ================================================================================================= content
@dataclass
class SiteContent:
    """One site's articles (sorted by publish time) and its pages that only look like articles."""

    site: SiteTemplate
    ids: list[str]
    topic: np.ndarray
    story: np.ndarray
    quality: np.ndarray
    published_s: np.ndarray
    titles: list[str]
    authors: list[str]
    tags: list[str]
    paths: list[str]
    look_ids: list[str]
    look_titles: list[str]
    look_paths: list[str]
    look_published_s: np.ndarray
    story_prefix: str

    def story_id(self, story: int) -> str:
        return f"{self.story_prefix}-s{story:05d}"


def _make_content(
    site: SiteTemplate, n_articles: int, rng: np.random.Generator, beh: Behaviour, window: tuple[int, int]
) -> SiteContent:
    start_s, end_s = window
    lo, hi = beh.story_size
    sizes: list[int] = []
    while sum(sizes) < n_articles:
        sizes.append(int(rng.integers(lo, hi + 1)))
    sizes[-1] -= sum(sizes) - n_articles
    n_stories = len(sizes)
    story_topic = rng.choice(len(TOPICS), n_stories, p=TOPIC_SHARE / TOPIC_SHARE.sum())
    story_start = rng.uniform(start_s - beh.pre_window_days * 86400, end_s - 4 * 3600, n_stories)
    story_quality = rng.lognormal(0.0, beh.quality_sigma, n_stories)
    story = np.repeat(np.arange(n_stories), sizes)
    first = np.repeat(np.cumsum(sizes) - sizes, sizes)
    gaps = rng.exponential(beh.story_spread_hours * 3600, n_articles)
    gaps[first == np.arange(n_articles)] = 0.0
    cum = np.cumsum(gaps)
    published = story_start[story] + cum - cum[first]
    published = np.minimum(published, end_s - 1800).astype(np.int64)
    quality = story_quality[story] * rng.lognormal(0.0, beh.quality_sigma, n_articles)
    topic = story_topic[story]

    authors_pool = [
        f"{FIRST_NAMES[i % len(FIRST_NAMES)]} {LAST_NAMES[(i * 7) % len(LAST_NAMES)]}"
        for i in rng.choice(len(FIRST_NAMES) * len(LAST_NAMES), 24, replace=False)
    ]
    subjects = [TOPIC_SUBJECTS[TOPICS[t]][rng.integers(len(TOPIC_SUBJECTS[TOPICS[t]]))] for t in story_topic]
    places = [PLACES[i] for i in rng.integers(0, len(PLACES), n_stories)]
    headline_order = [rng.permutation(len(HEADLINES)) for _ in range(n_stories)]
    titles, authors, tags = [], [], []
    for i in range(n_articles):
        s = int(story[i])
        pattern = HEADLINES[headline_order[s][(i - first[i]) % len(HEADLINES)]]
        subject, place = subjects[s], places[s]
        titles.append(
            pattern.format(
                place=place, Place=place, subject=subject, Subject=subject[0].upper() + subject[1:]
            )
        )
        authors.append(authors_pool[int(rng.integers(len(authors_pool)))])
        tags.append(subject)

    n_look = max(3, n_articles // 20) if site.style in ("herald", "metro") else 0
    id_space = max(90_000, 20 * (n_articles + n_look))
    sample = rng.choice(id_space, n_articles + n_look, replace=False) + 10_000
    look_ids = [str(x) for x in sample[:n_look]]
    order = np.argsort(published, kind="stable")
    art_ids = [str(x) for x in np.sort(sample[n_look:])]

    published, quality, topic, story = published[order], quality[order], topic[order], story[order]
    titles = [titles[i] for i in order]
    authors = [authors[i] for i in order]
    tags = [tags[i] for i in order]
    paths = [
        site.article_path(art_ids[i], TOPICS[topic[i]], titles[i], datetime.fromtimestamp(published[i], UTC))
        for i in range(n_articles)
    ]
    look_published = np.sort(rng.uniform(start_s - 86400, end_s - 3600, n_look)).astype(np.int64)
    look_titles, look_paths = [], []
    for j in range(n_look):
        label = "Sponsored" if site.style == "herald" else "Wire"
        subject = TOPIC_SUBJECTS[TOPICS[j % len(TOPICS)]][j % 12]
        look_titles.append(f"{label}: {PLACES[(j * 5) % len(PLACES)]} {subject} update")
        look_paths.append(
            site.lookalike_path(look_ids[j], look_titles[j], datetime.fromtimestamp(look_published[j], UTC))
            or "/"
        )
    return SiteContent(
        site,
        art_ids,
        topic.astype(np.int64),
        story.astype(np.int64),
        quality,
        published,
        titles,
        authors,
        tags,
        paths,
        look_ids,
        look_titles,
        look_paths,
        look_published,
        site.site_id,
    )


# ================================================================================================= readers
def _make_people(
    cfg: GenerateConfig, sites: list[SiteTemplate], rng: np.random.Generator, readers: Readers
) -> dict[str, list]:
    """Readers of every site, with their hidden preferences and activity.

    A person has a home site and, sometimes, a second one; on each site they are a separate reader (their own
    domain_userid, preferences and activity) sharing the person's browser, IP, network_userid and user_id."""
    beh = cfg.behaviour
    n = cfg.users
    home = rng.integers(0, len(sites), n)
    has_second = (rng.random(n) < beh.second_site_share) & (len(sites) > 1)
    second = (home + rng.integers(1, max(len(sites), 2), n)) % len(sites)
    activity = np.exp(np.log(beh.sessions_per_day) + beh.activity_sigma * rng.standard_normal(n))
    device_p = np.array([d.weight for d in HUMAN_DEVICES])
    device_idx = rng.choice(len(HUMAN_DEVICES), n, p=device_p / device_p.sum())
    width_factor = rng.choice([1.0, 1.0, 0.75, 0.6], n)
    chrome_px = rng.integers(0, 40, n)
    ips = random_ips(rng, n)
    nuids = format_uuids(random_uuid_bytes(rng, n))
    logged_in = rng.random(n) < beh.logged_in_share
    numeric_ids = rng.random(n) < 0.4
    id_numbers = rng.integers(100_000, 9_999_999, n)
    first_names = rng.integers(0, len(FIRST_NAMES), n)
    last_names = rng.integers(0, len(LAST_NAMES), n)
    country_u = rng.random(n)
    n_readers = n + int(has_second.sum())
    prefs = rng.dirichlet(np.full(len(TOPICS), beh.pref_alpha), n_readers)
    prefs = (1 - beh.pref_floor) * prefs + beh.pref_floor / len(TOPICS)
    duids = format_uuids(random_uuid_bytes(rng, n_readers))

    country_cum = []
    for site in sites:
        codes, weights = zip(*site.countries, strict=True)
        country_cum.append((codes, np.cumsum(weights) / sum(weights)))

    rows: list[int] = []
    activities: list[float] = []
    for i in range(n):
        device = HUMAN_DEVICES[device_idx[i]]
        dw, dh = VIEWPORT_MARGIN[device.dvce_type]
        w, h = device.screen
        if device.dvce_type == "Computer":
            w = int(w * width_factor[i])
        viewport = (max(w - dw, 320), max(h - dh - int(chrome_px[i]), 400))
        codes, cum = country_cum[home[i]]
        country = codes[min(int(np.searchsorted(cum, country_u[i], side="right")), len(codes) - 1)]
        user_id = ""
        if logged_in[i]:
            if numeric_ids[i]:
                user_id = str(id_numbers[i])
            else:
                user_id = (
                    f"{FIRST_NAMES[first_names[i]].lower()}.{LAST_NAMES[last_names[i]].lower()}"
                    f"{id_numbers[i] % 1000}@{EMAIL_DOMAINS[id_numbers[i] % len(EMAIL_DOMAINS)]}"
                )
        site_list = [int(home[i])] + ([int(second[i])] if has_second[i] else [])
        for k, site in enumerate(site_list):
            row = readers.add(
                site=site,
                device=device,
                domain_userid=duids[len(rows)],
                network_userid=nuids[i],
                user_id=user_id,
                ip=ips[i],
                country=country,
                viewport=viewport,
                is_bot=False,
            )
            rows.append(row)
            activities.append(float(activity[i]) * (1.0 if k == 0 else beh.second_site_activity))
    return {"rows": rows, "prefs": list(prefs), "activity": activities}


# ================================================================================================= page views
class _Buffered:
    """Draws from ``draw(rng, size)`` in chunks: fast scalar access, same sequence every run."""

    def __init__(
        self,
        rng: np.random.Generator,
        draw: Callable[[np.random.Generator, int], np.ndarray],
        chunk: int = 8192,
    ):
        self._rng, self._draw, self._chunk = rng, draw, chunk
        self._values: list[float] = []
        self._pos = 0

    def __call__(self) -> float:
        if self._pos >= len(self._values):
            self._values = self._draw(self._rng, self._chunk).tolist()
            self._pos = 0
        self._pos += 1
        return self._values[self._pos - 1]


class _Visit:
    """Adds the page views of one session; each page is the referrer of the next."""

    __slots__ = ("pvs", "site", "session", "referrer", "medium", "source", "query", "pages")

    def __init__(
        self,
        pvs: PageViews,
        site: SiteTemplate,
        session: int,
        referrer: str,
        medium: str,
        source: str,
        query: str,
    ):
        self.pvs, self.site, self.session = pvs, site, session
        self.referrer, self.medium, self.source, self.query = referrer, medium, source, query
        self.pages = 0

    def emit(self, kind: int, article: int, path: str, title: str, t_ms: int, dwell_ms: float) -> None:
        self.pvs.add(
            self.session,
            t_ms,
            int(dwell_ms),
            kind,
            article,
            path,
            title,
            self.query,
            self.referrer,
            self.medium,
            self.source,
        )
        self.referrer = self.site.url(path, self.query)
        self.medium, self.source, self.query = "internal", "", ""
        self.pages += 1


class _SiteSimulation:
    """One site's human readers: when their sessions start, and each session as a landing page and a chain
    of reads (the next article picked by :meth:`Behaviour.scores`), with look-alike and navigation pages in
    between. Every random draw comes from the site's generator in a fixed order: the same seed, the same
    events."""

    def __init__(
        self,
        content: SiteContent,
        site_index: int,
        people: dict,
        readers: Readers,
        pvs: PageViews,
        cfg: GenerateConfig,
        rng: np.random.Generator,
    ):
        beh = self.beh = cfg.behaviour
        self.content, self.site, self.people = content, content.site, people
        self.readers, self.pvs = readers, pvs
        start_s, self.end_s = cfg.window
        self.end_ms = self.end_s * 1000
        self.rows = [r for r in people["rows"] if readers.site[r] == site_index]
        self.pos = {r: i for i, r in enumerate(people["rows"])}
        activity = np.array([people["activity"][self.pos[r]] for r in self.rows])
        counts = rng.poisson(activity * cfg.days)
        starts = beh.draw_session_starts_s(
            rng, int(counts.sum()), start_s, cfg.days, self.site.tz_offset_hours
        )
        owner = np.repeat(np.arange(len(self.rows)), counts)
        order = np.lexsort((starts, owner))
        self.starts_by_reader = np.split((starts[order] * 1000).astype(np.int64), np.cumsum(counts)[:-1])

        self.article_dwell = _Buffered(rng, lambda g, n: beh.draw_dwell_s(g, np.ones(n, bool)) * 1000)
        self.nav_dwell = _Buffered(rng, lambda g, n: beh.draw_dwell_s(g, np.zeros(n, bool)) * 1000)
        self.uniform = _Buffered(rng, lambda g, n: g.random(n))
        self.new_ips = random_ips(rng, int(counts.sum()) + 1)
        refr_p = np.cumsum([r.weight for r in EXTERNAL_REFERRERS])
        self.refr_p = refr_p / refr_p[-1]
        self.published = content.published_s.astype(np.float64)
        self.look_pub = content.look_published_s * 1000
        self.timeout_ms = int(beh.session_gap_minutes * 60_000) + 60_000
        self.home_title = self.site.page_title("")
        self.max_age_s = beh.max_age_hours * 3600.0

    def run(self, tick: Callable[[int], None]) -> None:
        """Sessions and page views of every human reader of the site, in reader order."""
        for k, r in enumerate(self.rows):
            self.reader(k, r)
            tick(1)

    def reader(self, k: int, r: int) -> None:
        """Every session of reader ``r`` (the ``k``-th of the site), one after the other."""
        pref = self.people["prefs"][self.pos[r]]
        content = self.content
        base = self.beh.reader_base(pref, content.topic, content.quality, self.published, self.end_s)
        pref_cum = np.cumsum(pref)
        read: list[int] = []
        last_ms = -(10**15)
        sidx = 0
        ip = self.readers.ip[r]
        for start_ms in self.starts_by_reader[k].tolist():
            if start_ms < last_ms + self.timeout_ms:
                start_ms = last_ms + self.timeout_ms + int(self.uniform() * 1_800_000)
            if start_ms >= self.end_ms:
                break
            sidx += 1
            if sidx > 1 and self.uniform() < self.beh.new_ip_per_session:
                ip = self.new_ips[len(self.pvs.sess_ip) % len(self.new_ips)]
            sess = self.pvs.add_session(r, sidx, ip)
            last_ms = self.session(sess, start_ms, pref_cum, base, read)

    def session(
        self, sess: int, start_ms: int, pref_cum: np.ndarray, base: np.ndarray, read: list[int]
    ) -> int:
        """One session: landing, then reads while the reader continues; returns when its last event ends."""
        beh, content, site = self.beh, self.content, self.site
        visit = self.arrive(sess)
        t = self.landing_page(visit, start_ms, pref_cum)
        last_event = t
        last_article: int | None = None
        while visit.pages < beh.max_pages_per_session and t < self.end_ms:
            a = self.pick_article(t, last_article, read, base)
            if a is None:
                break
            dwell = self.article_dwell()
            visit.emit(ARTICLE, a, content.paths[a], site.page_title(content.titles[a]), t, dwell)
            read.append(a)
            last_article = a
            last_event = t + int(dwell)
            t = self.next_page_at(t, dwell)
            if self.uniform() >= beh.continue_prob or t >= self.end_ms:
                break
            t, last_event = self.between_reads(visit, a, t, last_event)
        if visit.pages == 0:
            # nothing published yet: the session is a single home page view
            dwell = self.nav_dwell()
            visit.emit(HOME, -1, "/", self.home_title, start_ms, dwell)
            last_event = start_ms + int(dwell)
        return max(last_event, t)

    def next_page_at(self, t: int, dwell: float) -> int:
        gap_lo, gap_hi = self.beh.click_gap_s
        return t + int(dwell + (gap_lo + self.uniform() * (gap_hi - gap_lo)) * 1000)

    def arrive(self, sess: int) -> _Visit:
        """Where the session comes from: an external referrer, sometimes with campaign parameters."""
        ref = EXTERNAL_REFERRERS[int(np.searchsorted(self.refr_p, self.uniform(), side="right"))]
        query = ""
        campaign = CAMPAIGNS.get(ref.source)
        if campaign and self.uniform() < (0.1 if ref.source == "" else 0.5) and ref.medium in ("", "social"):
            query = f"utm_source={campaign[0]}&utm_medium={campaign[1]}&utm_campaign={campaign[2]}"
        return _Visit(self.pvs, self.site, sess, ref.url, ref.medium, ref.source, query)

    def landing_page(self, visit: _Visit, t: int, pref_cum: np.ndarray) -> int:
        """The home page or a section page first, or straight to an article; returns when the next page is."""
        beh, site = self.beh, self.site
        u = self.uniform()
        if u < beh.landing_home + beh.landing_section:
            if u < beh.landing_home:
                path, title, kind = "/", self.home_title, HOME
            else:
                tp = TOPICS[int(np.searchsorted(pref_cum, self.uniform() * pref_cum[-1], side="right"))]
                path, title, kind = site.section_path(tp), site.page_title(tp.title()), SECTION
            dwell = self.nav_dwell()
            visit.emit(kind, -1, path, title, t, dwell)
            t = self.next_page_at(t, dwell)
        return t

    def between_reads(self, visit: _Visit, a: int, t: int, last_event: int) -> tuple[int, int]:
        """After reading article ``a``: sometimes a look-alike page (not an article) or a navigation page
        (home, its section, tag or author) before the next read."""
        beh, content, site = self.beh, self.content, self.site
        v = self.uniform()
        if v < beh.lookalike_prob and content.look_ids:
            j = int(np.searchsorted(self.look_pub, t)) - 1
            if j >= 0:
                j = int(self.uniform() * (j + 1))
                dwell = self.article_dwell()
                title = site.page_title(content.look_titles[j])
                visit.emit(LOOKALIKE, -1, content.look_paths[j], title, t, dwell)
                last_event = t + int(dwell)
                t = self.next_page_at(t, dwell)
        elif v < beh.lookalike_prob + beh.nav_between:
            w = self.uniform()
            if w < 0.3:
                path, title, kind = "/", self.home_title, HOME
            elif w < 0.6:
                tp = TOPICS[content.topic[a]]
                path, title, kind = site.section_path(tp), site.page_title(tp.title()), SECTION
            elif w < 0.85:
                tag = content.tags[a]
                path, title, kind = site.tag_path(tag), site.page_title(tag.title()), TAG
            else:
                author = content.authors[a]
                path, title, kind = site.author_path(author), site.page_title(author), AUTHOR
            dwell = self.nav_dwell()
            visit.emit(kind, -1, path, title, t, dwell)
            last_event = t + int(dwell)
            t = self.next_page_at(t, dwell)
        return t, last_event

    def pick_article(self, t_ms: int, source: int | None, read: list[int], base: np.ndarray) -> int | None:
        """The next article, drawn by score among those published in the last max_age_hours."""
        published = self.published
        at = t_ms / 1000.0
        hi = int(np.searchsorted(published, at, side="left"))
        lo = int(np.searchsorted(published, at - self.max_age_s, side="left"))
        if hi <= lo:
            return None
        content = self.content
        s = self.beh.scores(
            base, published, at, ref_s=self.end_s, story=content.story, topic=content.topic, source=source,
            read=read, lo=lo, hi=hi,
        )
        cum = np.cumsum(s)
        if cum[-1] <= 0:
            return None
        return lo + int(min(np.searchsorted(cum, self.uniform() * cum[-1], side="right"), hi - lo - 1))


def _simulate_bots(
    contents: list[SiteContent],
    n_events: int,
    readers: Readers,
    pvs: PageViews,
    cfg: GenerateConfig,
    rng: np.random.Generator,
) -> None:
    """Crawler visits until ``n_events`` page views: no page pings, no referrer, bot user agents."""
    beh = cfg.behaviour
    start_s, end_s = cfg.window
    weights = np.array([d.weight for d in BOT_DEVICES])
    made = 0
    while made < n_events:
        si = int(rng.integers(len(contents)))
        content = contents[si]
        site = content.site
        device = BOT_DEVICES[int(rng.choice(len(BOT_DEVICES), p=weights / weights.sum()))]
        net = BOT_NETWORKS[device.agent_name]
        ip = f"{net[int(rng.integers(len(net)))]}.{rng.integers(0, 256)}.{rng.integers(1, 255)}"
        size = min(int(rng.geometric(1.0 / beh.bot_burst_mean)), n_events - made)
        keep = rng.random() < beh.bot_keeps_cookies
        t = int(rng.uniform(start_s, end_s - 600) * 1000)
        reader = -1
        sess = -1
        for _ in range(size):
            if reader < 0 or not keep:
                ids = format_uuids(random_uuid_bytes(rng, 2))
                reader = readers.add(
                    site=si,
                    device=device,
                    domain_userid=ids[0],
                    network_userid=ids[1],
                    user_id="",
                    ip=ip,
                    country="US",
                    viewport=(1024, 1024),
                    is_bot=True,
                )
                sess = pvs.add_session(reader, 1, ip)
            n_pub = int(np.searchsorted(content.published_s, t / 1000.0))
            u = rng.random()
            if u < 0.7 and n_pub > 0:
                a = int(rng.integers(n_pub))
                pvs.add(
                    sess,
                    t,
                    0,
                    ARTICLE,
                    a,
                    content.paths[a],
                    site.page_title(content.titles[a]),
                    "",
                    "",
                    "",
                    "",
                )
            elif u < 0.8 or not content.look_ids:
                pvs.add(sess, t, 0, HOME, -1, "/", site.page_title(""), "", "", "", "")
            elif u < 0.9:
                j = int(rng.integers(len(content.look_ids)))
                pvs.add(
                    sess,
                    t,
                    0,
                    LOOKALIKE,
                    -1,
                    content.look_paths[j],
                    site.page_title(content.look_titles[j]),
                    "",
                    "",
                    "",
                    "",
                )
            else:
                tp = TOPICS[int(rng.integers(len(TOPICS)))]
                pvs.add(
                    sess,
                    t,
                    0,
                    SECTION,
                    -1,
                    site.section_path(tp),
                    site.page_title(tp.title()),
                    "",
                    "",
                    "",
                    "",
                )
            made += 1
            t = min(t + int(rng.uniform(1.0, 20.0) * 1000), end_s * 1000 - 1000)


# ================================================================================================= blocks
# ================================================================================================= assembly
@dataclass
class _Assembled:
    batch: EventBatch
    pv_is_bot: np.ndarray
    row_session: np.ndarray
    lost_page_views: int


def _assemble(
    pvs: PageViews,
    readers: Readers,
    contents: list[SiteContent],
    cfg: GenerateConfig,
    rng: np.random.Generator,
) -> _Assembled:
    beh = cfg.behaviour
    _, end_s = cfg.window
    end_ms = end_s * 1000
    n_pv = len(pvs.session)
    sess = np.array(pvs.session, dtype=np.int64)
    sess_reader = np.array(pvs.sess_reader, dtype=np.int64)
    pv_reader = sess_reader[sess]
    reader_bot = np.array(readers.is_bot, dtype=bool)
    pv_is_bot = reader_bot[pv_reader]
    pv_site = np.array(readers.site, dtype=np.int64)[pv_reader]
    pv_t = np.array(pvs.t_ms, dtype=np.int64)
    dwell = np.where(pv_is_bot, 0, np.array(pvs.dwell_ms, dtype=np.int64))
    kind = np.array(pvs.kind)

    # page pings and how far the reader has scrolled by each
    view_h = np.array([v[1] for v in readers.viewport])[pv_reader]
    doc_height = np.where(kind == ARTICLE, rng.integers(3000, 9000, n_pv), rng.integers(2500, 12000, n_pv))
    doc_height = np.where(pv_is_bot, 1024, doc_height)
    read_to = np.where(kind == ARTICLE, rng.beta(2.2, 1.4, n_pv), rng.beta(1.2, 2.0, n_pv))
    pings = make_pings(beh, rng, dwell, doc_height, view_h, read_to)
    owner, offsets, counts = pings.owner, pings.offset_ms, pings.counts

    # one row per event: page views first, then pings
    row_pv = np.concatenate([np.arange(n_pv), owner])
    row_kind = np.concatenate([np.full(n_pv, PAGE_VIEW, np.int8), np.full(owner.size, PAGE_PING, np.int8)])
    created = np.concatenate([pv_t, pv_t[owner] + offsets])
    pp = np.zeros((row_pv.size, 4), dtype=np.int64)
    pp[n_pv:, 2] = pings.y_min
    pp[n_pv:, 3] = pings.y_max

    # page views lost in transit (their pings survive)
    has_pings = np.flatnonzero((counts > 0) & ~pv_is_bot)
    n_lost = min(int(round(cfg.lost_page_view_rate * has_pings.size)), has_pings.size)
    keep = np.ones(row_pv.size, dtype=bool)
    if n_lost:
        keep[rng.choice(has_pings, n_lost, replace=False)] = False

    # tracker -> collector: a short send delay and network latency
    n = row_pv.size
    sent = created + rng.integers(3, 250, n)
    collector = sent + rng.integers(20, 450, n)
    keep &= collector < end_ms
    row_pv, row_kind, created, sent, collector, pp = (
        a[keep] for a in (row_pv, row_kind, created, sent, collector, pp)
    )
    n = row_pv.size

    # late arrivals: sent hours later (device offline), the collector sees them late
    candidates = np.flatnonzero(created < end_ms - 2 * 3_600_000)
    n_late = min(int(round(cfg.late_rate * n)), candidates.size)
    if n_late:
        late = np.sort(rng.choice(candidates, n_late, replace=False))
        max_delay = np.minimum(36 * 3_600_000, end_ms - created[late] - 120_000)
        delay = rng.uniform(3_600_000, max_delay).astype(np.int64)
        sent[late] = created[late] + delay
        collector[late] = sent[late] + rng.integers(20, 450, n_late)
    etl = collector + rng.integers(800, 6000, n)

    uid_bytes = random_uuid_bytes(rng, n)
    fp_bytes = rng.integers(0, 256, (n, 16), dtype=np.uint8)
    row_uid = np.arange(n)

    # at-least-once delivery: some events twice, same event_id, sometimes a later collector_tstamp
    n_dup = int(round(cfg.duplicate_rate * n))
    dup_src = np.sort(rng.choice(n, n_dup, replace=False)) if n_dup else np.zeros(0, np.int64)
    shift = np.where(rng.random(n_dup) < 0.5, rng.integers(1000, 10_000, n_dup), 0)
    shift = np.where(collector[dup_src] + shift < end_ms, shift, 0)

    def with_dups(a: np.ndarray, extra: np.ndarray | None = None) -> np.ndarray:
        copy = a[dup_src] if extra is None else a[dup_src] + extra
        return np.concatenate([a, copy])

    row_pv, row_kind, created, sent, row_uid = (
        with_dups(a) for a in (row_pv, row_kind, created, sent, row_uid)
    )
    collector, etl = with_dups(collector, shift), with_dups(etl, shift)
    pp = np.concatenate([pp, pp[dup_src]])
    derived = collector - (sent - created)

    # malformed lines: never on a duplicated event, so the duplicate counts stay exact
    total = row_pv.size
    kinds = MALFORMED_KINDS + (BAD_INPUT_KINDS if cfg.bad_input else ())
    n_bad = int(round(cfg.malformed_rate * total))
    protected = np.zeros(total, dtype=bool)
    protected[dup_src] = True
    protected[n:] = True
    pool = rng.permutation(np.flatnonzero(~protected))
    kind_of = rng.integers(0, len(kinds), n_bad)
    salts = rng.integers(0, 2**31 - 1, n_bad)
    malformed: dict[int, tuple[str, int]] = {}
    free = iter(pool.tolist())
    pings = iter(p for p in pool.tolist() if row_kind[p] == PAGE_PING)
    for k, salt in zip(kind_of.tolist(), salts.tolist(), strict=True):
        source = pings if kinds[k] == "ping_without_web_page" else free
        for row in source:
            if row not in malformed:
                malformed[row] = (kinds[k], salt)
                break

    pv_ids = format_uuids(random_uuid_bytes(rng, n_pv))
    session_ids = format_uuids(random_uuid_bytes(rng, len(pvs.sess_reader)))
    a_blocks, b_blocks, c_blocks = page_view_blocks(
        pvs, readers, [c.site.host for c in contents], pv_ids, session_ids, doc_height
    )
    batch = EventBatch(
        app_ids=[c.site.app_id for c in contents],
        pv_site=pv_site,
        pv_a=a_blocks,
        pv_b=b_blocks,
        pv_c=c_blocks,
        row_pv=row_pv,
        row_kind=row_kind,
        created_ms=created,
        sent_ms=sent,
        collector_ms=collector,
        derived_ms=derived,
        etl_ms=etl,
        row_uid=row_uid,
        uid_bytes=uid_bytes,
        fp_bytes=fp_bytes,
        pp=pp,
        malformed=malformed,
    )
    return _Assembled(batch, pv_is_bot, sess[row_pv], n_lost)


# ================================================================================================= outputs
def _fmt_s(epoch_s: float) -> str:
    return datetime.fromtimestamp(int(epoch_s), UTC).strftime("%Y-%m-%d %H:%M:%S")


def _write_articles(out: Path, contents: list[SiteContent]) -> int:
    path = out / "articles" / "articles.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    n = 0
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["site_id", "article_id", "published_at", "section", "author", "title", "url"])
        for c in contents:
            for i, article_id in enumerate(c.ids):
                w.writerow(
                    [
                        c.site.site_id,
                        article_id,
                        _fmt_s(c.published_s[i]),
                        TOPICS[c.topic[i]],
                        c.authors[i],
                        c.titles[i],
                        c.site.url(c.paths[i]),
                    ]
                )
                n += 1
    return n


def _write_truth(
    out: Path,
    cfg: GenerateConfig,
    contents: list[SiteContent],
    people: dict,
    readers: Readers,
    session_counts: np.ndarray,
) -> None:
    truth = out / "ground_truth"
    truth.mkdir(parents=True, exist_ok=True)
    with open(truth / "articles.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["site_id", "article_id", "topic", "story_id", "published_at", "quality"])
        for c in contents:
            for i, article_id in enumerate(c.ids):
                w.writerow(
                    [
                        c.site.site_id,
                        article_id,
                        TOPICS[c.topic[i]],
                        c.story_id(int(c.story[i])),
                        _fmt_s(c.published_s[i]),
                        repr(float(c.quality[i])),
                    ]
                )
    with open(truth / "readers.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["domain_userid", "site_id", "activity", "sessions", *(f"topic_{t}" for t in TOPICS)])
        for k, r in enumerate(people["rows"]):
            w.writerow(
                [
                    readers.domain_userid[r],
                    contents[readers.site[r]].site.site_id,
                    repr(float(people["activity"][k])),
                    int(session_counts[r]),
                    *(repr(float(x)) for x in people["prefs"][k]),
                ]
            )
    start_s, end_s = cfg.window
    params = {
        "generator": "article-recs generate",
        "seed": cfg.seed,
        "users": cfg.users,
        "articles": cfg.articles,
        "days": cfg.days,
        "sites": [c.site.site_id for c in contents],
        "window_start": _fmt_s(start_s),
        "window_end": _fmt_s(end_s),
        "end": cfg.end.isoformat() if cfg.end else None,
        "score_reference_s": end_s,
        "bad_input": cfg.bad_input,
        "rates": {name: getattr(cfg, name) for name in DEFAULT_RATES},
        "topics": list(TOPICS),
        "behaviour": cfg.behaviour.to_dict(),
        "scoring": (
            "score(a | reader, t, source) = pref[topic(a)] * quality(a)"
            " * 0.5 ** (age_hours / half_life_hours)"
            " * (story_boost if same story as source else topic_boost if same topic else 1)"
            " * (reread_factor if already read, the source included); 0 unless published before t"
        ),
    }
    write_json(truth / "params.json", params)


def generate(config: GenerateConfig) -> dict:
    """Generate a dataset into ``config.out``; returns the manifest (also written to ``manifest.json``)."""
    from tqdm import tqdm

    cfg = config.resolved()
    started = time.perf_counter()
    out = cfg.out
    prepare_out(out, ["events", "articles", "ground_truth"], cfg.force, "generate")
    beh = cfg.behaviour
    window = cfg.window
    # child i of a SeedSequence is the same whatever the count: the widget's stream (the last) leaves the
    # others, and so every page view and ping, as they were without it
    streams = np.random.SeedSequence(cfg.seed).spawn(4 + cfg.sites + 1)
    rng_content, rng_people, rng_bots, rng_events = (np.random.default_rng(s) for s in streams[:4])
    site_rngs = [np.random.default_rng(s) for s in streams[4 : 4 + cfg.sites]]
    rng_widget = np.random.default_rng(streams[4 + cfg.sites])

    sites = generated_sites(cfg.sites)
    per_site = [
        cfg.articles // cfg.sites + (1 if i < cfg.articles % cfg.sites else 0) for i in range(cfg.sites)
    ]
    contents = [_make_content(s, n, rng_content, beh, window) for s, n in zip(sites, per_site, strict=True)]

    readers = Readers()
    people = _make_people(cfg, sites, rng_people, readers)
    pvs = PageViews()
    with tqdm(
        total=len(people["rows"]),
        desc="readers",
        unit="reader",
        disable=cfg.quiet,
        file=sys.stderr,
        leave=False,
    ) as bar:
        for i, content in enumerate(contents):
            _SiteSimulation(content, i, people, readers, pvs, cfg, site_rngs[i]).run(bar.update)

    # crawlers: bot_rate of all events (human events ~ page views + their pings)
    human_pv_dwell = np.array(pvs.dwell_ms, dtype=np.int64)
    first_ms, beat_ms = beh.min_visit_length_s * 1000, beh.heartbeat_s * 1000
    human_events = len(human_pv_dwell) + int(
        np.where(human_pv_dwell < first_ms, 0, 1 + (human_pv_dwell - first_ms) // beat_ms).sum()
    )
    n_bot = int(round(cfg.bot_rate / (1.0 - cfg.bot_rate) * human_events)) if cfg.bot_rate < 1 else 0
    _simulate_bots(contents, n_bot, readers, pvs, cfg, rng_bots)

    assembled = _assemble(pvs, readers, contents, cfg, rng_events)
    batch = assembled.batch
    widget = None
    if cfg.widget:
        from .widget import WidgetConfig, simulate_widget

        widget = simulate_widget(
            batch=batch,
            pv_session=np.array(pvs.session, dtype=np.int64),
            pv_t=np.array(pvs.t_ms, dtype=np.int64),
            pv_kind=np.array(pvs.kind),
            pv_article=np.array(pvs.article, dtype=np.int64),
            pv_is_bot=assembled.pv_is_bot,
            sess_reader=np.array(pvs.sess_reader, dtype=np.int64),
            reader_site=np.array(readers.site, dtype=np.int64),
            domain_userids=readers.domain_userid,
            site_ids=[c.site.site_id for c in contents],
            article_ids=[c.ids for c in contents],
            article_kind=ARTICLE,
            window=window,
            rng=rng_widget,
            cfg=WidgetConfig(arms=cfg.widget_arms) if cfg.widget_arms else WidgetConfig(),
        )
    # the widget's events go into the same hourly files as the page views (as a collector writes them)
    to_write = batch.concat(widget.batch) if widget is not None else batch
    with tqdm(
        total=len(to_write),
        desc="writing",
        unit="event",
        unit_scale=True,
        disable=cfg.quiet,
        file=sys.stderr,
        leave=False,
    ) as bar:
        files = write_hourly(out, to_write, gzip=cfg.gzip, progress=bar.update)

    n_articles = _write_articles(out, contents)
    sess_reader = np.array(pvs.sess_reader, dtype=np.int64)
    session_counts = np.bincount(sess_reader, minlength=len(readers.site))
    _write_truth(out, cfg, contents, people, readers, session_counts)
    manifest = _manifest(cfg, batch, assembled, sess_reader, readers, files, n_articles, contents)
    if widget is not None:  # its lines are events too: lines and events count every line of every file
        n_widget = len(widget.batch)
        manifest["lines"] += n_widget
        manifest["events"] += n_widget
        manifest["unique_events"] += n_widget
        manifest["widget"] = {
            "rec_impressions": widget.impressions,
            "rec_clicks": widget.clicks,
            "by_arm": widget.by_arm,
        }
    write_json(out / "manifest.json", manifest)
    manifest["_elapsed_s"] = round(time.perf_counter() - started, 2)
    return manifest


def _manifest(
    cfg: GenerateConfig,
    batch: EventBatch,
    assembled: _Assembled,
    sess_reader: np.ndarray,
    readers: Readers,
    files: list,
    n_articles: int,
    contents: list[SiteContent],
) -> dict:
    total = len(batch)
    valid = np.ones(total, dtype=bool)
    if batch.malformed:
        valid[np.fromiter(batch.malformed.keys(), dtype=np.int64)] = False
    is_bot = assembled.pv_is_bot[batch.row_pv]
    kinds = batch.row_kind
    human_valid = valid & ~is_bot
    session = assembled.row_session
    by_kind = {k: 0 for k in MALFORMED_KINDS + (BAD_INPUT_KINDS if cfg.bad_input else ())}
    for kind, _ in batch.malformed.values():
        by_kind[kind] += 1
    uid_valid = batch.row_uid[valid]
    seen = np.zeros(len(batch.uid_bytes), dtype=bool)
    seen[uid_valid] = True
    unique_events = int(seen.sum())
    duplicates = int(uid_valid.size - unique_events)
    reader_is_bot = np.array(readers.is_bot, dtype=bool)
    start_s, end_s = cfg.window
    coll = batch.collector_ms
    return {
        "generator": "article-recs generate",
        "seed": cfg.seed,
        "window_start": _fmt_s(start_s),
        "window_end": _fmt_s(end_s),
        "sites": [
            {"site_id": c.site.site_id, "app_id": c.site.app_id, "host": c.site.host} for c in contents
        ],
        "gzip": cfg.gzip,
        "lines": total,
        "events": int(valid.sum()),
        "page_views": int((valid & (kinds == PAGE_VIEW)).sum()),
        "page_pings": int((valid & (kinds == PAGE_PING)).sum()),
        "unique_events": unique_events,
        "sessions": int(np.unique(session[human_valid]).size),
        "readers": int(np.unique(sess_reader[session[human_valid]]).size),
        "bot_events": int((valid & is_bot).sum()),
        "bot_sessions": int(np.unique(session[valid & is_bot]).size),
        "duplicate_events": duplicates,
        "malformed_lines": len(batch.malformed),
        "malformed_by_kind": by_kind,
        "late_events": int((valid & (batch.collector_ms - batch.created_ms > 3_600_000)).sum()),
        "lost_page_views": assembled.lost_page_views,
        "human_readers_simulated": int((~reader_is_bot).sum()),
        "articles": n_articles,
        "files": len(files),
        "first_collector_tstamp": _fmt_s(coll.min() / 1000) if total else None,
        "last_collector_tstamp": _fmt_s(coll.max() / 1000) if total else None,
    }


def summary_line(manifest: dict) -> str:
    m = manifest
    return (
        f"wrote {m['events']:,} events ({m['page_views']:,} page views, {m['page_pings']:,} pings, "
        f"{m['sessions']:,} sessions; {m['bot_events']:,} bot, {m['duplicate_events']:,} duplicate, "
        f"{m['late_events']:,} late) + {m['malformed_lines']:,} malformed lines in {m['files']:,} files, "
        f"{m['articles']:,} articles, {m['window_start'][:10]}..{m['window_end'][:10]}"
    )

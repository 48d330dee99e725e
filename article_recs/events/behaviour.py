"""How simulated readers behave: the one place the generator and the oracle (:mod:`.truth`) take it from.

The next article a reader opens is drawn with probability proportional to :meth:`Behaviour.scores`::

    pref[reader, topic(a)] * quality(a) * 0.5 ** (age_hours(a, t) / half_life_hours)
        * story_boost  if a is in the same story as the article just read
        * topic_boost  else if a has the same topic as the article just read
        * reread_factor if the reader already read a (the article just read counts as read)

over the articles published strictly before ``t`` and at most ``max_age_hours`` before it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

import numpy as np

#: Relative reading activity by local hour of day (morning commute, lunch, evening peak).
HOUR_WEIGHTS = np.array(
    [
        0.25,
        0.15,
        0.1,
        0.08,
        0.08,
        0.15,
        0.45,
        1.0,
        1.45,
        1.35,
        1.15,
        1.05,
        1.25,
        1.2,
        1.0,
        0.95,
        1.0,
        1.1,
        1.25,
        1.45,
        1.5,
        1.3,
        0.9,
        0.5,
    ]
)
WEEKEND_FACTOR = 0.8


@dataclass(frozen=True)
class Behaviour:
    """Behaviour constants, written to ``ground_truth/params.json`` (``behaviour``) and read back by the
    oracle."""

    # -- scoring: the next-article distribution (the oracle)
    half_life_hours: float = 16.0
    story_boost: float = 40.0
    topic_boost: float = 1.5
    reread_factor: float = 0.02
    max_age_hours: float = 240.0  # older articles are never read next (0.5 ** 15 of fresh ones anyway)
    # -- readers
    pref_alpha: float = 0.25  # Dirichlet concentration per topic (small: one or two favourite topics)
    pref_floor: float = 0.1  # share of the preferences spread evenly over all topics
    sessions_per_day: float = 0.11  # median sessions per reader per day on their home site
    activity_sigma: float = 1.1  # lognormal spread of reader activity (heavy tail)
    second_site_share: float = 0.15  # readers who also read a second site ...
    second_site_activity: float = 0.35  # ... that much less often
    logged_in_share: float = 0.08  # readers with a user_id (PII)
    new_ip_per_session: float = 0.3  # mobile networks: a new IP address per session
    # -- sessions
    landing_home: float = 0.32
    landing_section: float = 0.12
    continue_prob: float = 0.6  # after an article, read another (geometric number of articles)
    nav_between: float = 0.12  # ... passing by a home / section / tag / author page first
    lookalike_prob: float = 0.03  # ... or by sponsored / wire content (excluded paths)
    max_pages_per_session: int = 40
    session_gap_minutes: float = 30.0  # sessions are at least this far apart (plus a minute)
    click_gap_s: tuple[float, float] = (1.0, 8.0)  # from leaving a page to the next page view
    # -- dwell (seconds) and the JS tracker's activity tracking
    article_dwell_median_s: float = 50.0
    article_dwell_sigma: float = 1.0
    article_bounce_share: float = 0.12  # under min_visit_length: no page ping at all
    nav_dwell_median_s: float = 12.0
    nav_dwell_sigma: float = 0.8
    nav_bounce_share: float = 0.25
    max_dwell_s: float = 3600.0
    min_visit_length_s: int = 5
    heartbeat_s: int = 10
    ping_jitter_ms: int = 400
    # -- content
    story_size: tuple[int, int] = (2, 6)
    story_spread_hours: float = 7.0  # mean gap between articles of a story
    pre_window_days: float = 3.0  # stories can start this long before the window
    quality_sigma: float = 0.5  # story quality and article quality: lognormal each
    # -- bots
    bot_burst_mean: float = 12.0  # pages per crawler visit
    bot_keeps_cookies: float = 0.3  # share of crawler visits with one domain_userid for the whole visit

    def to_dict(self) -> dict:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}

    @classmethod
    def from_dict(cls, data: dict) -> Behaviour:
        known = {f.name: f for f in fields(cls)}
        kwargs = {}
        for key, value in data.items():
            if key in known:
                kwargs[key] = tuple(value) if isinstance(value, list) else value
        return cls(**kwargs)

    # ------------------------------------------------------------------------------------------- scoring
    def reader_base(
        self, pref: np.ndarray, topic: np.ndarray, quality: np.ndarray, published_s: np.ndarray, ref_s: float
    ) -> np.ndarray:
        """The time-independent part of a reader's scores, per article:
        ``pref[topic(a)] * quality(a) * 0.5 ** ((ref_s - published_s(a)) / half_life)``.

        ``ref_s`` is any fixed time near the data (the generator uses the window end): the decay to the time
        of reading is then one scalar factor in :meth:`scores`."""
        return pref[topic] * quality * np.exp2((published_s - ref_s) / (3600.0 * self.half_life_hours))

    def scores(
        self,
        base: np.ndarray,
        published_s: np.ndarray,
        at_s: float,
        *,
        ref_s: float,
        story: np.ndarray,
        topic: np.ndarray,
        source: int | None = None,
        read: np.ndarray | list[int] | None = None,
        lo: int = 0,
        hi: int | None = None,
    ) -> np.ndarray:
        """Unnormalised probability of each article being the next read at ``at_s`` (epoch seconds).

        ``base`` from :meth:`reader_base` with the same ``ref_s``; ``published_s`` the publish times (epoch
        seconds); ``source`` the position of the article just read (None at the start of a session); ``read``
        positions already read (repeats allowed). Articles not published strictly before ``at_s``, or
        published more than ``max_age_hours`` before it, score 0. ``lo``/``hi`` restrict the work to positions
        ``lo..hi-1`` (the result has ``hi - lo`` values): with ``published_s`` sorted, every other position
        scores 0 anyway.
        """
        hi = len(base) if hi is None else hi
        published = published_s[lo:hi]
        scores = base[lo:hi] * np.exp2((ref_s - at_s) / (3600.0 * self.half_life_hours))
        scores[(published >= at_s) | (published < at_s - 3600.0 * self.max_age_hours)] = 0.0
        already = np.asarray(read if read is not None else (), dtype=np.int64)
        if source is not None:
            boost = np.ones(scores.size)
            boost[topic[lo:hi] == topic[source]] = self.topic_boost
            boost[story[lo:hi] == story[source]] = self.story_boost
            scores *= boost
            already = np.append(already, source)
        if already.size:
            already = already[(already >= lo) & (already < hi)] - lo
            # a fancy-index update applies once per distinct position, even when positions repeat
            scores[already] *= self.reread_factor
        return scores

    # ------------------------------------------------------------------------------------------- dwell, pings
    def draw_dwell_s(self, rng: np.random.Generator, is_article: np.ndarray) -> np.ndarray:
        """Seconds on page: a share of bounces under ``min_visit_length``, else lognormal (heavy tail)."""
        n = len(is_article)
        bounce = rng.random(n) < np.where(is_article, self.article_bounce_share, self.nav_bounce_share)
        median = np.where(is_article, self.article_dwell_median_s, self.nav_dwell_median_s)
        sigma = np.where(is_article, self.article_dwell_sigma, self.nav_dwell_sigma)
        engaged = median * np.exp(sigma * rng.standard_normal(n))
        quick = rng.uniform(0.5, self.min_visit_length_s, n)
        return np.clip(np.where(bounce, quick, engaged), 0.5, self.max_dwell_s)

    def ping_offsets_ms(
        self, rng: np.random.Generator, dwell_ms: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Page pings as the JS tracker sends them (``minimumVisitLength``, then every ``heartbeatDelay``).

        Returns ``(counts, owner, offsets_ms)``: pings per page view, the page view of each ping and its
        offset from the page view, with a little jitter. A page left before ``min_visit_length`` has none."""
        first_ms = self.min_visit_length_s * 1000
        beat_ms = self.heartbeat_s * 1000
        dwell_ms = np.asarray(dwell_ms, dtype=np.int64)
        counts = np.where(dwell_ms < first_ms, 0, 1 + (dwell_ms - first_ms) // beat_ms).astype(np.int64)
        owner = np.repeat(np.arange(len(dwell_ms)), counts)
        k = np.arange(owner.size) - np.repeat(np.cumsum(counts) - counts, counts)
        offsets = first_ms + beat_ms * k + rng.integers(0, self.ping_jitter_ms, owner.size)
        return counts, owner, offsets

    # ------------------------------------------------------------------------------------------- time of day
    def draw_session_starts_s(
        self,
        rng: np.random.Generator,
        n: int,
        window_start_s: int,
        days: int,
        tz_offset_hours: int,
    ) -> np.ndarray:
        """``n`` session start times (epoch seconds) in the window, following the local diurnal pattern."""
        weekdays = (np.arange(days) + (window_start_s // 86400 + 3)) % 7  # 0 = Monday
        day_p = np.where(weekdays >= 5, WEEKEND_FACTOR, 1.0)
        day = rng.choice(days, n, p=day_p / day_p.sum())
        hour = rng.choice(24, n, p=HOUR_WEIGHTS / HOUR_WEIGHTS.sum())
        offset = day * 86400 + (hour - tz_offset_hours) * 3600 + rng.uniform(0, 3600, n)
        return window_start_s + np.mod(offset, days * 86400)

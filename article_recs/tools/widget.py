"""The recommendation widget on article pages, simulated: ``rec_impression`` and ``rec_click`` self-describing
events (``tracking/iglu/schemas/com.article_recs``) as a widget calling the serving API would send them.

What the simulation does, per site, from the page views the generator already drew (it changes none of them):

- every day from the second one, two simulated strategies make lists from the reads *before* that day, as a
  daily retrained model would: ``popularity`` (the most read articles of the previous 48 hours) and
  ``item_knn`` (for each article, the articles most often read in the same session over the previous 7 days,
  padded with the popular list). The model ids say they are simulated: ``sim-<site>-<strategy>-<YYYYMMDD>``;
- each human reader has an arm (:func:`article_recs.serving.arms.assign`, the API's stable hash) among
  ``arms`` (default: half ``item_knn``, half ``popularity``, as the dbt var ``article_recs__ab_arms``);
- on each article page view (a day with lists), the widget shows the arm's related list of that article
  (10 articles, the article itself left out): one ``rec_impression`` a second or few after the page view;
- the reader's next article in the session was drawn by the generator from their hidden preferences. When it
  is in the list at position ``p``, the reader reached it through the widget with the examination probability
  ``click_top * p ** -position_decay`` (position bias): a ``rec_click`` half a second to two seconds before
  that page view. So clicks follow the hidden preferences, and a list ranking what readers want higher
  collects more clicks.

The events go into the same hourly files as the page views (``EventBatch.concat``: the page-view and ping
lines stay exactly those of a run without the widget, in the same order), carry the web_page context of the
page view they happen on, and go through the same staging as every event.
"""

from __future__ import annotations

import json
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field

import numpy as np

from .writer import REC_CLICK, REC_IMPRESSION, UNSTRUCT_EVENT_SCHEMA, EventBatch, random_uuid_bytes

IMPRESSION_SCHEMA = "iglu:com.article_recs/rec_impression/jsonschema/1-0-0"
CLICK_SCHEMA = "iglu:com.article_recs/rec_click/jsonschema/1-0-0"
SIMULATED_STRATEGIES = ("item_knn", "popularity")
DAY_MS = 86_400_000


@dataclass(frozen=True)
class WidgetConfig:
    arms: dict[str, float] = field(default_factory=lambda: {"item_knn": 0.5, "popularity": 0.5})
    list_size: int = 10
    popularity_hours: int = 48
    co_read_days: int = 7
    click_top: float = 0.9  # examination probability of position 1
    position_decay: float = 0.7  # examination at position p: click_top * p ** -position_decay

    def validated(self) -> WidgetConfig:
        unknown = set(self.arms) - set(SIMULATED_STRATEGIES)
        if unknown:
            raise ValueError(
                f"the widget simulation knows {', '.join(SIMULATED_STRATEGIES)}; "
                f"cannot simulate {sorted(unknown)}"
            )
        if not all(v > 0 for v in self.arms.values()):
            raise ValueError("widget arm shares must be > 0")
        return self


@dataclass
class WidgetEvents:
    batch: EventBatch
    impressions: int
    clicks: int
    by_arm: dict[str, dict[str, int]]


def _lists_for_day(
    t: np.ndarray, article: np.ndarray, session: np.ndarray, day_start: int, cfg: WidgetConfig
) -> tuple[list[int], dict[int, list[int]]]:
    """(popular list, related lists) from the reads before ``day_start``."""
    recent = (t < day_start) & (t >= day_start - cfg.popularity_hours * 3_600_000)
    counts = Counter(article[recent].tolist())
    popular = [a for a, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[: cfg.list_size + 1]]
    window = (t < day_start) & (t >= day_start - cfg.co_read_days * DAY_MS)
    by_session: dict[int, set[int]] = defaultdict(set)
    for s, a in zip(session[window].tolist(), article[window].tolist(), strict=True):
        by_session[s].add(a)
    co: dict[int, Counter] = defaultdict(Counter)
    for articles in by_session.values():
        if len(articles) < 2:
            continue
        for a in articles:
            for b in articles:
                if a != b:
                    co[a][b] += 1
    related = {
        a: [b for b, _ in sorted(c.items(), key=lambda kv: (-kv[1], -counts.get(kv[0], 0), kv[0]))]
        for a, c in co.items()
    }
    return popular, related


def simulate_widget(
    *,
    batch: EventBatch,
    pv_session: np.ndarray,
    pv_t: np.ndarray,
    pv_kind: np.ndarray,
    pv_article: np.ndarray,
    pv_is_bot: np.ndarray,
    sess_reader: np.ndarray,
    reader_site: np.ndarray,
    domain_userids: list[str],
    site_ids: list[str],
    article_ids: list[list[str]],
    article_kind: int,
    window: tuple[int, int],
    rng: np.random.Generator,
    cfg: WidgetConfig | None = None,
) -> WidgetEvents:
    """Impressions and clicks of the widget on the human article page views, as an :class:`EventBatch` that
    shares the page-view blocks of ``batch`` (so each event carries its page view's context)."""
    from article_recs.serving.arms import assign, validate

    cfg = (cfg or WidgetConfig()).validated()
    shares = validate({"default": cfg.arms})["default"]
    start_s, end_s = window
    start_ms, end_ms = start_s * 1000, end_s * 1000
    is_read = (pv_kind == article_kind) & ~pv_is_bot
    rows_pv: list[int] = []
    rows_kind: list[int] = []
    rows_t: list[int] = []
    rows_arm: list[str] = []
    payloads: list[str] = []
    uniform = rng.random
    arm_of: dict[int, str] = {}
    for site_index, site_id in enumerate(site_ids):
        pv = np.flatnonzero(is_read & (reader_site[sess_reader[pv_session]] == site_index))
        if pv.size == 0:
            continue
        pv = pv[np.lexsort((pv_t[pv], pv_session[pv]))]  # by session, then time: the next read is next
        t, art, sess = pv_t[pv], pv_article[pv], pv_session[pv]
        by_time = np.argsort(t, kind="stable")
        days = int((end_ms - start_ms) // DAY_MS)
        lists: dict[int, tuple[list[int], dict[int, list[int]]]] = {}
        for d in range(1, days):
            lists[d] = _lists_for_day(t[by_time], art[by_time], sess[by_time], start_ms + d * DAY_MS, cfg)
        ids = article_ids[site_index]
        day_tags = {
            d: np.datetime_as_string(np.datetime64(start_ms + d * DAY_MS, "ms"), unit="D").replace("-", "")
            for d in lists
        }
        for i in range(pv.size):
            d = int((t[i] - start_ms) // DAY_MS)
            if d not in lists:
                continue
            reader = int(sess_reader[sess[i]])
            arm = arm_of.get(reader)
            if arm is None:
                arm = arm_of[reader] = assign(shares, site_id, domain_userids[reader])
            popular, related = lists[d]
            source = int(art[i])
            if arm == "item_knn":
                shown = [a for a in related.get(source, []) if a != source][: cfg.list_size]
                shown += [a for a in popular if a != source and a not in shown][: cfg.list_size - len(shown)]
            else:
                shown = [a for a in popular if a != source][: cfg.list_size]
            if not shown:
                continue
            nxt = i + 1
            has_next = nxt < pv.size and sess[nxt] == sess[i]
            delay = 1000 + int(uniform() * 3000)  # the widget loads a second or few after the page
            if has_next:  # ... and before the reader moves on
                delay = min(delay, max(1, int(t[nxt] - t[i]) // 3))
            imp_t = int(t[i]) + delay
            if imp_t >= end_ms:
                continue
            day_tag = day_tags[d]
            model_id = f"sim-{site_id}-{arm}-{day_tag}"
            rec_id = str(uuid.UUID(bytes=bytes(random_uuid_bytes(rng, 1)[0])))
            shown_ids = [ids[a] for a in shown]
            rows_pv.append(int(pv[i]))
            rows_kind.append(REC_IMPRESSION)
            rows_t.append(imp_t)
            rows_arm.append(arm)
            payloads.append(
                _unstruct(
                    IMPRESSION_SCHEMA,
                    {
                        "rec_id": rec_id,
                        "model_id": model_id,
                        "strategy": arm,
                        "arm": arm,
                        "widget": "related",
                        "source_article_id": ids[source],
                        "article_ids": shown_ids,
                        "positions": list(range(1, len(shown_ids) + 1)),
                    },
                )
            )
            if not has_next or int(art[nxt]) not in shown:
                continue
            position = shown.index(int(art[nxt])) + 1
            if uniform() >= cfg.click_top * position**-cfg.position_decay:
                continue
            # the click comes after the impression and just before the clicked article's page view
            click_t = int(t[nxt]) - min(500 + int(uniform() * 1500), max(1, (int(t[nxt]) - imp_t) // 2))
            if click_t >= end_ms:
                continue
            rows_pv.append(int(pv[i]))
            rows_kind.append(REC_CLICK)
            rows_t.append(click_t)
            rows_arm.append(arm)
            payloads.append(
                _unstruct(
                    CLICK_SCHEMA,
                    {
                        "rec_id": rec_id,
                        "article_id": ids[int(art[nxt])],
                        "position": position,
                        "model_id": model_id,
                        "strategy": arm,
                        "arm": arm,
                    },
                )
            )

    n = len(rows_pv)
    created = np.array(rows_t, dtype=np.int64)
    sent = created + rng.integers(3, 250, n)
    collector = sent + rng.integers(20, 450, n)
    keep = collector < end_ms
    idx = np.flatnonzero(keep)
    created, sent, collector = created[idx], sent[idx], collector[idx]
    etl = collector + rng.integers(800, 6000, idx.size)
    derived = collector - (sent - created)
    row_pv = np.array(rows_pv, dtype=np.int64)[idx]
    row_kind = np.array(rows_kind, dtype=np.int8)[idx]
    widget = EventBatch(
        app_ids=batch.app_ids,
        pv_site=batch.pv_site,
        pv_a=batch.pv_a,
        pv_b=batch.pv_b,
        pv_c=batch.pv_c,
        row_pv=row_pv,
        row_kind=row_kind,
        created_ms=created,
        sent_ms=sent,
        collector_ms=collector,
        derived_ms=derived,
        etl_ms=etl,
        row_uid=np.arange(idx.size),
        uid_bytes=random_uuid_bytes(rng, idx.size),
        fp_bytes=rng.integers(0, 256, (idx.size, 16), dtype=np.uint8),
        pp=np.zeros((idx.size, 4), dtype=np.int64),
        unstruct={new: payloads[old] for new, old in enumerate(idx.tolist())},
    )
    by_arm = {arm: {"impressions": 0, "clicks": 0} for arm in shares}
    for k in idx.tolist():
        by_arm[rows_arm[k]]["impressions" if rows_kind[k] == REC_IMPRESSION else "clicks"] += 1
    return WidgetEvents(
        widget,
        int((row_kind == REC_IMPRESSION).sum()),
        int((row_kind == REC_CLICK).sum()),
        by_arm,
    )


def _unstruct(schema: str, data: dict) -> str:
    return json.dumps(
        {"schema": UNSTRUCT_EVENT_SCHEMA, "data": {"schema": schema, "data": data}}, separators=(",", ":")
    )

"""Synthetic interactions for tests and benchmarks: power-law readers and articles with planted topics."""

from __future__ import annotations

import numpy as np
import pandas as pd


def synthetic_data(
    n_readers: int = 1_000,
    n_articles: int = 200,
    n_interactions: int = 10_000,
    n_topics: int = 10,
    topic_affinity: float = 0.8,
    site_id: str = "site",
    as_of: str | pd.Timestamp = "2024-03-01",
    seed: int = 0,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(interactions, articles)`` frames with the mart columns.

    Article ``j`` has topic ``j % n_topics`` and popularity ``~ 1 / (j + 1) ** 0.9``; reader activity is
    Zipf-like. With probability ``topic_affinity`` a reader picks an article of their own topic. Pairs are
    unique; the count is ``n_interactions`` unless the matrix is too small to hold that many.
    """
    rng = np.random.default_rng(seed)
    as_of = pd.Timestamp(as_of)
    n_interactions = min(n_interactions, n_readers * n_articles // 2)
    art_pop = 1.0 / np.arange(1, n_articles + 1) ** 0.9
    art_topic = np.arange(n_articles) % n_topics
    reader_act = 1.0 / np.arange(1, n_readers + 1) ** 0.6
    reader_act /= reader_act.sum()
    reader_topic = rng.integers(0, n_topics, n_readers)
    by_topic = [np.flatnonzero(art_topic == t) for t in range(n_topics)]
    topic_p = [art_pop[idx] / art_pop[idx].sum() for idx in by_topic]
    all_p = art_pop / art_pop.sum()

    pairs = np.empty(0, dtype=np.int64)
    while pairs.size < n_interactions:
        m = int((n_interactions - pairs.size) * 1.3) + 16
        users = rng.choice(n_readers, size=m, p=reader_act)
        items = rng.choice(n_articles, size=m, p=all_p)
        own = rng.random(m) < topic_affinity
        for t in range(n_topics):
            sel = own & (reader_topic[users] == t)
            if sel.any():
                items[sel] = rng.choice(by_topic[t], size=int(sel.sum()), p=topic_p[t])
        new = users.astype(np.int64) * n_articles + items
        pairs = np.unique(np.concatenate([pairs, new]))
    pairs = rng.permutation(pairs)[:n_interactions]
    users, items = pairs // n_articles, pairs % n_articles
    published = as_of - pd.to_timedelta(rng.uniform(0.5, 60, n_articles), unit="D")
    read_at = published[items] + pd.to_timedelta(rng.uniform(0, 2, len(items)), unit="D")
    read_at = read_at.where(read_at < as_of, as_of - pd.Timedelta(minutes=1))
    interactions = pd.DataFrame(
        {
            "site_id": site_id,
            "domain_userid": np.char.add("u", users.astype(str)),
            "article_id": np.char.add("a", items.astype(str)),
            "dwell_s": np.round(rng.lognormal(3.5, 1.0, len(items))).astype("float64"),
            "reads": rng.integers(1, 3, len(items)),
            "first_read_at": read_at,
            "last_read_at": read_at,
        }
    )
    readers = np.bincount(items, minlength=n_articles)
    articles = pd.DataFrame(
        {
            "site_id": site_id,
            "article_id": np.char.add("a", np.arange(n_articles).astype(str)),
            "canonical_path": [f"/news/a{j}" for j in range(n_articles)],
            "title": [f"Article {j} (topic {art_topic[j]})" for j in range(n_articles)],
            "section": [f"topic{t}" for t in art_topic],
            "author": None,
            "first_seen_at": published,
            "published_at": published,
            "published_at_source": "metadata",
            "page_views": readers,
            "readers": readers,
        }
    )
    return interactions, articles

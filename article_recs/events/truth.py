"""The hidden truth of a generated dataset, and the oracle built on it.

>>> truth = GroundTruth.load("data/demo")       # DIR or DIR/ground_truth
>>> truth.articles("herald")                    # article_id, topic, story_id, published_at, quality
>>> truth.readers("herald")                     # domain_userid, activity, sessions, topic_* weights
>>> truth.score_candidates("herald", duid, at, source_article_id="48213", read_article_ids=history)
article_id
48217    0.8312...     <- same story as 48213
...

``score_candidates`` returns the unnormalised probability the generator gave each article of being the
reader's next read at ``at`` (:meth:`article_recs.events.behaviour.Behaviour.scores`, the very function the
generator sampled from), for the site's articles published before ``at``, highest first. Divide by the sum for
probabilities. What the generator knew and the oracle only knows if told:

- ``source_article_id``: the article just read (same-story articles get ``story_boost``, same-topic
  ``topic_boost``; the source itself counts as read);
- ``read_article_ids``: what the reader read before (``reread_factor``): pass the reader's history, e.g. from
  the ``interactions`` mart; without it, already-read articles score as if unread.

``domain_userid=None`` scores for an average reader of the site (mean topic preferences).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd

from .behaviour import Behaviour
from .errors import InputFileNotFoundError


@dataclass
class _Site:
    articles: pd.DataFrame
    position: dict[str, int]
    topic: np.ndarray
    story: np.ndarray
    quality: np.ndarray
    published_s: np.ndarray
    prefs: dict[str, np.ndarray]
    mean_pref: np.ndarray


class GroundTruth:
    """``DIR/ground_truth`` (readers.csv, articles.csv, params.json) of ``article-recs generate``."""

    def __init__(self, params: dict, readers: pd.DataFrame, articles: pd.DataFrame):
        self.params = params
        self.behaviour = Behaviour.from_dict(params.get("behaviour", {}))
        self.topics: list[str] = list(params["topics"])
        self.ref_s = float(params["score_reference_s"])
        self._readers = readers
        self._articles = articles
        self._sites: dict[str, _Site] = {}

    # ------------------------------------------------------------------------------------------ loading
    @classmethod
    def load(cls, path: str | Path) -> GroundTruth:
        """Load from a generated dataset directory or its ``ground_truth`` folder."""
        path = Path(path)
        folder = path / "ground_truth" if (path / "ground_truth").is_dir() else path
        files = {name: folder / name for name in ("params.json", "readers.csv", "articles.csv")}
        for name, file in files.items():
            if not file.is_file():
                raise InputFileNotFoundError(f"ground truth file {file} not found ({name})")
        params = json.loads(files["params.json"].read_text(encoding="utf-8"))
        readers = pd.read_csv(files["readers.csv"], dtype={"domain_userid": str, "site_id": str})
        articles = pd.read_csv(
            files["articles.csv"], dtype={"site_id": str, "article_id": str, "topic": str, "story_id": str}
        )
        articles["published_at"] = pd.to_datetime(articles["published_at"], utc=True)
        return cls(params, readers, articles)

    @property
    def site_ids(self) -> list[str]:
        return list(self.params["sites"])

    # ------------------------------------------------------------------------------------------ accessors
    def readers(self, site_id: str) -> pd.DataFrame:
        """Readers of a site: domain_userid, site_id, activity (sessions/day), sessions and the
        topic_<name> weights."""
        self._site(site_id)
        return self._readers[self._readers["site_id"] == site_id].reset_index(drop=True)

    def articles(self, site_id: str) -> pd.DataFrame:
        """Articles of a site by publish time: article_id, topic, story_id, published_at (UTC), quality."""
        return self._site(site_id).articles.copy()

    # ------------------------------------------------------------------------------------------ the oracle
    def score_candidates(
        self,
        site_id: str,
        domain_userid: str | None,
        at: datetime | pd.Timestamp | str,
        source_article_id: str | None = None,
        read_article_ids: Iterable[str] | None = None,
    ) -> pd.Series:
        """Generator scores of the next read for articles published before ``at`` (index article_id, name
        ``score``, highest first). ``at`` naive means UTC. Raises KeyError for an unknown site, reader or
        source article."""
        site = self._site(site_id)
        if domain_userid is None:
            pref = site.mean_pref
        else:
            try:
                pref = site.prefs[domain_userid]
            except KeyError:
                raise KeyError(
                    f"no reader {domain_userid!r} on site {site_id!r} in the ground truth"
                ) from None
        ts = pd.Timestamp(at)
        ts = ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")
        at_s = ts.value / 1e9
        source = None
        if source_article_id is not None:
            try:
                source = site.position[str(source_article_id)]
            except KeyError:
                raise KeyError(f"no article {source_article_id!r} on site {site_id!r}") from None
        read = [site.position[a] for a in (read_article_ids or ()) if str(a) in site.position]
        beh = self.behaviour
        base = beh.reader_base(pref, site.topic, site.quality, site.published_s, self.ref_s)
        scores = beh.scores(
            base,
            site.published_s,
            at_s,
            ref_s=self.ref_s,
            story=site.story,
            topic=site.topic,
            source=source,
            read=read,
        )
        published = site.published_s < at_s
        result = pd.Series(
            scores[published], index=site.articles["article_id"].to_numpy()[published], name="score"
        )
        result.index.name = "article_id"
        return result.sort_values(ascending=False, kind="stable")

    # ------------------------------------------------------------------------------------------ internals
    def _site(self, site_id: str) -> _Site:
        cached = self._sites.get(site_id)
        if cached is not None:
            return cached
        if site_id not in self.site_ids:
            raise KeyError(f"no site {site_id!r} in the ground truth (sites: {', '.join(self.site_ids)})")
        arts = self._articles[self._articles["site_id"] == site_id]
        arts = arts.sort_values(["published_at", "article_id"], kind="stable").reset_index(drop=True)
        topic_code = {t: i for i, t in enumerate(self.topics)}
        story_codes, _ = pd.factorize(arts["story_id"])
        readers = self._readers[self._readers["site_id"] == site_id]
        weights = readers[[f"topic_{t}" for t in self.topics]].to_numpy(dtype=np.float64)
        site = _Site(
            articles=arts,
            position={a: i for i, a in enumerate(arts["article_id"])},
            topic=arts["topic"].map(topic_code).to_numpy(dtype=np.int64),
            story=np.asarray(story_codes, dtype=np.int64),
            quality=arts["quality"].to_numpy(dtype=np.float64),
            published_s=arts["published_at"].dt.as_unit("s").astype("int64").to_numpy(dtype=np.float64),
            prefs=dict(zip(readers["domain_userid"], weights, strict=True)),
            mean_pref=weights.mean(axis=0)
            if len(weights)
            else np.full(len(self.topics), 1 / len(self.topics)),
        )
        self._sites[site_id] = site
        return site

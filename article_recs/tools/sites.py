"""Site templates: how each demo / replay site names its app, host and URLs.

The columns ``site_id, app_id, host, article_url_regex, excluded_path_prefixes`` are the contract with
``seeds/sites.csv`` (docs/DESIGN.md): the pipeline applies ``article_url_regex`` (one capture group: the
article id) to ``page_urlpath`` with a *search* (not anchored unless the regex says so) and drops paths that
start with one of ``excluded_path_prefixes``. :meth:`SiteTemplate.article_id_from_path` applies the very same
rule in Python.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import cached_property

_SLUG_STRIP = re.compile(r"[^a-z0-9]+")


def slugify(text: str, max_len: int = 80, default: str = "article") -> str:
    """``"Harbour strike: what we know"`` -> ``"harbour-strike-what-we-know"``: ``[a-z0-9-]``, never
    empty."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    slug = _SLUG_STRIP.sub("-", ascii_text.lower()).strip("-")
    if len(slug) > max_len:
        slug = slug[:max_len].rsplit("-", 1)[0] or slug[:max_len]
    return slug or default


@dataclass(frozen=True)
class SiteTemplate:
    """One site. ``style`` selects the URL scheme: ``herald``, ``metro``, ``mind`` or ``replay``."""

    site_id: str
    app_id: str
    host: str
    article_url_regex: str
    excluded_path_prefixes: tuple[str, ...]
    style: str
    masthead: str
    #: what an article id looks like on this site (full match); replay skips ids that do not fit
    id_pattern: str = r"[0-9]+"
    #: readers' local time is UTC + this (drives the diurnal reading pattern)
    tz_offset_hours: int = 0
    os_timezone: str = "Europe/London"
    lang: str = "en-GB"
    countries: tuple[tuple[str, float], ...] = field(
        default=(("GB", 0.72), ("IE", 0.06), ("US", 0.1), ("FR", 0.04), ("DE", 0.04), ("NL", 0.04))
    )

    # ------------------------------------------------------------------ the pipeline's rule
    @cached_property
    def _article_re(self) -> re.Pattern[str]:
        return re.compile(self.article_url_regex)

    @cached_property
    def _excluded_re(self) -> re.Pattern[str] | None:
        if not self.excluded_path_prefixes:
            return None
        return re.compile("^(" + "|".join(self.excluded_path_prefixes) + ")")

    def article_id_from_path(self, path: str) -> str | None:
        """The article id the pipeline extracts from ``page_urlpath``; None for non-article pages."""
        if self._excluded_re is not None and self._excluded_re.match(path):
            return None
        match = self._article_re.search(path)
        return match.group(1) if match else None

    def is_valid_article_id(self, article_id: str) -> bool:
        return re.fullmatch(self.id_pattern, article_id) is not None

    def seed_row(self) -> dict[str, str]:
        """The row of ``seeds/sites.csv`` this template corresponds to (contract columns only)."""
        return {
            "site_id": self.site_id,
            "app_id": self.app_id,
            "host": self.host,
            "article_url_regex": self.article_url_regex,
            "excluded_path_prefixes": "|".join(self.excluded_path_prefixes),
        }

    # ------------------------------------------------------------------ URL paths
    def article_path(self, article_id: str, section: str, slug: str, published: datetime | None) -> str:
        section = slugify(section, default="news")
        slug = slugify(slug)
        if self.style == "herald":
            return f"/news/{section}/{slug}-a{article_id}"
        if self.style == "metro":
            day = published or datetime(1970, 1, 1)
            return f"/{day:%Y/%m/%d}/{slug}/{article_id}/"
        if self.style == "mind":
            return f"/news/{section}/{slug}-{article_id}"
        if self.style == "replay":
            return f"/read/{article_id}/{slug}"
        raise ValueError(f"unknown site style {self.style!r}")

    def lookalike_path(self, item_id: str, slug: str, published: datetime) -> str | None:
        """A page under an excluded prefix that *looks* like an article (sponsored content, wire copy)."""
        slug = slugify(slug)
        if self.style == "herald":
            return f"/sponsored/{slug}-a{item_id}"
        if self.style == "metro":
            return f"/wires/{published:%Y/%m/%d}/{slug}/{item_id}/"
        return None

    def section_path(self, section: str) -> str:
        section = slugify(section, default="news")
        return f"/section/{section}/" if self.style == "metro" else f"/section/{section}"

    def tag_path(self, tag: str) -> str:
        return f"/tags/{slugify(tag)}/" if self.style == "metro" else f"/tag/{slugify(tag)}"

    def author_path(self, author: str) -> str:
        return f"/authors/{slugify(author)}/" if self.style == "metro" else f"/author/{slugify(author)}"

    def page_title(self, title: str) -> str:
        sep = " - " if self.style == "metro" else " | "
        return f"{title}{sep}{self.masthead}" if title else self.masthead

    def url(self, path: str, query: str = "") -> str:
        return f"https://{self.host}{path}" + (f"?{query}" if query else "")


HERALD = SiteTemplate(
    site_id="herald",
    app_id="herald-web",
    host="www.herald.example",
    article_url_regex=r"-a([0-9]+)$",
    excluded_path_prefixes=("/sponsored/", "/author/", "/tag/", "/section/"),
    style="herald",
    masthead="The Herald",
)

METRO = SiteTemplate(
    site_id="metro",
    app_id="metro-web",
    host="metro.example",
    article_url_regex=r"/[0-9]{4}/[0-9]{2}/[0-9]{2}/[a-z0-9-]+/([0-9]+)/?$",
    excluded_path_prefixes=("/wires/", "/authors/", "/tags/", "/section/"),
    style="metro",
    masthead="Metro",
    tz_offset_hours=-5,
    os_timezone="America/New_York",
    lang="en-US",
    countries=(("US", 0.8), ("CA", 0.08), ("GB", 0.05), ("MX", 0.04), ("IN", 0.03)),
)

#: The replay site for MIND (``article-recs replay --mind``): ids like ``N12345`` are text, not numbers.
MIND = SiteTemplate(
    site_id="mind",
    app_id="mind-web",
    host="mind.example",
    article_url_regex=r"^/news/[a-z0-9-]+/[a-z0-9-]+-(N[0-9]+)$",
    excluded_path_prefixes=("/author/", "/tag/"),
    style="mind",
    masthead="MIND News",
    id_pattern=r"N[0-9]+",
    tz_offset_hours=-5,
    os_timezone="America/New_York",
    lang="en-US",
    countries=(("US", 1.0),),
)

#: The default site of a generic replay: any URL-safe text id, path ``/read/<id>/<slug>``.
REPLAY = SiteTemplate(
    site_id="replay",
    app_id="replay-web",
    host="replay.example",
    article_url_regex=r"^/read/([A-Za-z0-9_.~-]+)/",
    excluded_path_prefixes=(),
    style="replay",
    masthead="Replay",
    id_pattern=r"[A-Za-z0-9_.~-]+",
)

#: Every named site, by site_id. ``seeds/sites.csv`` must agree with these on the contract columns.
SITE_TEMPLATES: dict[str, SiteTemplate] = {s.site_id: s for s in (HERALD, METRO, MIND, REPLAY)}

#: The templates ``generate`` cycles through: site 1 herald, site 2 metro, site 3 like herald, ...
_GENERATED_CYCLE = (HERALD, METRO)


def generated_sites(n_sites: int) -> list[SiteTemplate]:
    """The sites of a generated dataset: ``herald``, ``metro``, then ``site3``, ``site4``... cycling the two
    templates with their own ids and hosts (``site3-web`` on ``www.site3.example``...)."""
    sites: list[SiteTemplate] = []
    for i in range(n_sites):
        base = _GENERATED_CYCLE[i % len(_GENERATED_CYCLE)]
        if i < len(_GENERATED_CYCLE):
            sites.append(base)
            continue
        sid = f"site{i + 1}"
        host = f"www.{sid}.example" if base.style == "herald" else f"{sid}.example"
        sites.append(replace(base, site_id=sid, app_id=f"{sid}-web", host=host, masthead=f"Site {i + 1}"))
    return sites

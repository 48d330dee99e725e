"""Readers, sessions and page views as columns, and the blocks of text they contribute to each line.

Shared by :mod:`.generate` (simulated readers) and :mod:`.replay` (real interaction logs).
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np

from article_recs.events.behaviour import Behaviour
from article_recs.events.errors import InputError

from .profiles import Device
from .writer import block, block_template, web_page_context

#: country -> (time zone, browser language)
COUNTRY_TZ = {
    "GB": ("Europe/London", "en-GB"),
    "IE": ("Europe/Dublin", "en-IE"),
    "US": ("America/New_York", "en-US"),
    "FR": ("Europe/Paris", "fr-FR"),
    "DE": ("Europe/Berlin", "de-DE"),
    "NL": ("Europe/Amsterdam", "nl-NL"),
    "CA": ("America/Toronto", "en-CA"),
    "MX": ("America/Mexico_City", "es-MX"),
    "IN": ("Asia/Kolkata", "en-IN"),
}
_RESERVED_OCTETS = {0, 10, 100, 127, 169, 172, 192, 198, 203, 224}
PUBLIC_OCTETS = np.array([o for o in range(1, 224) if o not in _RESERVED_OCTETS])


def random_ips(rng: np.random.Generator, n: int) -> list[str]:
    """``n`` random IPv4 addresses outside the private and reserved ranges."""
    octets = np.column_stack(
        [rng.choice(PUBLIC_OCTETS, n), rng.integers(0, 256, (n, 2)), rng.integers(1, 255, n)]
    )
    return [".".join(map(str, row)) for row in octets.tolist()]


@dataclass
class Readers:
    """One row per (person, site) and one per crawler identity."""

    site: list[int] = field(default_factory=list)
    device: list[Device] = field(default_factory=list)
    domain_userid: list[str] = field(default_factory=list)
    network_userid: list[str] = field(default_factory=list)
    user_id: list[str] = field(default_factory=list)
    ip: list[str] = field(default_factory=list)
    country: list[str] = field(default_factory=list)
    viewport: list[tuple[int, int]] = field(default_factory=list)
    is_bot: list[bool] = field(default_factory=list)

    def add(self, **values: object) -> int:
        for name, value in values.items():
            getattr(self, name).append(value)
        return len(self.site) - 1


@dataclass
class PageViews:
    """Page views (with where they came from) and the sessions they belong to."""

    session: list[int] = field(default_factory=list)
    t_ms: list[int] = field(default_factory=list)
    dwell_ms: list[int] = field(default_factory=list)
    kind: list[int] = field(default_factory=list)
    article: list[int] = field(default_factory=list)
    path: list[str] = field(default_factory=list)
    title: list[str] = field(default_factory=list)
    query: list[str] = field(default_factory=list)
    referrer: list[str] = field(default_factory=list)
    refr_medium: list[str] = field(default_factory=list)
    refr_source: list[str] = field(default_factory=list)
    # sessions
    sess_reader: list[int] = field(default_factory=list)
    sess_idx: list[int] = field(default_factory=list)
    sess_ip: list[str] = field(default_factory=list)

    def add_session(self, reader: int, idx: int, ip: str) -> int:
        self.sess_reader.append(reader)
        self.sess_idx.append(idx)
        self.sess_ip.append(ip)
        return len(self.sess_reader) - 1

    def add(
        self,
        session: int,
        t_ms: int,
        dwell_ms: int,
        kind: int,
        article: int,
        path: str,
        title: str,
        query: str,
        referrer: str,
        medium: str,
        source: str,
    ) -> None:
        self.session.append(session)
        self.t_ms.append(t_ms)
        self.dwell_ms.append(dwell_ms)
        self.kind.append(kind)
        self.article.append(article)
        self.path.append(path)
        self.title.append(title)
        self.query.append(query)
        self.referrer.append(referrer)
        self.refr_medium.append(medium)
        self.refr_source.append(source)

    def __len__(self) -> int:
        return len(self.session)


# ---------------------------------------------------------------------------------------------- page pings
@dataclass
class Pings:
    owner: np.ndarray  # page view of each ping
    offset_ms: np.ndarray  # from the page view
    y_min: np.ndarray  # pp_yoffset_min
    y_max: np.ndarray  # pp_yoffset_max
    counts: np.ndarray  # pings per page view


def make_pings(
    beh: Behaviour,
    rng: np.random.Generator,
    dwell_ms: np.ndarray,
    doc_height: np.ndarray,
    view_height: np.ndarray,
    read_to: np.ndarray,
) -> Pings:
    """Page pings of every page view and how far down the reader had scrolled by each: a reader scrolls
    steadily to ``read_to`` (share of the scrollable height) over the dwell, so the offsets grow with time."""
    dwell_ms = np.asarray(dwell_ms, dtype=np.int64)
    counts, owner, offsets = beh.ping_offsets_ms(rng, dwell_ms)
    scrollable = np.maximum(doc_height - view_height, 0) * read_to

    def scroll(elapsed: np.ndarray) -> np.ndarray:
        return (scrollable[owner] * np.minimum(1.0, elapsed / np.maximum(dwell_ms[owner], 1))).astype(
            np.int64
        )

    first = np.r_[True, owner[1:] != owner[:-1]] if owner.size else np.zeros(0, dtype=bool)
    previous = np.where(first, 0, np.r_[0, offsets[:-1]])
    return Pings(owner, offsets, np.where(first, 0, scroll(previous)), scroll(offsets), counts)


# ---------------------------------------------------------------------------------------------- text blocks
class UrlParts:
    """Cached ``urlsplit`` of referrer URLs: (scheme, host, port, path, query)."""

    def __init__(self) -> None:
        self._cache: dict[str, tuple[str, str, str, str, str]] = {}

    def __call__(self, url: str) -> tuple[str, str, str, str, str]:
        hit = self._cache.get(url)
        if hit is None:
            if not url:
                hit = ("", "", "", "", "")
            else:
                p = urlsplit(url)
                port = str(p.port or (443 if p.scheme == "https" else 80))
                hit = (p.scheme, p.hostname or "", port, p.path or "/", p.query)
            self._cache[url] = hit
        return hit


def reader_blocks(readers: Readers) -> tuple[list[str], list[str], list[str]]:
    """Per reader: browser block (useragent .. dvce_screenheight), tail (tr_currency .. etl_tags) and
    derived_contexts."""
    yauaa: dict[int, str] = {}
    device_blocks, tails, derived = [], [], []
    for device, viewport, country in zip(readers.device, readers.viewport, readers.country, strict=True):
        tz, lang = COUNTRY_TZ.get(country, ("America/New_York", "en-US"))
        device_blocks.append(
            block(
                "useragent",
                "dvce_screenheight",
                {
                    "useragent": device.useragent,
                    "br_name": device.br_name,
                    "br_family": device.br_family,
                    "br_version": device.br_version,
                    "br_type": device.br_type,
                    "br_renderengine": device.br_renderengine,
                    "br_lang": "" if device.is_bot else lang,
                    "br_cookies": "0" if device.is_bot else "1",
                    "br_colordepth": "24",
                    "br_viewwidth": viewport[0],
                    "br_viewheight": viewport[1],
                    "os_name": device.os_name,
                    "os_family": device.os_family,
                    "os_manufacturer": device.os_manufacturer,
                    "os_timezone": "" if device.is_bot else tz,
                    "dvce_type": device.dvce_type,
                    "dvce_ismobile": device.dvce_ismobile,
                    "dvce_screenwidth": device.screen[0],
                    "dvce_screenheight": device.screen[1],
                },
            )
        )
        tails.append(block("tr_currency", "etl_tags", {"geo_timezone": tz}))
        key = id(device)
        if key not in yauaa:
            yauaa[key] = device.yauaa_context()
        derived.append(yauaa[key])
    return device_blocks, tails, derived


_SESSION_FIELDS = (
    "user_id",
    "user_ipaddress",
    "domain_userid",
    "domain_sessionidx",
    "network_userid",
    "geo_country",
)
_PAGE_FIELDS = (
    "page_url",
    "page_title",
    "page_referrer",
    "page_urlscheme",
    "page_urlhost",
    "page_urlport",
    "page_urlpath",
    "page_urlquery",
    "refr_urlscheme",
    "refr_urlhost",
    "refr_urlport",
    "refr_urlpath",
    "refr_urlquery",
    "refr_medium",
    "refr_source",
    "mkt_medium",
    "mkt_source",
    "mkt_campaign",
    "contexts",
)


def page_view_blocks(
    pvs: PageViews,
    readers: Readers,
    hosts: list[str],
    pv_ids: list[str],
    session_ids: list[str],
    doc_height: np.ndarray,
) -> tuple[list[str], list[str], list[str]]:
    """Blocks A, B and C (see :mod:`.writer`) of every page view. ``hosts`` by site index; ``pv_ids`` (the
    web_page context id) by page view; ``session_ids`` (domain_sessionid) by session."""
    device_blocks, tails, derived = reader_blocks(readers)
    session_tmpl = block_template("user_id", "ip_netspeed", _SESSION_FIELDS)
    page_tmpl = block_template("page_url", "ti_quantity", _PAGE_FIELDS)
    session_blocks = [
        session_tmpl
        % (
            readers.user_id[r],
            ip,
            readers.domain_userid[r],
            idx,
            readers.network_userid[r],
            readers.country[r],
        )
        for r, idx, ip in zip(pvs.sess_reader, pvs.sess_idx, pvs.sess_ip, strict=True)
    ]
    parts = UrlParts()
    campaigns: dict[str, tuple[str, str, str]] = {"": ("", "", "")}
    a_blocks, b_blocks, c_blocks = [], [], []
    sess_reader, reader_site, viewport = pvs.sess_reader, readers.site, readers.viewport
    doc_heights = np.asarray(doc_height).tolist()
    for i, sess in enumerate(pvs.session):
        r = sess_reader[sess]
        host = hosts[reader_site[r]]
        path, query, referrer = pvs.path[i], pvs.query[i], pvs.referrer[i]
        url = f"https://{host}{path}?{query}" if query else f"https://{host}{path}"
        rs, rh, rp, rpath, rq = parts(referrer)
        mkt = campaigns.get(query)
        if mkt is None:
            q = dict(kv.split("=", 1) for kv in query.split("&") if "=" in kv)
            mkt = campaigns[query] = (
                q.get("utm_medium", ""),
                q.get("utm_source", ""),
                q.get("utm_campaign", ""),
            )
        a_blocks.append(
            session_blocks[sess]
            + "\t"
            + page_tmpl
            % (
                url,
                pvs.title[i],
                referrer,
                "https",
                host,
                "443",
                path,
                query,
                rs,
                rh,
                rp,
                rpath,
                rq,
                pvs.refr_medium[i],
                pvs.refr_source[i],
                *mkt,
                web_page_context(pv_ids[i]),
            )
        )
        b_blocks.append(f"{device_blocks[r]}\tUTF-8\t{viewport[r][0]}\t{doc_heights[i]}\t{tails[r]}")
        c_blocks.append(f"\t\t{derived[r]}\t{session_ids[sess]}")
    return a_blocks, b_blocks, c_blocks


# ---------------------------------------------------------------------------------------------- output dir
def prepare_out(out: Path, owned: list[str], force: bool, verb: str) -> None:
    """Clear what a previous run of ``verb`` wrote into ``out`` (only the ``owned`` entries) so that files of
    two runs never mix. Without a ``manifest.json`` (not our output) refuse unless ``force``."""
    if out.exists() and not out.is_dir():
        raise InputError(f"--out {out} exists and is not a directory")
    paths = [out / name for name in owned]
    if not (out / "manifest.json").exists() and not force and any(p.exists() for p in paths):
        names = ", ".join(p.name for p in paths if p.exists())
        raise InputError(
            f"{out} already holds {names} that `article-recs {verb}` did not write "
            "(no manifest.json): choose another --out or pass --force"
        )
    for p in paths + [out / "manifest.json"]:
        if p.is_dir():
            shutil.rmtree(p)
        elif p.exists():
            p.unlink()
    out.mkdir(parents=True, exist_ok=True)

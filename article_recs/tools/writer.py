"""Enriched TSV lines and the hourly files the Snowplow S3 loader writes.

A line is the 131 fields joined by tabs, empty for null. To write a million lines quickly, everything that is
the same for a whole site, session, reader or page view is joined once into a *block*; a line is then a join
of a few blocks and the per-event values (timestamps, event id, page ping offsets)::

     1-2  site head      app_id, platform
     3-7  per event      etl_tstamp, collector_tstamp, dvce_created_tstamp, event, event_id
    8-12  site mid       txn_id .. v_etl
   13-73  page view A    session (user_id .. ip_netspeed) + page (page_url .. contexts) + empty fields
   74-77  per ping       pp_xoffset_min .. pp_yoffset_max
  78-119  page view B    reader's browser (useragent .. dvce_screenheight) + doc_* + geo_timezone ..
     120  per event      dvce_sent_tstamp
 121-124  page view C    refr_domain_userid, refr_dvce_tstamp, derived_contexts, domain_sessionid
 125-131  per event      derived_tstamp, event_vendor .. event_version, event_fingerprint, true_tstamp
"""

from __future__ import annotations

import gzip as gzip_module
import json
import queue
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import numpy as np

from article_recs.events.fields import FIELD_INDEX, N_FIELDS

PAGE_VIEW, PAGE_PING = 0, 1
# self-describing events of the recommendation widget (tracking/iglu/schemas/com.article_recs/...)
REC_IMPRESSION, REC_CLICK = 2, 3
WIDGET_VENDOR = "com.article_recs"
EVENT_NAMES = ("page_view", "page_ping", "unstruct", "unstruct")
EVENT_TAIL = (
    *(f"com.snowplowanalytics.snowplow\t{name}\tjsonschema\t1-0-0" for name in ("page_view", "page_ping")),
    *(f"{WIDGET_VENDOR}\t{name}\tjsonschema\t1-0-0" for name in ("rec_impression", "rec_click")),
)
UNSTRUCT_EVENT_SCHEMA = "iglu:com.snowplowanalytics.snowplow/unstruct_event/jsonschema/1-0-0"
EMPTY_PP = "\t\t\t"

CONTEXTS_SCHEMA = "iglu:com.snowplowanalytics.snowplow/contexts/jsonschema/1-0-0"
WEB_PAGE_SCHEMA = "iglu:com.snowplowanalytics.snowplow/web_page/jsonschema/1-0-0"
_WEB_PAGE_TEMPLATE = (
    '{"schema":"' + CONTEXTS_SCHEMA + '","data":[{"schema":"' + WEB_PAGE_SCHEMA + '","data":{"id":"%s"}}]}'
)

NAME_TRACKER = "sp"
V_TRACKER = "js-3.24.2"
V_COLLECTOR = "ssc-3.2.0-kinesis"
V_ETL = "snowplow-enrich-kinesis-4.2.0"
GZIP_LEVEL = 3  # ~150 MB/s, ~10x smaller: the writer thread keeps up with line building
MAX_LINES_PER_FILE = 250_000
WRITER_THREADS = 2  # gzip in background threads (zlib releases the GIL) while the main thread builds lines


def web_page_context(page_view_id: str) -> str:
    """``contexts`` holding the web_page entity: the page view id every event of a page view carries."""
    return _WEB_PAGE_TEMPLATE % page_view_id


@cache
def _span(first: str, last: str) -> tuple[int, int, frozenset[str]]:
    lo, hi = FIELD_INDEX[first], FIELD_INDEX[last]
    return lo, hi, frozenset(f for f, i in FIELD_INDEX.items() if lo <= i <= hi)


def block(first: str, last: str, values: Mapping[str, object]) -> str:
    """Fields ``first`` to ``last`` (inclusive) joined by tabs; fields not in ``values`` are empty."""
    lo, hi, allowed = _span(first, last)
    if not allowed.issuperset(values):
        raise KeyError(f"fields outside {first}..{last}: {sorted(set(values) - allowed)}")
    by_index = {FIELD_INDEX[k]: v for k, v in values.items()}
    return "\t".join("" if (v := by_index.get(i)) is None else str(v) for i in range(lo, hi + 1))


@cache
def block_template(first: str, last: str, names: tuple[str, ...]) -> str:
    """A ``%``-format string for fields ``first`` to ``last``: ``%s`` for ``names`` (which must be given in
    field order), empty elsewhere. ``block_template(...) % values`` is the fast form of :func:`block`."""
    lo, hi, allowed = _span(first, last)
    positions = [FIELD_INDEX[n] for n in names]
    if not allowed.issuperset(names) or positions != sorted(set(positions)):
        raise KeyError(f"{names} are not distinct fields of {first}..{last} in file order")
    wanted = set(positions)
    return "\t".join("%s" if i in wanted else "" for i in range(lo, hi + 1))


def site_head(app_id: str) -> str:
    return block("app_id", "platform", {"app_id": app_id, "platform": "web"})


def site_mid() -> str:
    return block(
        "txn_id",
        "v_etl",
        {"name_tracker": NAME_TRACKER, "v_tracker": V_TRACKER, "v_collector": V_COLLECTOR, "v_etl": V_ETL},
    )


# ---------------------------------------------------------------------------------------------- formatting
def format_tstamps(ms: np.ndarray) -> list[str]:
    """Epoch milliseconds -> ``YYYY-MM-DD HH:MM:SS.mmm``, built as a byte matrix (no per-value Python)."""
    ms = np.asarray(ms, dtype=np.int64)
    if ms.size == 0:
        return []
    days = ms // 86_400_000
    rem = ms - days * 86_400_000
    first = int(days.min())
    dates = np.datetime_as_string(np.arange(first, int(days.max()) + 1).astype("datetime64[D]"))
    date_bytes = np.frombuffer("".join(dates.tolist()).encode("ascii"), dtype=np.uint8).reshape(-1, 10)
    out = np.empty((ms.size, 23), dtype=np.uint8)
    out[:, :10] = date_bytes[days - first]
    out[:, 10] = ord(" ")
    out[:, 13] = out[:, 16] = ord(":")
    out[:, 19] = ord(".")
    for col, value in ((11, rem // 3_600_000), (14, rem // 60_000 % 60), (17, rem // 1000 % 60)):
        out[:, col] = 48 + value // 10
        out[:, col + 1] = 48 + value % 10
    millis = rem % 1000
    out[:, 20] = 48 + millis // 100
    out[:, 21] = 48 + millis // 10 % 10
    out[:, 22] = 48 + millis % 10
    return out.view("S23").ravel().astype("U23").tolist()


_HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)


def _hex_chars(raw: np.ndarray) -> np.ndarray:
    chars = np.empty((raw.shape[0], raw.shape[1] * 2), dtype=np.uint8)
    chars[:, 0::2] = _HEX[raw >> 4]
    chars[:, 1::2] = _HEX[raw & 15]
    return chars


def random_uuid_bytes(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` random UUID v4 as an (n, 16) uint8 array (version and variant bits set)."""
    raw = rng.integers(0, 256, (n, 16), dtype=np.uint8)
    raw[:, 6] = (raw[:, 6] & 0x0F) | 0x40
    raw[:, 8] = (raw[:, 8] & 0x3F) | 0x80
    return raw


def format_uuids(raw: np.ndarray) -> list[str]:
    """(n, 16) uint8 -> canonical ``8-4-4-4-12`` lower-case UUID strings (vectorised)."""
    chars = _hex_chars(raw)
    out = np.full((raw.shape[0], 36), ord("-"), dtype=np.uint8)
    for dst, src in ((0, 0), (9, 8), (14, 12), (19, 16), (24, 20)):
        width = 8 if src == 0 else (12 if src == 20 else 4)
        out[:, dst : dst + width] = chars[:, src : src + width]
    return out.view("S36").ravel().astype("U36").tolist()


def format_hex(raw: np.ndarray) -> list[str]:
    """(n, k) uint8 -> 2k-character lower-case hex strings (an MD5-like event fingerprint for k = 16)."""
    chars = np.ascontiguousarray(_hex_chars(raw))
    return chars.view(f"S{chars.shape[1]}").ravel().astype(f"U{chars.shape[1]}").tolist()


# ------------------------------------------------------------------------------------------- malformed lines
MALFORMED_KINDS = (
    "truncated",
    "bad_collector_tstamp",
    "missing_event_id",
    "invalid_contexts_json",
    "ping_without_web_page",
)
#: Extra garbage that ``generate --bad-input`` adds on top of :data:`MALFORMED_KINDS`.
BAD_INPUT_KINDS = ("garbage", "extra_fields", "invalid_utf8")
_BAD_TSTAMPS = ("2024-13-45 25:61:00.000", "not-a-timestamp", "1714560000123", "31/05/2024 12:00", "")
_OTHER_CONTEXT = (
    '{"schema":"'
    + CONTEXTS_SCHEMA
    + '","data":[{"schema":"iglu:com.google.analytics/cookies/jsonschema/1-0-0",'
    '"data":{"_ga":"GA1.2.3456789.1700000000"}}]}'
)


def corrupt_line(line: str, kind: str, salt: int) -> str:
    """A well-formed line turned into one malformed the way ``kind`` says (``salt`` picks the variant)."""
    values = line.split("\t")
    if kind == "truncated":
        # cut somewhere before the last 20 fields: always fewer than 131 fields
        limit = len("\t".join(values[: N_FIELDS - 20]))
        return line[: 20 + salt % max(limit - 20, 1)]
    if kind == "bad_collector_tstamp":
        values[FIELD_INDEX["collector_tstamp"]] = _BAD_TSTAMPS[salt % len(_BAD_TSTAMPS)]
    elif kind == "missing_event_id":
        values[FIELD_INDEX["event_id"]] = ""
    elif kind == "invalid_contexts_json":
        ctx = values[FIELD_INDEX["contexts"]]
        values[FIELD_INDEX["contexts"]] = ctx[: -3 - salt % 20] if salt % 2 else ctx.replace('"', "'", 4)
    elif kind == "ping_without_web_page":
        values[FIELD_INDEX["contexts"]] = "" if salt % 2 else _OTHER_CONTEXT
    elif kind == "garbage":
        words = ("lorem", "<html>", "null", "\\N", "{", "GET /i?e=pv HTTP/1.1", "%%%", "ÿþ", "0")
        return " ".join(words[(salt >> s) % len(words)] for s in range(0, 24, 3))
    elif kind == "extra_fields":
        values.extend(["unexpected", str(salt)])
    elif kind == "invalid_utf8":
        # bytes 0xff 0xfe (written through surrogateescape): latin-1 mojibake that is not UTF-8
        field_name = ("page_title", "useragent", "page_url")[salt % 3]
        values[FIELD_INDEX[field_name]] += "\udcff\udcfe"
    else:
        raise ValueError(f"unknown malformed kind {kind!r}")
    return "\t".join(values)


# ---------------------------------------------------------------------------------------------- event batches
@dataclass
class EventBatch:
    """Everything needed to write the lines: per-site / per-page-view blocks and per-event arrays.

    Row ``i`` is an event of page view ``row_pv[i]`` (index into ``pv_a``, ``pv_b``, ``pv_c``,
    ``pv_site``); ``row_uid[i]`` indexes ``uid_bytes`` (event_id) and ``fp_bytes`` (event_fingerprint), so
    duplicate rows share both. ``malformed`` maps a row to ``(kind, salt)`` for :func:`corrupt_line`.
    """

    app_ids: list[str]
    pv_site: np.ndarray
    pv_a: list[str]
    pv_b: list[str]
    pv_c: list[str]
    row_pv: np.ndarray
    row_kind: np.ndarray
    created_ms: np.ndarray
    sent_ms: np.ndarray
    collector_ms: np.ndarray
    derived_ms: np.ndarray
    etl_ms: np.ndarray
    row_uid: np.ndarray
    uid_bytes: np.ndarray
    fp_bytes: np.ndarray
    pp: np.ndarray  # (rows, 4): pp_xoffset_min, pp_xoffset_max, pp_yoffset_min, pp_yoffset_max
    malformed: dict[int, tuple[str, int]] = field(default_factory=dict)
    #: row -> the ``unstruct_event`` JSON of a self-describing event (REC_IMPRESSION / REC_CLICK rows)
    unstruct: dict[int, str] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.row_pv)

    def concat(self, other: EventBatch) -> EventBatch:
        """This batch's rows, then ``other``'s (which must share this batch's page-view blocks): one set of
        hourly files holding both, each file's lines still in collector_tstamp order."""
        if other.pv_a is not self.pv_a or other.app_ids != self.app_ids:
            raise ValueError("concat needs a batch built on the same page views")
        rows, uids = len(self), len(self.uid_bytes)
        cat = np.concatenate
        return EventBatch(
            app_ids=self.app_ids,
            pv_site=self.pv_site,
            pv_a=self.pv_a,
            pv_b=self.pv_b,
            pv_c=self.pv_c,
            row_pv=cat([self.row_pv, other.row_pv]),
            row_kind=cat([self.row_kind, other.row_kind]),
            created_ms=cat([self.created_ms, other.created_ms]),
            sent_ms=cat([self.sent_ms, other.sent_ms]),
            collector_ms=cat([self.collector_ms, other.collector_ms]),
            derived_ms=cat([self.derived_ms, other.derived_ms]),
            etl_ms=cat([self.etl_ms, other.etl_ms]),
            row_uid=cat([self.row_uid, other.row_uid + uids]),
            uid_bytes=cat([self.uid_bytes, other.uid_bytes]),
            fp_bytes=cat([self.fp_bytes, other.fp_bytes]),
            pp=cat([self.pp, other.pp]),
            malformed={**self.malformed, **{row + rows: v for row, v in other.malformed.items()}},
            unstruct={**self.unstruct, **{row + rows: v for row, v in other.unstruct.items()}},
        )

    def lines(self, rows: np.ndarray) -> list[str]:
        """The TSV lines (without newline) of ``rows``, malformed ones corrupted."""
        heads = [site_head(a) for a in self.app_ids]
        mid = site_mid()
        pvs = self.row_pv[rows]
        sites = self.pv_site[pvs].tolist()
        kinds = self.row_kind[rows].tolist()
        uids = self.row_uid[rows]
        event_ids = format_uuids(self.uid_bytes[uids])
        fingerprints = format_hex(self.fp_bytes[uids])
        etl, collector, created, sent, derived = (
            format_tstamps(a[rows])
            for a in (self.etl_ms, self.collector_ms, self.created_ms, self.sent_ms, self.derived_ms)
        )
        pp_rows = self.pp[rows].tolist()
        pps = [
            EMPTY_PP if k != PAGE_PING else f"{p[0]}\t{p[1]}\t{p[2]}\t{p[3]}"
            for k, p in zip(kinds, pp_rows, strict=True)
        ]
        pv_a, pv_b, pv_c = self.pv_a, self.pv_b, self.pv_c
        out = [
            "\t".join(
                (
                    heads[s],
                    e,
                    c,
                    d,
                    EVENT_NAMES[k],
                    eid,
                    mid,
                    pv_a[p],
                    pp,
                    pv_b[p],
                    st,
                    pv_c[p],
                    dv,
                    EVENT_TAIL[k],
                    fp,
                    "",
                )
            )
            for s, e, c, d, k, eid, p, pp, st, dv, fp in zip(
                sites,
                etl,
                collector,
                created,
                kinds,
                event_ids,
                pvs.tolist(),
                pps,
                sent,
                derived,
                fingerprints,
                strict=True,
            )
        ]
        if self.unstruct:
            at = FIELD_INDEX["unstruct_event"]
            for pos, row in enumerate(rows.tolist()):
                payload = self.unstruct.get(row)
                if payload is not None:
                    values = out[pos].split("\t")
                    values[at] = payload
                    out[pos] = "\t".join(values)
        if self.malformed:
            for pos, row in enumerate(rows.tolist()):
                spec = self.malformed.get(row)
                if spec is not None:
                    out[pos] = corrupt_line(out[pos], *spec)
        return out


@dataclass
class WrittenFile:
    path: Path
    lines: int


def _file_groups(batch: EventBatch) -> Iterable[tuple[int, int, np.ndarray]]:
    """``(hour, site, rows)`` per output file, hours ascending, rows in collector_tstamp order."""
    if len(batch) == 0:
        return
    site = batch.pv_site[batch.row_pv]
    hour = batch.collector_ms // 3_600_000
    order = np.lexsort((np.arange(len(batch)), batch.created_ms, batch.collector_ms, site, hour))
    key = hour[order] * (site.max() + 1) + site[order]
    cuts = np.flatnonzero(np.diff(key)) + 1
    for rows in np.split(order, cuts):
        yield int(hour[rows[0]]), int(site[rows[0]]), rows


def hour_dir(out_dir: Path, hour: int) -> Path:
    """``out_dir/events/YYYY/MM/DD/HH`` for an hour number since the epoch."""
    stamp = np.datetime_as_string(np.datetime64(hour, "h"), unit="h")  # 2024-05-01T13
    return out_dir / "events" / stamp[0:4] / stamp[5:7] / stamp[8:10] / stamp[11:13]


def write_hourly(
    out_dir: Path,
    batch: EventBatch,
    *,
    gzip: bool = True,
    progress: Callable[[int], None] | None = None,
) -> list[WrittenFile]:
    """Write ``out_dir/events/YYYY/MM/DD/HH/<app_id>-NNNN.tsv[.gz]``, split by collector_tstamp hour and app.

    Lines are built here and compressed in a background thread (zlib releases the GIL), so the two cores
    overlap. Gzip headers carry no timestamp or name: the same batch always gives the same bytes.
    """
    written: list[WrittenFile] = []
    jobs: queue.Queue = queue.Queue(maxsize=2 * WRITER_THREADS + 2)
    errors: list[BaseException] = []

    def worker() -> None:
        while (job := jobs.get()) is not None:
            path, payload = job
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                if gzip:
                    with (
                        open(path, "wb") as raw,
                        gzip_module.GzipFile(
                            filename="", mode="wb", fileobj=raw, compresslevel=GZIP_LEVEL, mtime=0
                        ) as fh,
                    ):
                        fh.write(payload)
                else:
                    path.write_bytes(payload)
            except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
                errors.append(exc)

    threads = [
        threading.Thread(target=worker, name=f"article-recs-writer-{i}", daemon=True)
        for i in range(WRITER_THREADS)
    ]
    for thread in threads:
        thread.start()
    suffix = ".tsv.gz" if gzip else ".tsv"
    try:
        for hour, site, rows in _file_groups(batch):
            app_id = batch.app_ids[site]
            for part, start in enumerate(range(0, len(rows), MAX_LINES_PER_FILE)):
                chunk = rows[start : start + MAX_LINES_PER_FILE]
                payload = ("\n".join(batch.lines(chunk)) + "\n").encode("utf-8", "surrogateescape")
                path = hour_dir(out_dir, hour) / f"{app_id}-{part:04d}{suffix}"
                jobs.put((path, payload))
                written.append(WrittenFile(path, len(chunk)))
                if progress is not None:
                    progress(len(chunk))
                if errors:
                    break
    finally:
        for _ in threads:
            jobs.put(None)
        for thread in threads:
            thread.join()
    if errors:
        raise errors[0]
    return written


def write_json(path: Path, data: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, sort_keys=False) + "\n", encoding="utf-8")

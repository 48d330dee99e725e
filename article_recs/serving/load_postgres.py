"""``article-recs load-postgres --input DIR``: enriched TSV files into Snowplow's Postgres loader layout.

Tables (schema ``atomic`` by default, the dbt var ``article_recs__atomic_schema``):

- ``events``: the typed enriched fields, without the self-describing JSON columns (``contexts``,
  ``derived_contexts``, ``unstruct_event``), plus ``load_tstamp``;
- ``com_snowplowanalytics_snowplow_web_page_1`` and ``nl_basjes_yauaa_context_1``: one row per entity of those
  schemas in ``contexts`` / ``derived_contexts``, joined to their event by ``root_id = event_id`` and
  ``root_tstamp = collector_tstamp`` (with ``schema_vendor``, ``schema_name``, ``schema_format``,
  ``schema_version``, ``ref_root``, ``ref_tree``, ``ref_parent``, as the loader shreds them);
- ``load_quarantine``: the lines that cannot be loaded, with the reason and the raw line — never a crash;
- ``load_manifest``: one row per loaded file (by content hash), so re-running on the same folder loads only
  new files.

A line is quarantined when it is not UTF-8, holds a NUL byte, does not have 131 fields, has no event_id or
collector_tstamp (NOT NULL in the layout), has a typed field that does not parse (a timestamp, integer, float
or boolean), or carries contexts / derived_contexts that are not JSON (the loader could not shred them). Every
other line is loaded; the dbt models decide the rest (bots, duplicates, page pings without a web_page).

Files are read in Python (bytes, so bad encodings cannot stop a read), typed and shredded in DuckDB, and
written through DuckDB's postgres attach (binary COPY), one transaction per batch of files, manifest included:
a crash leaves whole files loaded or not.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import os
import re
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from article_recs import exit_codes
from article_recs.events.fields import FIELD_TYPES, FIELDS, N_FIELDS
from article_recs.serving.connection import PgSettings, PgUnavailable, attach_postgres, connect

PROG = "article-recs load-postgres"
DEFAULT_SCHEMA = "atomic"
LOAD_LOCK_KEY = 0x61726C64  # "arld": one loader at a time per database
JSON_FIELDS = ("contexts", "derived_contexts", "unstruct_event")

PG_TYPES = {
    "text": "varchar",
    "timestamp": "timestamp",
    "integer": "integer",
    "double": "double precision",
    "boolean": "boolean",
}
NOT_NULL = ("event_id", "collector_tstamp")
EVENT_COLUMNS: tuple[str, ...] = tuple(f for f in FIELDS if f not in JSON_FIELDS)

WEB_PAGE_TABLE = "com_snowplowanalytics_snowplow_web_page_1"
WEB_PAGE_SCHEMA_PREFIX = "iglu:com.snowplowanalytics.snowplow/web_page/jsonschema/1-"
YAUAA_TABLE = "nl_basjes_yauaa_context_1"
YAUAA_SCHEMA_PREFIX = "iglu:nl.basjes/yauaa_context/jsonschema/1-"
#: yauaa_context 1-0-x properties loaded as columns (camelCase in JSON, snake_case columns, as the loader).
YAUAA_FIELDS = (
    "deviceClass",
    "deviceName",
    "deviceBrand",
    "deviceCpu",
    "deviceCpuBits",
    "deviceFirmwareVersion",
    "deviceVersion",
    "operatingSystemClass",
    "operatingSystemName",
    "operatingSystemVersion",
    "operatingSystemVersionMajor",
    "operatingSystemNameVersion",
    "operatingSystemNameVersionMajor",
    "operatingSystemVersionBuild",
    "layoutEngineClass",
    "layoutEngineName",
    "layoutEngineVersion",
    "layoutEngineVersionMajor",
    "layoutEngineNameVersion",
    "layoutEngineNameVersionMajor",
    "layoutEngineBuild",
    "agentClass",
    "agentName",
    "agentVersion",
    "agentVersionMajor",
    "agentNameVersion",
    "agentNameVersionMajor",
    "agentBuild",
    "agentLanguage",
    "agentLanguageCode",
    "agentInformationEmail",
    "agentInformationUrl",
    "agentSecurity",
    "agentUuid",
    "webviewAppName",
    "webviewAppVersion",
    "webviewAppVersionMajor",
    "webviewAppNameVersionMajor",
    "networkType",
)
CONTEXT_META_COLUMNS = (
    "root_id varchar not null",
    "root_tstamp timestamp not null",
    "schema_vendor varchar not null",
    "schema_name varchar not null",
    "schema_format varchar not null",
    "schema_version varchar not null",
    "ref_root varchar not null",
    "ref_tree varchar not null",
    "ref_parent varchar not null",
)
#: Properties an entity must have (required by its schema, NOT NULL in the layout): else the line is
#: quarantined with the reason.
REQUIRED_CONTEXT_FIELDS = {
    "web_page": ("id", "web_page_context_without_id"),
    "yauaa": ("device_class", "yauaa_context_without_device_class"),
}


def snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def atomic_ddl(schema: str = DEFAULT_SCHEMA) -> str:
    """The layout's DDL (idempotent): docs/atomic_layout.sql's tables and indexes (a superset of its yauaa
    columns), plus load_quarantine and load_manifest."""
    event_cols = ",\n    ".join(
        f"{name} {PG_TYPES[FIELD_TYPES.get(name, 'text')]}" + (" not null" if name in NOT_NULL else "")
        for name in EVENT_COLUMNS
    )
    meta = ",\n    ".join(CONTEXT_META_COLUMNS)
    web_page_cols = ",\n    ".join([*CONTEXT_META_COLUMNS, "id varchar not null"])
    yauaa_cols = ",\n    ".join(
        f"{snake(f)} varchar" + (" not null" if snake(f) == "device_class" else "") for f in YAUAA_FIELDS
    )
    return f"""
create schema if not exists {schema};

create table if not exists {schema}.events (
    {event_cols},
    load_tstamp timestamp
);

create table if not exists {schema}.{WEB_PAGE_TABLE} (
    {web_page_cols}
);

create table if not exists {schema}.{YAUAA_TABLE} (
    {meta},
    {yauaa_cols}
);

create index if not exists events_load_tstamp_idx on {schema}.events (load_tstamp);
create index if not exists events_collector_tstamp_idx on {schema}.events (collector_tstamp);
create index if not exists web_page_1_root_idx on {schema}.{WEB_PAGE_TABLE} (root_id, root_tstamp);
create index if not exists yauaa_context_1_root_idx on {schema}.{YAUAA_TABLE} (root_id, root_tstamp);

create table if not exists {schema}.load_quarantine (
    source_file text not null,
    line_number bigint not null,
    reason text not null,
    raw_line text not null,
    loaded_at timestamptz not null default now()
);

create table if not exists {schema}.load_manifest (
    file_sha256 text primary key,
    source_file text not null,
    bytes bigint not null,
    lines bigint not null,
    events bigint not null,
    quarantined bigint not null,
    loaded_at timestamptz not null default now()
);
"""


# ---------------------------------------------------------------------------------------------- reading
@dataclass
class FileLines:
    path: Path
    rel: str
    sha256: str
    n_bytes: int
    good: list[tuple[int, str]] = field(default_factory=list)  # (line number, line)
    bad: list[tuple[int, str, str]] = field(default_factory=list)  # (line number, reason, raw text)


def find_files(input_dir: Path) -> list[Path]:
    """Enriched TSV files (plain or .gz) under DIR/events, or under DIR when it has no events/ folder."""
    root = input_dir / "events" if (input_dir / "events").is_dir() else input_dir
    return sorted(p for p in root.rglob("*") if p.is_file() and re.search(r"\.tsv(\.gz)?$", p.name))


def read_file(path: Path, rel: str) -> FileLines:
    data = path.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    if path.suffix == ".gz":
        data = gzip.decompress(data)
    lines = FileLines(path, rel, digest, len(data))
    for number, raw in enumerate(data.split(b"\n"), start=1):
        if raw.endswith(b"\r"):
            raw = raw[:-1]
        if not raw:
            continue
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            lines.bad.append(
                (number, "invalid_utf8", raw.decode("utf-8", "backslashreplace").replace("\x00", ""))
            )
            continue
        if "\x00" in text:
            lines.bad.append((number, "nul_byte", text.replace("\x00", "\\x00")))
        elif text.count("\t") != N_FIELDS - 1:
            lines.bad.append((number, "wrong_field_count", text))
        else:
            lines.good.append((number, text))
    return lines


# ------------------------------------------------------------------------------------------ typing in DuckDB
def _typed_select() -> str:
    cols, checks = [], []
    for i, name in enumerate(FIELDS, start=1):
        raw = f"nullif(f[{i}], '')"
        kind = FIELD_TYPES.get(name, "text")
        if kind == "text":
            cols.append(f"{raw} as {name}")
        else:
            duck_type = {
                "timestamp": "timestamp",
                "integer": "integer",
                "double": "double",
                "boolean": "boolean",
            }[kind]
            cols.append(f"try_cast({raw} as {duck_type}) as {name}")
            checks.append(f"when {name} is null and {raw} is not null then 'unparseable_{name}'")
    reason = "\n".join(
        [
            "case",
            "when nullif(f[7], '') is null then 'missing_event_id'",
            "when nullif(f[4], '') is null then 'missing_collector_tstamp'",
            *checks,
            f"when nullif(f[{FIELDS.index('contexts') + 1}], '') is not null "
            f"and not json_valid(f[{FIELDS.index('contexts') + 1}]) then 'invalid_contexts_json'",
            f"when nullif(f[{FIELDS.index('derived_contexts') + 1}], '') is not null "
            f"and not json_valid(f[{FIELDS.index('derived_contexts') + 1}]) "
            "then 'invalid_derived_contexts_json'",
            "end",
        ]
    )
    return (
        "select source_file, line_number, raw_line,\n"
        + ",\n".join(cols)
        + f",\n{reason} as reason\n"
        + "from (select source_file, line_number, raw_line, string_split(raw_line, chr(9)) as f from lines)"
    )


def _context_select(column: str, schema_prefix: str, fields: Sequence[str], name: str) -> str:
    """Shredded entities of one schema. Each distinct JSON text is parsed once (a reader's derived_contexts
    repeats on every event), then joined back to the events."""
    data_cols = "".join(f",\n        entity -> 'data' ->> '{f}' as {snake(f)}" for f in fields)
    out_cols = "".join(f",\n    shredded.{snake(f)}" for f in fields)
    return f"""
with texts as (
    select distinct {column} as context_text
    from typed
    where reason is null and {column} is not null
),
entities as (
    select context_text, unnest(json_extract(context_text, '$.data[*]')) as entity
    from texts
),
shredded as (
    select
        context_text,
        regexp_extract(entity ->> 'schema', '^iglu:([^/]+)/', 1) as schema_vendor,
        regexp_extract(entity ->> 'schema', '^iglu:[^/]+/([^/]+)/', 1) as schema_name,
        regexp_extract(entity ->> 'schema', '^iglu:[^/]+/[^/]+/([^/]+)/', 1) as schema_format,
        regexp_extract(entity ->> 'schema', '/([^/]+)$', 1) as schema_version{data_cols}
    from entities
    where starts_with(entity ->> 'schema', '{schema_prefix}')
)
select
    typed.source_file,
    typed.line_number,
    typed.event_id as root_id,
    typed.collector_tstamp as root_tstamp,
    shredded.schema_vendor,
    shredded.schema_name,
    shredded.schema_format,
    shredded.schema_version,
    'events' as ref_root,
    '["events","{name}"]' as ref_tree,
    'events' as ref_parent{out_cols}
from typed
inner join shredded on typed.{column} = shredded.context_text
where typed.reason is null
"""


# ---------------------------------------------------------------------------------------------- load
@dataclass
class LoadResult:
    files_seen: int = 0
    files_loaded: int = 0
    files_skipped: int = 0  # already in load_manifest
    lines: int = 0
    events: int = 0
    web_page_contexts: int = 0
    yauaa_contexts: int = 0
    quarantined: int = 0
    quarantine_by_reason: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    def summary(self, settings: PgSettings, schema: str) -> str:
        rate = self.lines / self.seconds if self.seconds else 0.0
        reasons = ", ".join(f"{k} {v}" for k, v in sorted(self.quarantine_by_reason.items()))
        return (
            f"loaded {self.events:,} events ({self.web_page_contexts:,} web_page, "
            f"{self.yauaa_contexts:,} yauaa "
            f"contexts) from {self.files_loaded:,} files into {schema} at {settings.where}; "
            f"{self.quarantined:,} lines quarantined{f' ({reasons})' if reasons else ''}; "
            f"{self.files_skipped:,} files already loaded; {self.seconds:.1f}s, {rate:,.0f} lines/s"
        )


def _batches(files: list[Path], input_dir: Path, max_bytes: int) -> Iterator[list[FileLines]]:
    batch: list[FileLines] = []
    size = 0
    for path in files:
        lines = read_file(path, str(path.relative_to(input_dir)))
        batch.append(lines)
        size += lines.n_bytes
        if size >= max_bytes:
            yield batch
            batch, size = [], 0
    if batch:
        yield batch


META_COLUMNS = (
    "root_id, root_tstamp, schema_vendor, schema_name, schema_format, schema_version, "
    "ref_root, ref_tree, ref_parent"
)


def _prepare_layout(conn, schema: str, replace: bool) -> set[str]:
    """Take the loader's lock and create the layout (emptied with ``replace``); returns the sha256 of the
    files loaded before."""
    with conn.cursor() as cur:
        cur.execute("select pg_advisory_lock(%s)", (LOAD_LOCK_KEY,))
        cur.execute(atomic_ddl(schema))
        if replace:
            cur.execute(
                f"truncate {schema}.events, {schema}.{WEB_PAGE_TABLE}, {schema}.{YAUAA_TABLE}, "
                f"{schema}.load_quarantine, {schema}.load_manifest"
            )
        cur.execute(f"select file_sha256 from {schema}.load_manifest")
        done = {row[0] for row in cur.fetchall()}
    conn.commit()
    return done


def _register_lines(duck, fresh: list[FileLines]) -> None:
    """The batch's lines (good and bad) and files as DuckDB views: lines, bad_lines, files_in_batch."""
    import pyarrow as pa

    good = [(f.rel, n, t) for f in fresh for n, t in f.good]
    bad = [(f.rel, *b) for f in fresh for b in f.bad]
    duck.register(
        "lines",
        pa.table(
            {
                "source_file": pa.array([g[0] for g in good], pa.string()),
                "line_number": pa.array([g[1] for g in good], pa.int64()),
                "raw_line": pa.array([g[2] for g in good], pa.string()),
            }
        ),
    )
    duck.register(
        "bad_lines",
        pa.table(
            {
                "source_file": pa.array([b[0] for b in bad], pa.string()),
                "line_number": pa.array([b[1] for b in bad], pa.int64()),
                "reason": pa.array([b[2] for b in bad], pa.string()),
                "raw_line": pa.array([b[3] for b in bad], pa.string()),
            }
        ),
    )
    duck.register(
        "files_in_batch",
        pa.table(
            {
                "file_sha256": pa.array([f.sha256 for f in fresh], pa.string()),
                "source_file": pa.array([f.rel for f in fresh], pa.string()),
                "bytes": pa.array([f.n_bytes for f in fresh], pa.int64()),
                "lines": pa.array([len(f.good) + len(f.bad) for f in fresh], pa.int64()),
            }
        ),
    )


def _stage_batch(duck) -> None:
    """Temp tables of the registered batch: typed events, their web_page and YAUAA contexts, the
    quarantine (bad lines, lines that do not type, entities without a property their schema requires) and
    the manifest."""
    duck.execute(f"create or replace temp table typed as {_typed_select()}")
    web_page_sql = _context_select("contexts", WEB_PAGE_SCHEMA_PREFIX, ("id",), "web_page")
    duck.execute(f"create or replace temp table web_page as {web_page_sql}")
    yauaa_sql = _context_select("derived_contexts", YAUAA_SCHEMA_PREFIX, YAUAA_FIELDS, "yauaa_context")
    duck.execute(f"create or replace temp table yauaa as {yauaa_sql}")
    # entities without a property their schema requires (NOT NULL in the layout): quarantine the line
    duck.execute(
        f"""
        create or replace temp table invalid_contexts as
        select source_file, line_number, min(reason) as reason
        from (
            select source_file, line_number, '{REQUIRED_CONTEXT_FIELDS["web_page"][1]}' as reason
            from web_page where {REQUIRED_CONTEXT_FIELDS["web_page"][0]} is null
            union all
            select source_file, line_number, '{REQUIRED_CONTEXT_FIELDS["yauaa"][1]}' as reason
            from yauaa where {REQUIRED_CONTEXT_FIELDS["yauaa"][0]} is null
        )
        group by source_file, line_number
        """
    )
    duck.execute(
        """
        update typed set reason = invalid_contexts.reason
        from invalid_contexts
        where typed.source_file = invalid_contexts.source_file
            and typed.line_number = invalid_contexts.line_number
        """
    )
    for table in ("web_page", "yauaa"):
        duck.execute(
            f"""
            delete from {table} using invalid_contexts
            where {table}.source_file = invalid_contexts.source_file
                and {table}.line_number = invalid_contexts.line_number
            """
        )
    duck.execute(
        """
        create or replace temp table quarantine as
        select source_file, line_number, reason, raw_line from bad_lines
        union all
        select source_file, line_number, reason, raw_line from typed where reason is not null
        """
    )
    duck.execute(
        """
        create or replace temp table manifest as
        select f.file_sha256, f.source_file, f.bytes, f.lines,
            coalesce(e.events, 0) as events, coalesce(q.quarantined, 0) as quarantined
        from files_in_batch as f
        left join (select source_file, count(*) as events from typed where reason is null group by 1)
            as e using (source_file)
        left join (select source_file, count(*) as quarantined from quarantine group by 1)
            as q using (source_file)
        """
    )


def _insert_batch(duck, schema: str) -> None:
    """Write the staged batch into the layout in one transaction; load_tstamp is the time of this load."""
    event_cols = ", ".join(EVENT_COLUMNS)
    yauaa_cols = ", ".join(snake(f) for f in YAUAA_FIELDS)
    duck.execute("begin")
    try:
        duck.execute(
            f"insert into pg.{schema}.events ({event_cols}, load_tstamp) "
            f"select {event_cols}, cast(now() as timestamp) from typed where reason is null"
        )
        duck.execute(
            f"insert into pg.{schema}.{WEB_PAGE_TABLE} ({META_COLUMNS}, id) "
            f"select {META_COLUMNS}, id from web_page"
        )
        duck.execute(
            f"insert into pg.{schema}.{YAUAA_TABLE} ({META_COLUMNS}, {yauaa_cols}) "
            f"select {META_COLUMNS}, {yauaa_cols} from yauaa"
        )
        duck.execute(
            f"insert into pg.{schema}.load_quarantine (source_file, line_number, reason, raw_line) "
            "select source_file, line_number, reason, raw_line from quarantine"
        )
        duck.execute(
            f"insert into pg.{schema}.load_manifest "
            "(file_sha256, source_file, bytes, lines, events, quarantined) "
            "select file_sha256, source_file, bytes, lines, events, quarantined from manifest"
        )
        duck.execute("commit")
    except Exception:
        duck.execute("rollback")
        raise


def _count_batch(duck, fresh: list[FileLines], result: LoadResult) -> None:
    """Add the loaded batch's counts to ``result``."""
    result.events += duck.execute("select count(*) from typed where reason is null").fetchone()[0]
    result.web_page_contexts += duck.execute("select count(*) from web_page").fetchone()[0]
    result.yauaa_contexts += duck.execute("select count(*) from yauaa").fetchone()[0]
    for reason, count in duck.execute("select reason, count(*) from quarantine group by 1").fetchall():
        result.quarantine_by_reason[reason] = result.quarantine_by_reason.get(reason, 0) + count
        result.quarantined += count
    result.lines += sum(len(f.good) + len(f.bad) for f in fresh)
    result.files_loaded += len(fresh)


def load_postgres(
    input_dir: Path,
    *,
    settings: PgSettings | None = None,
    schema: str = DEFAULT_SCHEMA,
    replace: bool = False,
    batch_bytes: int = 256 * 1024 * 1024,
    progress: bool = False,
) -> LoadResult:
    """Load every enriched TSV file under ``input_dir`` not loaded before. Raises :class:`PgUnavailable`.
    ``progress``: a bar of the files on stderr, when it is a terminal."""
    import duckdb
    from tqdm import tqdm

    started = time.perf_counter()
    settings = settings or PgSettings.from_env()
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", schema):
        raise ValueError(f"schema must be a plain lower-case identifier, got {schema!r}")
    input_dir = Path(input_dir)
    if not input_dir.is_dir():
        from article_recs.events.errors import InputFileNotFoundError

        raise InputFileNotFoundError(f"no such directory: {input_dir}")
    files = find_files(input_dir)
    result = LoadResult(files_seen=len(files))

    conn = connect(settings)
    duck = duckdb.connect()
    try:
        done = _prepare_layout(conn, schema, replace)
        attach_postgres(duck, settings)
        duck.execute("set preserve_insertion_order = false")
        duck.execute("set TimeZone = 'UTC'")  # load_tstamp: UTC, like every timestamp of the layout
        bar = tqdm(
            total=len(files), desc="files", unit="file", file=sys.stderr, leave=False,
            disable=None if progress else True,
        )  # fmt: skip
        for batch in _batches(files, input_dir, batch_bytes):
            bar.update(len(batch))
            fresh = [f for f in batch if f.sha256 not in done]
            result.files_skipped += len(batch) - len(fresh)
            if not fresh:
                continue
            _register_lines(duck, fresh)
            _stage_batch(duck)
            _insert_batch(duck, schema)
            _count_batch(duck, fresh, result)
            done.update(f.sha256 for f in fresh)
            for name in ("lines", "bad_lines", "files_in_batch"):
                duck.unregister(name)

        with conn.cursor() as cur:
            cur.execute(f"analyze {schema}.events")
            cur.execute(f"analyze {schema}.{WEB_PAGE_TABLE}")
            cur.execute(f"analyze {schema}.{YAUAA_TABLE}")
        conn.commit()
    finally:
        duck.close()
        conn.close()
    result.seconds = time.perf_counter() - started
    return result


# ---------------------------------------------------------------------------------------------- CMS export
CMS_COLUMNS = ("site_id", "article_id", "published_at", "section", "author", "title", "url")


def load_article_metadata(csv_path: Path, *, settings: PgSettings | None = None, schema: str = "cms") -> int:
    """Replace ``cms.article_metadata`` (text columns, as the CSV) with the CMS export ``csv_path``: on the
    Postgres target the dbt source ``cms.article_metadata`` is this table (DuckDB reads the CSV itself)."""
    import csv

    settings = settings or PgSettings.from_env()
    with csv_path.open(newline="", encoding="utf-8") as handle:
        header = next(csv.reader(handle), [])
    if [h.strip() for h in header] != list(CMS_COLUMNS):
        from article_recs.events.errors import InputError

        raise InputError(f"{csv_path}: expected the header {','.join(CMS_COLUMNS)}, got {','.join(header)}")
    conn = connect(settings)
    try:
        with conn.cursor() as cur, csv_path.open("rb") as data:
            cur.execute(f"create schema if not exists {schema}")
            cur.execute(
                f"create table if not exists {schema}.article_metadata ("
                + ", ".join(f"{c} text" for c in CMS_COLUMNS)
                + ")"
            )
            cur.execute(f"truncate {schema}.article_metadata")
            cur.copy_expert(
                f"copy {schema}.article_metadata ({', '.join(CMS_COLUMNS)}) "
                "from stdin with (format csv, header true)",
                data,
            )
            n = cur.rowcount
            cur.execute(f"analyze {schema}.article_metadata")
        conn.commit()
    finally:
        conn.close()
    return n


# ---------------------------------------------------------------------------------------------- CLI verb
def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "Load enriched TSV files (DIR/events/YYYY/MM/DD/HH/*.tsv[.gz]) into Snowplow's Postgres loader "
        "layout: "
        "atomic.events, the web_page and yauaa context tables, atomic.load_quarantine for lines that cannot "
        "be loaded. Files already loaded (same content) are skipped. Connection from ARTICLE_RECS_PG_HOST, "
        "_PORT, _USER, _PASSWORD, _DATABASE."
    )
    parser.add_argument("--input", type=Path, help="folder written by `article-recs generate` (required)")
    parser.add_argument(
        "--schema",
        default=os.environ.get("ARTICLE_RECS_ATOMIC_SCHEMA", DEFAULT_SCHEMA),
        help="target schema (default atomic; the dbt var article_recs__atomic_schema)",
    )
    parser.add_argument(
        "--replace",
        action="store_true",
        help="empty the layout's tables first (default: append files not loaded yet)",
    )
    parser.add_argument(
        "--articles",
        type=Path,
        default=None,
        help="CMS export loaded into cms.article_metadata (default: DIR/articles/articles.csv "
        "when it exists)",
    )
    parser.add_argument("--print-ddl", action="store_true", help="print the layout's DDL and exit")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


def run(args: argparse.Namespace) -> int:
    import psycopg2

    if args.print_ddl:
        print(atomic_ddl(args.schema).strip())
        return 0
    if args.input is None:
        print(f"{PROG}: error: --input DIR is required", file=sys.stderr)
        return 2
    settings = PgSettings.from_env()
    articles = args.articles or args.input / "articles" / "articles.csv"
    try:
        result = load_postgres(
            args.input, settings=settings, schema=args.schema, replace=args.replace, progress=not args.quiet
        )
        n_articles = load_article_metadata(articles, settings=settings) if articles.exists() else None
    except PgUnavailable as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return exit_codes.UNAVAILABLE
    except psycopg2.Error as exc:
        reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        print(f"{PROG}: error: {settings.describe()}: {reason}", file=sys.stderr)
        return exit_codes.FAILED
    print(result.summary(settings, args.schema))
    if n_articles is not None:
        print(f"loaded {n_articles:,} articles from {articles} into cms.article_metadata")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    from article_recs.events.errors import InputError

    parser = argparse.ArgumentParser(prog=PROG)
    add_arguments(parser)
    args = parser.parse_args(argv)
    try:
        return run(args)
    except InputError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())

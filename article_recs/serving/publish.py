"""``article-recs publish``: copy the current models and their recommendations from DuckDB to Postgres
serving.

Steps, each safe to interrupt:

1. read the current models from DuckDB (``recommender.model_registry``, status ``current``), read-only;
2. connect to Postgres (fails fast: ``connect_timeout``), take the publish advisory lock (one publisher at a
   time), create the serving schema when missing, and delete ``pending`` models left by a publish that died;
3. for each model not already served: insert its ``serving.models`` row as ``pending``, then copy its rows
   from DuckDB into ``serving.recommendations`` through DuckDB's postgres attach (binary COPY) and check the
   count. Readers never see pending rows;
4. **one transaction** flips status: each new model becomes ``current``, the model it replaces ``stale``;
5. keep the last K models per (site, strategy) (current included), delete older ones with their rows.

A failure or a kill before step 4 leaves the previous current models served (the pending leftovers are
removed by the next publish); DuckDB is only read. Publishing a model_id that is already current is a no-op;
one that is stale (a rollback in DuckDB) is made current again without copying. A current model without a
single recommendation is not published: widgets keep the previous one.

Fault injection for tests: ``ARTICLE_RECS_PUBLISH_FAULT=<point>:<action>`` with point ``mid_copy`` (after the
first model's rows are copied) or ``before_flip``, and action ``fail`` (raise) or ``pause`` (print
``publish: paused at <point>`` on stderr and sleep, to be killed).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from article_recs import exit_codes
from article_recs.serving.connection import PgSettings, PgUnavailable, attach_postgres, connect
from article_recs.serving.schema import SCHEMA, ensure_schema
from article_recs.settings import DUCKDB_PATH_HELP, PROJECT_DIR
from article_recs.settings import duckdb_path as resolve_duckdb_path

PROG = "article-recs publish"
#: Key of the session advisory lock that serialises publishers.
PUBLISH_LOCK_KEY = 0x61727073  # "arps"
REGISTRY_TABLE = "recommender.model_registry"
RECOMMENDATIONS_TABLE = "recommender.recommendations"
#: model_registry columns copied into serving.models columns of the same name (when DuckDB has them).
MODEL_COLUMNS = (
    "run_id",
    "trained_at",
    "train_window_start",
    "train_window_end",
    "n_interactions",
    "n_readers",
    "n_articles",
)


class PublishError(RuntimeError):
    """Publishing cannot proceed (no DuckDB warehouse, no current models, a copy that does not add up)."""


@dataclass
class PublishResult:
    copied: list[str] = field(default_factory=list)  # models whose rows were copied now
    reused: list[str] = field(default_factory=list)  # already in serving (current, or stale made current)
    activated: list[str] = field(default_factory=list)  # flipped to current by this publish
    rows_copied: int = 0
    deleted: list[str] = field(default_factory=list)  # models dropped by retention
    cleaned_pending: list[str] = field(default_factory=list)  # leftovers of publishes that died
    skipped_empty: list[str] = field(default_factory=list)  # current in DuckDB but without a single row
    seconds: float = 0.0
    copy_seconds: float = 0.0
    flip_seconds: float = 0.0

    def summary(self, settings: PgSettings) -> str:
        n = len(self.copied) + len(self.reused)
        text = (
            f"published {n} model(s) to {SCHEMA} at {settings.where}: {len(self.copied)} copied "
            f"({self.rows_copied:,} rows in {self.copy_seconds:.1f}s), {len(self.reused)} already there, "
            f"{len(self.activated)} made current"
        )
        if self.deleted:
            text += f", {len(self.deleted)} old model(s) deleted"
        if self.skipped_empty:
            text += (
                f", {len(self.skipped_empty)} empty model(s) NOT published ({', '.join(self.skipped_empty)})"
            )
        if self.cleaned_pending:
            text += f", {len(self.cleaned_pending)} interrupted publish(es) cleaned up"
        return text + f" ({self.seconds:.1f}s)"


# ---------------------------------------------------------------------------------------------- settings
def default_models_to_keep() -> int:
    """``ARTICLE_RECS_MODELS_TO_KEEP``, else the dbt var ``article_recs__models_to_keep``, else 3."""
    if os.environ.get("ARTICLE_RECS_MODELS_TO_KEEP"):
        return int(os.environ["ARTICLE_RECS_MODELS_TO_KEEP"])
    try:
        import yaml

        project = yaml.safe_load((PROJECT_DIR / "dbt_project.yml").read_text())
        return int(project["vars"]["article_recs__models_to_keep"])
    except Exception:  # noqa: BLE001 - no project file next to an installed package: the documented default
        return 3


def _fault(point: str) -> None:
    spec = os.environ.get("ARTICLE_RECS_PUBLISH_FAULT", "")
    if not spec:
        return
    where, _, action = spec.partition(":")
    if where != point:
        return
    if action == "pause":
        print(f"publish: paused at {point}", file=sys.stderr, flush=True)
        time.sleep(600)
    raise RuntimeError(f"injected fault at {point} (ARTICLE_RECS_PUBLISH_FAULT)")


# ---------------------------------------------------------------------------------------------- DuckDB side
def _open_warehouse(duckdb_path: Path):  # noqa: ANN202 - duckdb connection
    import duckdb

    if not duckdb_path.exists():
        raise PublishError(f"no DuckDB warehouse at {duckdb_path} (run the DuckDB build first)")
    # An in-memory DuckDB with the warehouse attached read-only (a read-only connection would make the
    # postgres attach read-only too).
    con = duckdb.connect()
    try:
        con.execute(f"attach '{str(duckdb_path).replace(chr(39), chr(39) * 2)}' as warehouse (read_only)")
        con.execute("use warehouse")
    except duckdb.Error as exc:
        con.close()
        first = str(exc).splitlines()[0]
        raise PublishError(f"cannot open {duckdb_path} read-only: {first}") from None
    tables = {
        row[0]
        for row in con.execute(
            "select table_schema || '.' || table_name from information_schema.tables "
            "where table_catalog = 'warehouse'"
        ).fetchall()
    }
    missing = [t for t in (REGISTRY_TABLE, RECOMMENDATIONS_TABLE) if t not in tables]
    if missing:
        con.close()
        raise PublishError(
            f"{duckdb_path} has no {' or '.join(missing)} (build the recommender models first)"
        )
    return con


def read_current_models(con, model_ids: Sequence[str] | None = None) -> list[dict]:  # noqa: ANN001
    """The models to publish: the given ids, or the current one of each (site, strategy), with their row
    counts and the whole registry row as JSON."""
    columns = [row[0] for row in con.execute(f"describe {REGISTRY_TABLE}").fetchall()]
    wanted = [c for c in MODEL_COLUMNS if c in columns]
    params = "cast(params as varchar)" if "params" in columns else "null"
    if model_ids:
        where, args = "model_id in (select unnest(?))", [list(model_ids)]
    else:
        where, args = "status = 'current'", []
    rows = con.execute(
        f"""
        with chosen as (
            select *
            from {REGISTRY_TABLE}
            where {where}
            qualify row_number() over (
                partition by site_id, strategy
                order by {"trained_at desc," if "trained_at" in columns else ""}
                model_id desc
            ) = 1
        ),
        counts as (
            select model_id, count(*) as n_recommendations
            from {RECOMMENDATIONS_TABLE}
            where model_id in (select model_id from chosen)
            group by model_id
        )
        select
            cast(chosen.model_id as varchar) as model_id,
            cast(chosen.site_id as varchar) as site_id,
            cast(chosen.strategy as varchar) as strategy,
            {", ".join(f"chosen.{c}" for c in wanted)}{"," if wanted else ""}
            {params} as params,
            cast(to_json(chosen) as varchar) as registry,
            coalesce(counts.n_recommendations, 0) as n_recommendations
        from chosen
        left join counts using (model_id)
        order by site_id, strategy
        """,
        args,
    ).fetchall()
    names = ["model_id", "site_id", "strategy", *wanted, "params", "registry", "n_recommendations"]
    models = [dict(zip(names, row, strict=True)) for row in rows]
    if model_ids:
        unknown = sorted(set(model_ids) - {m["model_id"] for m in models})
        if unknown:
            raise PublishError(f"not in {REGISTRY_TABLE}: {', '.join(unknown)}")
    return models


def _json_or_string(text: str | None) -> str | None:
    if text is None:
        return None
    try:
        json.loads(text)
        return text
    except ValueError:
        return json.dumps(text)


# ---------------------------------------------------------------------------------------------- Postgres side
def _lock(conn, timeout_s: float) -> None:  # noqa: ANN001
    with conn.cursor() as cur:
        cur.execute("set lock_timeout = %s", (f"{int(timeout_s * 1000)}ms",))
        try:
            cur.execute("select pg_advisory_lock(%s)", (PUBLISH_LOCK_KEY,))
        except Exception as exc:  # psycopg2.errors.LockNotAvailable
            conn.rollback()
            raise PublishError(f"another publish holds the serving lock (waited {timeout_s:.0f}s)") from exc
        cur.execute("set lock_timeout = 0")
    conn.commit()


def _clean_pending(conn) -> list[str]:  # noqa: ANN001
    """Delete models left pending by a publish that died (we hold the lock: nobody else is publishing)."""
    with conn.cursor() as cur:
        cur.execute(f"select model_id from {SCHEMA}.models where status = 'pending'")
        pending = [row[0] for row in cur.fetchall()]
        if pending:
            cur.execute(f"delete from {SCHEMA}.recommendations where model_id = any(%s)", (pending,))
            cur.execute(f"delete from {SCHEMA}.models where model_id = any(%s)", (pending,))
    conn.commit()
    return pending


def _served(conn, model_ids: list[str]) -> dict[str, tuple[str, int | None]]:  # noqa: ANN001
    with conn.cursor() as cur:
        cur.execute(
            f"select model_id, status, n_recommendations from {SCHEMA}.models where model_id = any(%s)",
            (model_ids,),
        )
        return {row[0]: (row[1], row[2]) for row in cur.fetchall()}


def _insert_pending(conn, model: dict) -> None:  # noqa: ANN001
    cols = ["model_id", "site_id", "strategy", *[c for c in MODEL_COLUMNS if c in model]]
    values = [model[c] for c in cols]
    with conn.cursor() as cur:
        cur.execute(
            f"""
            insert into {SCHEMA}.models ({", ".join(cols)}, params, registry, status)
            values ({", ".join(["%s"] * len(cols))}, %s::jsonb, %s::jsonb, 'pending')
            """,
            [*values, _json_or_string(model.get("params")), _json_or_string(model.get("registry"))],
        )
    conn.commit()


def _copy_rows(duck, model: dict) -> int:  # noqa: ANN001
    """Copy one model's recommendations from DuckDB into Postgres (binary COPY through the attach)."""
    duck.execute(
        f"""
        insert into pg.{SCHEMA}.recommendations
            (model_id, source_entity_type, source_entity_id, rank, recommended_article_id, score)
        select
            cast(model_id as varchar),
            cast(source_entity_type as varchar),
            cast(source_entity_id as varchar),
            cast(rank as integer),
            cast(recommended_article_id as varchar),
            cast(score as double)
        from {RECOMMENDATIONS_TABLE}
        where model_id = ?
        """,
        [model["model_id"]],
    )
    return model["n_recommendations"]


def _flip(conn, model_ids: list[str]) -> None:  # noqa: ANN001
    """THE switch: in one transaction, each model becomes current and the one it replaces stale."""
    with conn.cursor() as cur:
        for model_id in model_ids:
            cur.execute(
                f"""
                update {SCHEMA}.models as old
                set status = 'stale'
                from {SCHEMA}.models as new
                where new.model_id = %(model_id)s
                    and old.site_id = new.site_id
                    and old.strategy = new.strategy
                    and old.status = 'current'
                    and old.model_id <> new.model_id
                """,
                {"model_id": model_id},
            )
            cur.execute(
                f"update {SCHEMA}.models set status = 'current', activated_at = now() where model_id = %s",
                (model_id,),
            )
    conn.commit()


def _retain(conn, keep: int) -> list[str]:  # noqa: ANN001
    """Keep the last ``keep`` models per (site, strategy), current included; delete the rest, rows too."""
    with conn.cursor() as cur:
        cur.execute(
            f"""
            select model_id from (
                select
                    model_id,
                    status,
                    row_number() over (
                        partition by site_id, strategy
                        order by
                            status = 'current' desc,
                            coalesce(activated_at, published_at) desc,
                            model_id desc
                    ) as recency
                from {SCHEMA}.models
                where status in ('current', 'stale')
            ) as ranked
            where recency > %s and status = 'stale'
            """,
            (max(keep, 1),),
        )
        old = [row[0] for row in cur.fetchall()]
        if old:
            cur.execute(f"delete from {SCHEMA}.recommendations where model_id = any(%s)", (old,))
            cur.execute(f"delete from {SCHEMA}.models where model_id = any(%s)", (old,))
    conn.commit()
    return old


# ---------------------------------------------------------------------------------------------- publish
def publish(
    *,
    duckdb_path: Path | None = None,
    settings: PgSettings | None = None,
    keep: int | None = None,
    model_ids: Sequence[str] | None = None,
    lock_timeout_s: float = 120.0,
    progress: bool = False,
) -> PublishResult:
    """Publish the current DuckDB models to Postgres serving. Raises :class:`PgUnavailable` (Postgres down,
    wrong password...) or :class:`PublishError`; either way the previous current models stay served.
    ``progress``: a bar of the models copied on stderr, when it is a terminal."""
    import duckdb
    from tqdm import tqdm

    started = time.perf_counter()
    settings = settings or PgSettings.from_env()
    keep = default_models_to_keep() if keep is None else keep
    duck = _open_warehouse(resolve_duckdb_path(duckdb_path))
    result = PublishResult()
    conn = None
    try:
        models = read_current_models(duck, model_ids)
        if not models:
            raise PublishError(f"no current model in {REGISTRY_TABLE}: nothing to publish")

        conn = connect(settings)
        _lock(conn, lock_timeout_s)
        ensure_schema(conn)
        result.cleaned_pending = _clean_pending(conn)

        served = _served(conn, [m["model_id"] for m in models])
        to_copy = []
        for model in models:
            status, n_rows = served.get(model["model_id"], (None, None))
            if (
                model["n_recommendations"] == 0
            ):  # serving it would leave widgets with nothing: keep the old one
                result.skipped_empty.append(model["model_id"])
            elif status in ("current", "stale") and n_rows == model["n_recommendations"]:
                result.reused.append(model["model_id"])
                if status == "stale":
                    result.activated.append(model["model_id"])
            else:
                if status is not None:  # served with other rows: replace it (never the current one in place)
                    if status == "current":
                        raise PublishError(
                            f"model {model['model_id']} is current in serving with {n_rows} rows but has "
                            f"{model['n_recommendations']} in DuckDB: model ids must be immutable"
                        )
                    _retire(conn, [model["model_id"]])
                to_copy.append(model)

        if to_copy:
            copy_started = time.perf_counter()
            attach_postgres(duck, settings)
            bar = tqdm(
                to_copy, desc="models copied", unit="model", file=sys.stderr, leave=False,
                disable=None if progress else True,
            )
            for i, model in enumerate(bar):
                _insert_pending(conn, model)
                try:
                    duck.execute("begin")
                    _copy_rows(duck, model)
                    duck.execute("commit")
                except duckdb.Error as exc:
                    duck.execute("rollback")
                    first = str(exc).splitlines()[0]
                    if settings.password:
                        first = first.replace(settings.password, "***")
                    raise PublishError(f"copying model {model['model_id']} failed: {first}") from None
                with conn.cursor() as cur:
                    cur.execute(
                        f"select count(*) from {SCHEMA}.recommendations where model_id = %s",
                        (model["model_id"],),
                    )
                    (n_pg,) = cur.fetchone()
                    if n_pg != model["n_recommendations"]:
                        raise PublishError(
                            f"model {model['model_id']}: {n_pg} rows in serving, "
                            f"{model['n_recommendations']} "
                            "in DuckDB"
                        )
                    cur.execute(
                        f"update {SCHEMA}.models set n_recommendations = %s where model_id = %s",
                        (n_pg, model["model_id"]),
                    )
                conn.commit()
                result.copied.append(model["model_id"])
                result.rows_copied += n_pg
                if i == 0:
                    _fault("mid_copy")
            result.copy_seconds = time.perf_counter() - copy_started

        _fault("before_flip")
        to_activate = result.copied + result.activated
        flip_started = time.perf_counter()
        if to_activate:
            if result.copied:  # fresh statistics, so the read path plans an index scan from the first read
                with conn.cursor() as cur:
                    cur.execute(f"analyze {SCHEMA}.recommendations")
                conn.commit()
            _flip(conn, to_activate)
        result.activated = to_activate
        result.flip_seconds = time.perf_counter() - flip_started
        result.deleted = _retain(conn, keep)
    finally:
        duck.close()
        if conn is not None:
            conn.close()  # ends the session: releases the advisory lock
    result.seconds = time.perf_counter() - started
    return result


def _retire(conn, model_ids: list[str]) -> None:  # noqa: ANN001
    with conn.cursor() as cur:
        cur.execute(f"delete from {SCHEMA}.recommendations where model_id = any(%s)", (model_ids,))
        cur.execute(f"delete from {SCHEMA}.models where model_id = any(%s)", (model_ids,))
    conn.commit()


# ---------------------------------------------------------------------------------------------- CLI verb
def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "Copy the current models and their recommendations from the DuckDB warehouse into the Postgres "
        "serving "
        "schema and switch widgets to them atomically. Connection from ARTICLE_RECS_PG_HOST, _PORT, _USER, "
        "_PASSWORD, _DATABASE."
    )
    parser.add_argument(
        "--duckdb",
        type=Path,
        default=None,
        help=DUCKDB_PATH_HELP,
    )
    parser.add_argument(
        "--keep",
        type=int,
        default=None,
        help="models kept per (site, strategy), current included "
        "(default: $ARTICLE_RECS_MODELS_TO_KEEP or the dbt var article_recs__models_to_keep)",
    )
    parser.add_argument(
        "--model-id",
        action="append",
        dest="model_ids",
        default=None,
        help="publish these models instead of the current ones (repeatable)",
    )
    parser.add_argument(
        "--connect-timeout",
        type=int,
        default=None,
        help="seconds to wait for Postgres (default: $ARTICLE_RECS_PG_CONNECT_TIMEOUT or 5)",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


def run(args: argparse.Namespace) -> int:
    import psycopg2

    settings = PgSettings.from_env(connect_timeout=args.connect_timeout)
    try:
        result = publish(
            duckdb_path=args.duckdb, settings=settings, keep=args.keep, model_ids=args.model_ids,
            progress=not args.quiet,
        )
    except psycopg2.Error as exc:  # the server went away mid-publish, or refused a statement
        reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        print(
            f"{PROG}: error: {settings.describe()}: {reason} (the previous current models are still served)",
            file=sys.stderr,
        )
        return exit_codes.FAILED
    except PgUnavailable as exc:  # its message says what is wrong: down, wrong password, no database
        print(f"{PROG}: error: {exc}; nothing was published", file=sys.stderr)
        return exit_codes.UNAVAILABLE
    except PublishError as exc:
        print(f"{PROG}: error: {exc} (the previous current models are still served)", file=sys.stderr)
        return exit_codes.FAILED
    print(result.summary(settings))
    return exit_codes.OK


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=PROG)
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())

"""The serving HTTP API article widgets call (``make serve``; OpenAPI docs at ``/docs``).

It reads only the PostgreSQL ``serving`` schema that ``article-recs publish`` writes (:mod:`.schema`), through
an async psycopg 3 connection pool, and only models whose status is ``current``: each list is read by one
statement joining ``serving.models`` to ``serving.recommendations``, so a publish that flips models while a
widget reads gives the old list or the new one, never a mix or nothing.

Endpoints (``/v1``):

- ``GET /v1/sites/{site}/articles/{article_id}/related?n=10&strategy=&domain_userid=``: the current model's
  related articles. The strategy is the ``strategy`` parameter, else the reader's A/B arm when
  ``domain_userid`` is given, else the site's largest arm. An article without a list gets the fallback
  strategy's list (``article_recs__serving_fallback_strategy``, popularity), and the response says so.
- ``GET /v1/sites/{site}/readers/{domain_userid}/recommendations?n=10&recent=a1,a2``: online
  recommendations: the reader's own list merged (weighted reciprocal-rank fusion) with the related lists of
  the articles they just read (``recent``, newest first, weighted by recency), without what they read,
  padded with the fallback list.
- ``GET /v1/sites/{site}/popular?n=10``, ``GET /v1/models``, ``GET /healthz``; ``GET /demo`` (a demo widget).

Every list response carries ``model_id``, ``strategy``, ``arm`` and a fresh ``rec_id`` (a UUID) that the
widget sends back in its ``rec_impression`` and ``rec_click`` events (``tracking/iglu``).

Errors are JSON ``{"error": code, "message": text}``: bad input 400, unknown site or strategy 404, PostgreSQL
unreachable 503 (naming host, port and the cause; never a stack trace). The pool reconnects in the
background, so the API answers again as soon as PostgreSQL is back, without a restart.

Settings (environment): the ``ARTICLE_RECS_PG_*`` connection variables (:mod:`.connection`),
``ARTICLE_RECS_API_POOL_SIZE`` (8), ``ARTICLE_RECS_API_POOL_TIMEOUT`` (1.0 s to wait for a connection before
answering 503), ``ARTICLE_RECS_AB_ARMS`` (JSON, overrides the dbt var; :mod:`.arms`).
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import sys
import time
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Annotated, Any

import orjson
import psycopg
from fastapi import FastAPI, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, Response
from psycopg_pool import AsyncConnectionPool, PoolTimeout
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from article_recs.serving import arms as arms_module
from article_recs.serving.connection import PgSettings, _first_line_reason
from article_recs.serving.schema import SCHEMA

LOG = logging.getLogger("article_recs.serving.api")
API_VERSION = "1"
MAX_N = 50
DEFAULT_N = 10
MAX_RECENT = 20
#: reciprocal-rank fusion constant of the online recommendations: score += weight / (RRF_K + rank)
RRF_K = 10
FALLBACK_VAR = "article_recs__serving_fallback_strategy"
SITE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$"
ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.:~-]{0,127}$"
_ID_RE = re.compile(ID_PATTERN)

# ---------------------------------------------------------------------------------------------- SQL
#: One current model's list for one source (left join: a model without a row for the source still answers,
#: so "no such article" and "no such model" are told apart in one statement).
LIST_SQL = f"""
select models.model_id, models.strategy, recs.rank, recs.recommended_article_id, recs.score
from {SCHEMA}.models as models
left join {SCHEMA}.recommendations as recs
    on recs.model_id = models.model_id
    and recs.source_entity_type = %(entity_type)s
    and recs.source_entity_id = %(entity_id)s
    and recs.rank <= %(n)s
where models.site_id = %(site_id)s and models.strategy = %(strategy)s and models.status = 'current'
order by recs.rank
"""

#: Everything the online recommendations merge, in one statement (one snapshot): the reader's list and the
#: related lists of the recent articles from the arm's model, and the fallback model's default list. One
#: index scan of recommendations_pkey per branch (an OR across them would scan the table).
ONLINE_SQL = f"""
with current_models as (
    select model_id, strategy from {SCHEMA}.models
    where site_id = %(site_id)s and status = 'current' and strategy in (%(strategy)s, %(fallback)s)
)
select models.model_id, models.strategy, recs.source_entity_type, recs.source_entity_id, recs.rank,
    recs.recommended_article_id, recs.score
from current_models as models
cross join lateral (
    select r.source_entity_type, r.source_entity_id, r.rank, r.recommended_article_id, r.score
    from {SCHEMA}.recommendations as r
    where models.strategy = %(strategy)s and r.model_id = models.model_id
        and r.source_entity_type = 'reader' and r.source_entity_id = %(reader)s
    union all
    select r.source_entity_type, r.source_entity_id, r.rank, r.recommended_article_id, r.score
    from {SCHEMA}.recommendations as r
    where models.strategy = %(strategy)s and r.model_id = models.model_id
        and r.source_entity_type = 'article' and r.source_entity_id = any(%(recent)s)
    union all
    select r.source_entity_type, r.source_entity_id, r.rank, r.recommended_article_id, r.score
    from {SCHEMA}.recommendations as r
    where models.strategy = %(fallback)s and r.model_id = models.model_id
        and r.source_entity_type = 'default' and r.source_entity_id = 'default' and r.rank <= %(fallback_n)s
) as recs
order by recs.source_entity_type, recs.source_entity_id, recs.rank
"""

SITE_MODELS_SQL = f"""
select strategy, model_id from {SCHEMA}.models where site_id = %(site_id)s and status = 'current'
order by strategy
"""

MODELS_SQL = f"""
select site_id, strategy, model_id, run_id, trained_at, train_window_start, train_window_end,
    n_interactions, n_readers, n_articles, n_recommendations, published_at, activated_at, registry
from {SCHEMA}.models where status = 'current'
order by site_id, strategy
"""

HEALTH_SQL = f"""
select site_id, strategy, model_id,
    extract(epoch from (now() at time zone 'utc') - trained_at) as trained_age_s,
    extract(epoch from now() - activated_at) as current_for_s
from {SCHEMA}.models where status = 'current'
order by site_id, strategy
"""


# ---------------------------------------------------------------------------------------------- errors
class ApiError(Exception):
    def __init__(self, status: int, error: str, message: str, **extra: Any):
        super().__init__(message)
        self.status, self.error, self.message, self.extra = status, error, message, extra


class Unavailable(Exception):
    """PostgreSQL cannot answer: 503."""


def _json(payload: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(
        orjson.dumps(payload, option=orjson.OPT_NON_STR_KEYS),
        status_code=status,
        media_type="application/json",
        headers=headers,
    )


def _error(status: int, error: str, message: str, **extra: Any) -> Response:
    headers = {"Retry-After": "5", "Cache-Control": "no-store"} if status == 503 else None
    return _json({"error": error, "message": message, **extra}, status, headers)


# ---------------------------------------------------------------------------------------------- models (docs)
class Item(BaseModel):
    article_id: str
    rank: int
    score: float | None = None
    source: str | None = None


class ListResponse(BaseModel):
    site_id: str
    article_id: str | None = None  # related
    domain_userid: str | None = None  # online recommendations
    strategy: str
    model_id: str
    rec_id: str
    arm: str | None = None
    fallback: bool = False
    fallback_reason: str | None = None
    requested_strategy: str | None = None  # related, when the fallback answered
    fallback_model_id: str | None = None  # online: the model of the items that padded the list
    recent: list[str] | None = None  # online: the recent reads, as understood
    sources: dict[str, Any] | None = None  # online: reader_list, recent_lists, fallback_items
    n: int
    items: list[Item]


class ErrorResponse(BaseModel):
    error: str
    message: str


ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorResponse, "description": "bad input (n out of range, malformed id)"},
    404: {"model": ErrorResponse, "description": "unknown site or strategy"},
    503: {"model": ErrorResponse, "description": "PostgreSQL unavailable"},
}


# ---------------------------------------------------------------------------------------------- parameters
Site = Annotated[str, Path(pattern=SITE_PATTERN, description="site id, as in seeds/sites.csv")]
ArticleId = Annotated[str, Path(pattern=ID_PATTERN, description="article id (from the article URL)")]
ReaderId = Annotated[str, Path(pattern=ID_PATTERN, description="Snowplow domain_userid")]
N = Annotated[int, Query(ge=1, le=MAX_N, description=f"list length, 1..{MAX_N}")]
Strategy = Annotated[
    str | None, Query(pattern=SITE_PATTERN, description="a strategy with a current model (default: arm)")
]


# ---------------------------------------------------------------------------------------------- the app
@dataclass
class ApiConfig:
    settings: PgSettings = field(default_factory=PgSettings.from_env)
    arms: arms_module.Arms = field(default_factory=arms_module.load_arms)
    fallback_strategy: str = "popularity"
    pool_size: int = 8
    pool_timeout: float = 1.0

    @classmethod
    def from_env(cls) -> ApiConfig:
        fallback = os.environ.get("ARTICLE_RECS_SERVING_FALLBACK") or arms_module.project_var(FALLBACK_VAR)
        return cls(
            fallback_strategy=str(fallback or "popularity"),
            pool_size=int(os.environ.get("ARTICLE_RECS_API_POOL_SIZE") or 8),
            pool_timeout=float(os.environ.get("ARTICLE_RECS_API_POOL_TIMEOUT") or 1.0),
        )


class Store:
    """The pool and the queries, turning connection failures into :class:`Unavailable`."""

    def __init__(self, config: ApiConfig):
        self.config = config
        params = config.settings.libpq_params() | {"application_name": "article-recs-api"}
        self.conninfo = " ".join(f"{k}={_quote(v)}" for k, v in params.items())
        self.pool = AsyncConnectionPool(
            self.conninfo,
            min_size=min(2, config.pool_size),
            max_size=config.pool_size,
            timeout=config.pool_timeout,
            kwargs={"autocommit": True},
            open=False,
            name="article-recs-api",
        )
        self._cause: tuple[float, str] = (0.0, "")

    async def open(self) -> None:
        await self.pool.open(wait=False)

    async def close(self) -> None:
        await self.pool.close(timeout=2)

    async def fetch(self, sql: str, params: dict[str, Any]) -> list[tuple]:
        """Rows of one statement. A connection that broke (PostgreSQL restarted) is retried once on a fresh
        one after the pool checks its idle connections; no connection within the pool timeout: 503."""
        for attempt in (1, 2):
            try:
                async with self.pool.connection() as conn, conn.cursor() as cur:
                    await cur.execute(sql, params)
                    return await cur.fetchall()
            except PoolTimeout:
                raise Unavailable(await self._unavailable_message()) from None
            except psycopg.errors.UndefinedTable:
                raise Unavailable(
                    f"{self.config.settings.describe()} has no {SCHEMA} schema yet: "
                    "run `article-recs publish`"
                ) from None
            except (psycopg.OperationalError, psycopg.InterfaceError) as exc:
                if attempt == 2:
                    raise Unavailable(
                        f"{self.config.settings.describe()} is unavailable: "
                        f"{_first_line_reason(exc, self.config.settings)}"
                    ) from None
                await self.pool.check()
        raise AssertionError("unreachable")

    async def _unavailable_message(self) -> str:
        """Why no connection came: one direct connection attempt (at most every 5 s) gives the cause."""
        at, cause = self._cause
        if time.monotonic() - at > 5:
            try:
                conn = await psycopg.AsyncConnection.connect(self.conninfo, connect_timeout=2)
                await conn.close()
                cause = f"no free connection within {self.config.pool_timeout:g}s (server busy)"
            except Exception as exc:  # noqa: BLE001 - any failure is the cause we report
                cause = _first_line_reason(exc, self.config.settings)
            self._cause = (time.monotonic(), cause)
        return f"{self.config.settings.describe()} is unavailable: {cause}"


def _quote(value: str) -> str:
    if value and not re.search(r"[\s'\\]", value):
        return value
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def create_app(config: ApiConfig | None = None) -> FastAPI:
    """The FastAPI application (``uvicorn --factory article_recs.serving.api:create_app``)."""
    config = config or ApiConfig.from_env()
    store = Store(config)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await store.open()  # does not wait for PostgreSQL: the API starts (and answers 503) while it is down
        try:
            yield
        finally:
            await store.close()

    app = FastAPI(
        title="article-recs serving API",
        version=API_VERSION,
        description="Related articles, online recommendations and popular lists from the PostgreSQL "
        "`serving` schema (current models only). Widgets send `rec_impression` / `rec_click` events with "
        "the `rec_id` of each list.",
        lifespan=lifespan,
    )
    app.state.store = store

    # ------------------------------------------------------------------ error handlers: always JSON
    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> Response:
        return _error(exc.status, exc.error, exc.message, **exc.extra)

    @app.exception_handler(Unavailable)
    async def _unavailable(request: Request, exc: Unavailable) -> Response:
        return _error(503, "database_unavailable", str(exc))

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        return _error(400, "invalid_request", "; ".join(_describe_validation(e) for e in exc.errors()))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        code = "not_found" if exc.status_code == 404 else "http_error"
        return _error(exc.status_code, code, str(exc.detail))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:  # no stack trace to the client
        LOG.error("unexpected error on %s", request.url.path, exc_info=exc)
        return _error(500, "internal_error", f"unexpected {type(exc).__name__}; see the API log")

    # ------------------------------------------------------------------ helpers
    async def site_models(site: str) -> dict[str, str]:
        rows = await store.fetch(SITE_MODELS_SQL, {"site_id": site})
        return dict(rows)

    async def unknown(site: str, strategy: str) -> ApiError:
        models = await site_models(site)
        if not models:
            message = f"site {site!r} has no current model (run article-recs publish?)"
            return ApiError(404, "unknown_site", message)
        return ApiError(
            404,
            "unknown_strategy",
            f"no current {strategy!r} model on site {site!r}; current strategies: {', '.join(models)}",
        )

    def choose(site: str, strategy: str | None, reader: str | None) -> tuple[str, str | None]:
        """(strategy, arm): the explicit strategy, else the reader's arm, else the site's largest arm."""
        if strategy:
            return strategy, None
        try:
            shares = arms_module.shares_for(config.arms, site)
        except arms_module.ArmsError:  # no arms for this site and no 'default' entry: the fallback list
            return config.fallback_strategy, None
        if reader:
            arm = arms_module.assign(shares, site, reader)
            return arm, arm
        return arms_module.default_strategy(shares), None

    async def one_list(site: str, strategy: str, entity_type: str, entity_id: str, n: int) -> tuple:
        rows = await store.fetch(
            LIST_SQL,
            {
                "site_id": site,
                "strategy": strategy,
                "entity_type": entity_type,
                "entity_id": entity_id,
                "n": n,
            },
        )
        if not rows:
            return None, []
        items = [{"article_id": r[3], "rank": r[2], "score": r[4]} for r in rows if r[2] is not None]
        return rows[0][0], items

    async def popular(site: str, n: int, exclude: Sequence[str] = ()) -> tuple[str | None, list[dict]]:
        model_id, items = await one_list(
            site, config.fallback_strategy, "default", "default", n + len(exclude)
        )
        skip = set(exclude)
        kept = [i for i in items if i["article_id"] not in skip][:n]
        for rank, item in enumerate(kept, start=1):
            item["rank"] = rank
        return model_id, kept

    # ------------------------------------------------------------------ endpoints
    @app.get(
        "/v1/sites/{site}/articles/{article_id}/related",
        response_model=ListResponse,
        responses=ERRORS,
        summary="Related articles of an article (current model; fallback list for unknown articles)",
    )
    async def related(
        site: Site,
        article_id: ArticleId,
        n: N = DEFAULT_N,
        strategy: Strategy = None,
        domain_userid: Annotated[str | None, Query(pattern=ID_PATTERN)] = None,
    ) -> Response:
        chosen, arm = choose(site, strategy, domain_userid)
        model_id, items = await one_list(site, chosen, "article", article_id, n)
        body: dict[str, Any] = {"site_id": site, "article_id": article_id, "arm": arm}
        if model_id is None and strategy:
            raise await unknown(site, chosen)
        if items:
            body |= {"strategy": chosen, "model_id": model_id, "fallback": False, "fallback_reason": None}
        else:
            fb_model, items = await popular(site, n, exclude=[article_id])
            if fb_model is None:
                if model_id is None and not await site_models(site):
                    raise await unknown(site, chosen)
                raise ApiError(
                    404,
                    "no_recommendations",
                    f"no {chosen} list for article {article_id!r} on site {site!r} and no current "
                    f"{config.fallback_strategy!r} model to fall back on",
                )
            reason = (
                f"no related list for article {article_id!r} in the current {chosen} model"
                if model_id
                else f"no current {chosen!r} model on site {site!r}"
            )
            body |= {
                "strategy": config.fallback_strategy,
                "model_id": fb_model,
                "requested_strategy": chosen,
                "fallback": True,
                "fallback_reason": reason,
            }
        body |= {"rec_id": str(uuid.uuid4()), "n": len(items), "items": items}
        return _json(body)

    @app.get(
        "/v1/sites/{site}/readers/{domain_userid}/recommendations",
        response_model=ListResponse,
        responses=ERRORS,
        summary="Online recommendations: the reader's list merged with the lists of what they just read",
    )
    async def reader_recommendations(
        site: Site,
        domain_userid: ReaderId,
        n: N = DEFAULT_N,
        recent: Annotated[
            str | None,
            Query(description=f"articles just read, newest first, comma-separated (at most {MAX_RECENT})"),
        ] = None,
        strategy: Strategy = None,
    ) -> Response:
        recent_ids = _parse_recent(recent)
        chosen, arm = choose(site, strategy, domain_userid)
        rows = await store.fetch(
            ONLINE_SQL,
            {
                "site_id": site,
                "strategy": chosen,
                "reader": domain_userid,
                "recent": recent_ids,
                "fallback": config.fallback_strategy,
                "fallback_n": n + len(recent_ids),
            },
        )
        merged, model_id, fb_model, sources = merge_online(rows, chosen, recent_ids, n)
        if not merged and model_id is None and fb_model is None:
            models = await site_models(site)
            if not models:
                raise ApiError(404, "unknown_site", f"site {site!r} has no current model")
            if strategy and strategy not in models:
                raise await unknown(site, strategy)
        if model_id is None and strategy:
            models = await site_models(site)
            if strategy not in models:
                raise await unknown(site, strategy)
            model_id = models[strategy]
        if model_id is None:  # the arm's strategy has no current model here: the fallback list only
            models = await site_models(site)
            model_id = models.get(chosen)
        if not merged:  # nothing for this reader, nothing just read, and no fallback list on the site
            raise ApiError(
                404,
                "no_recommendations",
                f"no {chosen} list for reader {domain_userid!r} or the recent articles on site {site!r}, "
                f"and no current {config.fallback_strategy!r} model to fall back on",
            )
        fallback = sources["reader_list"] is False and sources["recent_lists"] == 0
        body = {
            "site_id": site,
            "domain_userid": domain_userid,
            "arm": arm,
            "strategy": chosen if model_id else config.fallback_strategy,
            "model_id": model_id or fb_model,
            "fallback_model_id": fb_model if sources["fallback_items"] else None,
            "fallback": fallback,
            "fallback_reason": (
                "no list for this reader or the recent articles: the fallback list" if fallback else None
            ),
            "recent": recent_ids,
            "sources": sources,
            "rec_id": str(uuid.uuid4()),
            "n": len(merged),
            "items": merged,
        }
        return _json(body)

    @app.get(
        "/v1/sites/{site}/popular",
        response_model=ListResponse,
        responses=ERRORS,
        summary="The site's fallback (popularity) list",
    )
    async def popular_list(site: Site, n: N = DEFAULT_N) -> Response:
        model_id, items = await popular(site, n)
        if model_id is None:
            raise await unknown(site, config.fallback_strategy)
        return _json(
            {
                "site_id": site,
                "strategy": config.fallback_strategy,
                "model_id": model_id,
                "arm": None,
                "fallback": False,
                "fallback_reason": None,
                "rec_id": str(uuid.uuid4()),
                "n": len(items),
                "items": items,
            }
        )

    @app.get("/v1/models", responses={503: ERRORS[503]}, summary="Current model per site and strategy")
    async def models() -> Response:
        rows = await store.fetch(MODELS_SQL, {})
        out = []
        for row in rows:
            (site, strategy, model_id, run_id, trained_at, w_start, w_end, n_int, n_readers, n_articles,
             n_recs, published_at, activated_at, registry) = row  # fmt: skip
            out.append(
                {
                    "site_id": site,
                    "strategy": strategy,
                    "model_id": model_id,
                    "run_id": run_id,
                    "trained_at": _iso(trained_at),
                    "train_window_start": _iso(w_start),
                    "train_window_end": _iso(w_end),
                    "n_interactions": n_int,
                    "n_readers": n_readers,
                    "n_articles": n_articles,
                    "n_recommendations": n_recs,
                    "published_at": _iso(published_at),
                    "activated_at": _iso(activated_at),
                    "metrics": headline_metrics(registry),
                }
            )
        return _json({"models": out, "arms": config.arms, "fallback_strategy": config.fallback_strategy})

    @app.get("/healthz", responses={503: ERRORS[503]}, summary="Database reachable? Models' age")
    async def healthz() -> Response:
        rows = await store.fetch(HEALTH_SQL, {})
        models = [
            {
                "site_id": r[0],
                "strategy": r[1],
                "model_id": r[2],
                "trained_age_hours": None if r[3] is None else round(float(r[3]) / 3600, 2),
                "current_for_hours": None if r[4] is None else round(float(r[4]) / 3600, 2),
            }
            for r in rows
        ]
        ages = [m["trained_age_hours"] for m in models if m["trained_age_hours"] is not None]
        return _json(
            {
                "status": "ok" if models else "no_models",
                "database": "reachable",
                "postgres": config.settings.where,
                "current_models": len(models),
                "oldest_model_age_hours": max(ages) if ages else None,
                "models": models,
            },
            headers={"Cache-Control": "no-store"},
        )

    from article_recs.serving.demo import DEMO_HTML, DEMO_JS

    @app.get("/demo", response_class=HTMLResponse, summary="Demo widget page", include_in_schema=False)
    async def demo() -> Response:
        return Response(DEMO_HTML, media_type="text/html; charset=utf-8", headers=_DEMO_HEADERS)

    @app.get("/demo/demo.js", include_in_schema=False)
    async def demo_js() -> Response:
        return Response(DEMO_JS, media_type="text/javascript; charset=utf-8", headers=_DEMO_HEADERS)

    return app


_DEMO_HEADERS = {
    # no inline script, no third-party anything: values from the API can only ever become text
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
}


def _iso(value: Any) -> str | None:
    return None if value is None else value.isoformat()


def headline_metrics(registry: Any) -> dict[str, Any]:
    """The evaluation metrics of a registry row (``eval_k``, ``related_*``, ``reader_*``), whatever the
    strategy reports: the registry's columns are data, not a fixed list."""
    if not isinstance(registry, dict):
        return {}
    return {
        key: value
        for key, value in sorted(registry.items())
        if (key == "eval_k" or key.startswith(("related_", "reader_")))
        and (value is None or isinstance(value, int | float))
    }


def _parse_recent(recent: str | None) -> list[str]:
    if recent is None or recent.strip() == "":
        return []
    ids = [part.strip() for part in recent.split(",")]
    if len(ids) > MAX_RECENT:
        raise ApiError(400, "invalid_request", f"recent: at most {MAX_RECENT} article ids (got {len(ids)})")
    bad = [i for i in ids if not _ID_RE.match(i)]
    if bad:
        raise ApiError(
            400, "invalid_request", f"recent: malformed article id {bad[0][:40]!r} (expected {ID_PATTERN})"
        )
    seen: dict[str, None] = {}
    for i in ids:
        seen.setdefault(i, None)
    return list(seen)


def merge_online(
    rows: Sequence[tuple], strategy: str, recent: Sequence[str], n: int
) -> tuple[list[dict], str | None, str | None, dict[str, Any]]:
    """Merge the rows of :data:`ONLINE_SQL`: reader list (weight 1) and recent articles' related lists
    (weight 1 / (1 + i) for the i-th most recent) by weighted reciprocal-rank fusion, without the recent
    articles; then the fallback list fills what is left. Returns (items, model_id, fallback model_id,
    sources)."""
    weight = {a: 1.0 / (1 + i) for i, a in enumerate(recent)}
    exclude = set(recent)
    score: dict[str, float] = {}
    best: dict[str, tuple[int, str]] = {}
    model_id = fb_model = None
    reader_list = False
    recent_lists: set[str] = set()
    fallback_rows: list[tuple] = []
    for mid, _strat, etype, eid, rank, article, _score in rows:
        if etype == "default":
            fb_model = mid
            fallback_rows.append((rank, article))
            continue
        model_id = mid
        if etype == "reader":
            w, source = 1.0, "reader"
            reader_list = True
        else:
            w, source = weight.get(eid, 0.0), f"related:{eid}"
            recent_lists.add(eid)
        if article in exclude:
            continue
        score[article] = score.get(article, 0.0) + w / (RRF_K + rank)
        if article not in best or (rank, source) < best[article]:
            best[article] = (rank, source)
    ordered = sorted(score, key=lambda a: (-score[a], best[a][0], a))[:n]
    items = [
        {"article_id": a, "rank": i, "score": round(score[a], 6), "source": best[a][1]}
        for i, a in enumerate(ordered, start=1)
    ]
    fallback_items = 0
    taken = set(ordered) | exclude
    for _rank, article in sorted(fallback_rows):
        if len(items) >= n:
            break
        if article in taken:
            continue
        taken.add(article)
        items.append({"article_id": article, "rank": len(items) + 1, "score": None, "source": "fallback"})
        fallback_items += 1
    sources = {
        "reader_list": reader_list,
        "recent_lists": len(recent_lists),
        "fallback_items": fallback_items,
    }
    return items, model_id, fb_model, sources


def _describe_validation(error: dict) -> str:
    where = error.get("loc", ())
    name = ".".join(str(part) for part in where[1:]) or "request"
    kind = {"path": "path parameter", "query": "query parameter"}.get(str(where[0]) if where else "", "")
    got = error.get("input")
    got_text = f" (got {str(got)[:40]!r})" if got is not None and not isinstance(got, dict) else ""
    return f"{kind + ' ' if kind else ''}{name}: {error.get('msg', 'invalid')}{got_text}"


# ---------------------------------------------------------------------------------------------- running
def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default=os.environ.get("ARTICLE_RECS_API_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("ARTICLE_RECS_API_PORT") or 8000))
    parser.add_argument(
        "--workers",
        type=int,
        default=int(os.environ.get("ARTICLE_RECS_API_WORKERS") or 1),
        help="uvicorn worker processes (each with its own pool)",
    )
    parser.add_argument("--log-level", default="warning")


def run(args: argparse.Namespace) -> int:
    import uvicorn

    try:
        arms_module.load_arms()  # fail at start, naming the var, on a broken arms configuration
    except arms_module.ArmsError as exc:
        print(f"article-recs serve: {exc}", file=sys.stderr)
        return 2
    print(f"article-recs serve: http://{args.host}:{args.port}/docs, /demo", file=sys.stderr)
    uvicorn.run(
        "article_recs.serving.api:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_level=args.log_level,
        access_log=False,
    )
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m article_recs.serving.api [--host 127.0.0.1] [--port 8000] [--workers 1]``."""
    parser = argparse.ArgumentParser(prog="article-recs serve", description="Run the serving API (uvicorn).")
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())

"""Load benchmark of the serving HTTP API (``make bench`` runs it; a benchmark, not a timed test).

1. publishes ``rows`` recommendation rows (two sites of item-kNN lists plus popularity lists, 1M by default)
   into a database of its own (``<ARTICLE_RECS_PG_DATABASE>_apibench``, dropped and created) the real way
   (DuckDB -> publish -> flip), so it never touches what widgets read;
2. starts the API as ``make serve`` does (uvicorn, ``--workers``) on 127.0.0.1, a free port;
3. for each concurrency level (1, 16, 64 clients): a bounded local client - that many keep-alive HTTP/1.1
   connections on asyncio, requests to random (site, article) ``related`` URLs - sends at most ``requests``
   requests and stops after ``max_seconds`` whichever comes first, after a warm-up; reports requests/s,
   p50/p95/p99/max latency (from the request write to the last body byte), non-200 answers and errors;
4. the same for the online recommendations (``readers/.../recommendations?recent=3 articles``) at 16 clients;
5. stops the API and drops the database.

Loopback only: the client connects to 127.0.0.1 and nothing else. The client is a few lines of asyncio (no
HTTP library, on uvloop when installed) so that on a 2-core machine it takes as little CPU from the server as
it can; it shares the machine with the API and PostgreSQL all the same, which the numbers include.

``python -m article_recs.serving.api_bench [--rows N] [--requests N] [--max-seconds S] [--workers W]`` prints
the result as JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from article_recs.bench.measure import wait_until_quiet
from article_recs.serving.bench import (
    RECS_PER_ARTICLE,
    SITES,
    _drop_database,
    _percentile,
    _recreate_database,
)
from article_recs.serving.connection import PgSettings

LOOPBACK = "127.0.0.1"
LEVELS = (1, 16, 64)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        return sock.getsockname()[1]


async def _load(port: int, paths: Sequence[str], clients: int, requests: int, max_seconds: float) -> dict:
    """``clients`` keep-alive connections sending GETs of ``paths`` (in turn) until ``requests`` are done or
    ``max_seconds`` have passed."""
    counter = itertools.count()
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    errors: list[str] = []
    deadline = time.perf_counter() + max_seconds

    async def client() -> None:
        reader, writer = await asyncio.open_connection(LOOPBACK, port)
        try:
            while True:
                i = next(counter)
                if i >= requests or time.perf_counter() > deadline:
                    return
                path = paths[i % len(paths)]
                request = f"GET {path} HTTP/1.1\r\nHost: {LOOPBACK}\r\nAccept: application/json\r\n\r\n"
                t0 = time.perf_counter()
                writer.write(request.encode())
                status_line = await reader.readline()
                length = 0
                while (line := await reader.readline()) not in (b"\r\n", b""):
                    if line[:15].lower() == b"content-length:":
                        length = int(line[15:])
                await reader.readexactly(length)
                latencies.append((time.perf_counter() - t0) * 1000.0)
                status = int(status_line.split()[1])
                statuses[status] = statuses.get(status, 0) + 1
        except (OSError, asyncio.IncompleteReadError, ValueError, IndexError) as exc:
            errors.append(f"{type(exc).__name__}: {exc}"[:200])
        finally:
            writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    wall = time.perf_counter() - started
    latencies.sort()
    done = len(latencies)
    return {
        "clients": clients,
        "requests": done,
        "seconds": round(wall, 2),
        "requests_per_s": round(done / wall, 1) if wall else None,
        "p50_ms": round(_percentile(latencies, 0.50), 2),
        "p95_ms": round(_percentile(latencies, 0.95), 2),
        "p99_ms": round(_percentile(latencies, 0.99), 2),
        "max_ms": round(latencies[-1], 2) if latencies else None,
        "mean_ms": round(statistics.fmean(latencies), 2) if latencies else None,
        "non_200": sum(n for s, n in statuses.items() if s != 200),
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "errors": len(errors),
        "first_error": errors[0] if errors else None,
    }


def _run(coro):  # noqa: ANN001, ANN202 - a coroutine and its result
    """Run the client on uvloop when it is installed (uvicorn's own loop: less CPU taken from the server)."""
    try:
        import uvloop

        factory = uvloop.new_event_loop
    except ImportError:
        factory = None
    with asyncio.Runner(loop_factory=factory) as runner:
        return runner.run(coro)


def _start_api(settings: PgSettings, port: int, workers: int) -> subprocess.Popen:
    env = dict(os.environ)
    env.update(
        ARTICLE_RECS_PG_HOST=settings.host,
        ARTICLE_RECS_PG_PORT=str(settings.port),
        ARTICLE_RECS_PG_USER=settings.user,
        ARTICLE_RECS_PG_PASSWORD=settings.password,
        ARTICLE_RECS_PG_DATABASE=settings.database,
        ARTICLE_RECS_AB_ARMS=json.dumps({"default": {"item_knn": 1}}),
    )
    log = tempfile.TemporaryFile(mode="w+")  # the API's output, read only if it dies (a pipe could fill up)
    proc = subprocess.Popen(
        [sys.executable, "-m", "article_recs.serving.api", "--host", LOOPBACK, "--port", str(port),
         "--workers", str(workers)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            log.seek(0)
            raise RuntimeError(f"the API exited: {log.read()[-2000:]}")
        try:
            with socket.create_connection((LOOPBACK, port), timeout=1) as sock:
                sock.sendall(
                    f"GET /healthz HTTP/1.1\r\nHost: {LOOPBACK}\r\nConnection: close\r\n\r\n".encode()
                )
                if sock.recv(64).startswith(b"HTTP/1.1 200"):
                    return proc
        except OSError:
            pass
        time.sleep(0.2)
    proc.kill()
    raise RuntimeError("the API did not answer /healthz within 60 s")


def bench_api(
    rows: int = 1_000_000,
    requests: int = 20_000,
    max_seconds: float = 20.0,
    *,
    workers: int = 1,
    levels: Sequence[int] = LEVELS,
    settings: PgSettings | None = None,
    seed: int = 7,
    drop_after: bool = True,
    wait_quiet_s: float = 0.0,
    quiet_load: float = 2.0,
) -> dict:
    from article_recs.serving.publish import publish
    from article_recs.serving.synthetic import SyntheticModel, write_models

    base = settings or PgSettings.from_env()
    database = f"{base.database}_apibench"
    bench_settings = base.with_(database=database)
    articles_per_site = max(1, rows // (len(SITES) * RECS_PER_ARTICLE))
    models = [
        SyntheticModel(f"bench-knn-{site}", site, "item_knn", articles_per_site, RECS_PER_ARTICLE, seed=i)
        for i, site in enumerate(SITES)
    ] + [SyntheticModel(f"bench-pop-{site}", site, "popularity", articles_per_site, 50) for site in SITES]
    _recreate_database(base, database)
    with tempfile.TemporaryDirectory(prefix="article_recs_apibench_") as tmp:
        duckdb_path = Path(tmp) / "bench.duckdb"
        write_models(duckdb_path, models, current=[m.model_id for m in models])
        published = publish(duckdb_path=duckdb_path, settings=bench_settings, keep=2)

    rng = random.Random(seed)
    related = [
        f"/v1/sites/{rng.choice(SITES)}/articles/{rng.randrange(articles_per_site)}/related?n=10"
        for _ in range(20_000)
    ]
    online = [
        f"/v1/sites/{rng.choice(SITES)}/readers/reader-{rng.randrange(10**6)}/recommendations?n=10&recent="
        + ",".join(str(rng.randrange(articles_per_site)) for _ in range(3))
        for _ in range(20_000)
    ]
    port = _free_port()
    proc = _start_api(bench_settings, port, workers)
    results: dict = {
        "benchmark": "serving_api",
        "rows": published.rows_copied,
        "workers": workers,
        "requests_per_level": requests,
        "max_seconds_per_level": max_seconds,
        "cpu_count": os.cpu_count(),
        "load_before": [round(x, 2) for x in os.getloadavg()],
    }
    try:
        _run(_load(port, related, 16, 2000, 10))  # warm-up: pool, caches, prepared statements
        results["related"] = []
        for clients in levels:
            load = wait_until_quiet(quiet_load, wait_quiet_s, lambda m: print(m, file=sys.stderr))
            results["related"].append(_run(_load(port, related, clients, requests, max_seconds)))
            results["related"][-1]["load_1min"] = round(load[0], 2)
        load = wait_until_quiet(quiet_load, wait_quiet_s, lambda m: print(m, file=sys.stderr))
        results["online"] = [_run(_load(port, online, 16, requests, max_seconds))]
        results["online"][-1]["load_1min"] = round(load[0], 2)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
        if drop_after:
            _drop_database(base, database)
    results["load_after"] = [round(x, 2) for x in os.getloadavg()]
    at16 = next((r for r in results["related"] if r["clients"] == 16), None)
    if at16:
        results["target"] = "related at 16 clients: >= 1,000 requests/s and p99 <= 25 ms"
        results["target_met"] = bool(
            at16["requests_per_s"] >= 1000
            and at16["p99_ms"] <= 25
            and not at16["non_200"]
            and not at16["errors"]
        )
    return results


def format_table(result: dict) -> str:
    """A Markdown table of the result."""
    lines = [
        "| endpoint | clients | requests | req/s | p50 ms | p95 ms | p99 ms | max ms | non-200/err | load |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for name in ("related", "online"):
        for r in result.get(name, []):
            lines.append(
                f"| {name} | {r['clients']} | {r['requests']:,} | {r['requests_per_s']:,.0f} | "
                f"{r['p50_ms']} | {r['p95_ms']} | {r['p99_ms']} | {r['max_ms']} | "
                f"{r['non_200']}/{r['errors']} | {r.get('load_1min', '')} |"
            )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m article_recs.serving.api_bench", description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=20_000, help="at most this many per level")
    parser.add_argument("--max-seconds", type=float, default=20.0, help="and at most this long per level")
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    parser.add_argument("--keep", action="store_true", help="keep the benchmark database")
    parser.add_argument(
        "--wait-quiet", type=float, default=0.0, help="before each level, wait up to S s for load < 2"
    )
    args = parser.parse_args(argv)
    result = bench_api(
        args.rows,
        args.requests,
        args.max_seconds,
        workers=args.workers,
        drop_after=not args.keep,
        wait_quiet_s=args.wait_quiet,
    )
    print(format_table(result), file=sys.stderr)
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

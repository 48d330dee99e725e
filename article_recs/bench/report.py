"""The results as Markdown (the README pastes it): the machine, one table of medians against the targets,
and, per tier, where the time goes (dbt's per-model timings, DuckDB's profile of the slowest model)."""

from __future__ import annotations

import json
from pathlib import Path

TARGET_TIER = "10m"  # the build/scan and memory targets are stated for 10M events
NOTES = (
    "- Full build: `dbt build` (seeds, models, data tests, unit tests) into an empty DuckDB file, after "
    "one `dbt parse`, so every run starts from a partial parse. No ground truth, as in production: the "
    "oracle evaluation model is empty.",
    "- Incremental: the history is built once (not measured); each run starts from a copy of that "
    "warehouse, the next 2 hours of files land, and `dbt build --exclude-resource-type unit_test` runs "
    "(what the two-hourly Dagster job runs; unit tests run in CI): the whole project, whose recommenders "
    "retrain on up to article_recs__training_window_days (28) of reads, so their cost grows with history "
    "up to that window, or the Snowplow models alone (staging, intermediate, marts/core, marts/monitoring).",
    "- CPU = user + sys of the measured process and the processes it waited for. Peak memory = the "
    "larger of the kernel's max RSS of the dbt process (DuckDB and the Python models run inside it) and "
    "a sampled sum over its process tree.",
    "- ALS: the dbt Python model's `model(dbt, session)`, called the way dbt calls it in a process of its "
    "own, against bare implicit on the same per-(site, cut) matrices (implicit's threads as configured, BLAS "
    "at 1 thread, as in the wrapper).",
)
VARIANT_LABELS = {
    "project": "`dbt build` (whole project)",
    "snowplow": "`dbt build -s` Snowplow models",
}


def fmt_s(x: float | None) -> str:
    if x is None:
        return "—"
    if x < 1:
        return f"{x * 1000:.0f} ms"
    if x < 100:
        return f"{x:.1f} s"
    return f"{x:.0f} s"


def fmt_ratio(x: float | None) -> str:
    if x is None:
        return "—"
    return f"{x:.2f}×" if x < 10 else f"{x:.0f}×"


def fmt_gib(b: float | None) -> str:
    return "—" if b is None else f"{b / 2**30:.2f} GiB"


def fmt_ms(x: float | None) -> str:
    return "—" if x is None else f"{x:.2f} ms"


def verdict(value: float | None, target: float, cpu_value: float | None = None, loaded: bool = False) -> str:
    """'met' / '**not met**' on the wall value; under load, the CPU-time verdict is added when it differs."""
    if value is None:
        return "not measured"
    ok = value <= target
    text = "met" if ok else "**not met**"
    if loaded and cpu_value is not None and (cpu_value <= target) != ok:
        text += f" (on CPU time: {'met' if cpu_value <= target else 'not met'})"
    return text


def _row(*cells: object) -> str:
    return "| " + " | ".join(str(c) for c in cells) + " |"


def _runs(d: dict | None) -> str:
    if not d or d.get("runs") is None:
        return "—"
    ok, runs = d.get("ok_runs", d["runs"]), d["runs"]
    text = str(runs) if ok == runs else f"{ok} of {runs} ok"
    tests = {
        f
        for s in d.get("samples", [])
        if s.get("extra", {}).get("only_tests_failed")
        for f in s["extra"].get("failed_nodes", [])
    }
    return text + (f" ({len(tests)} tests failed)" if tests else "")


def loaded_info(results: dict) -> tuple[bool, float | None]:
    """Whether any measurement ran with the 1-minute load at or above the quiet threshold, and the highest
    load seen at the start or end of a measurement."""
    threshold = results.get("options", {}).get("quiet_load", 1.0)
    loads: list[float] = []

    def visit(node: object) -> None:
        if isinstance(node, dict):
            if "load_start" in node and "load_end" in node and "wall_s" in node:
                loads.extend([node["load_start"][0], node["load_end"][0]])
            for v in node.values():
                visit(v)
        elif isinstance(node, list):
            for v in node:
                visit(v)

    visit(results.get("tiers", {}))
    visit(results.get("serving", {}))
    top = max(loads) if loads else None
    return (top is not None and top >= threshold), top


def _history_keys(inc: dict) -> list[str]:
    keys = [k for k in inc if k.endswith("d") and k[:-1].isdigit() and isinstance(inc[k], dict)]
    return sorted(keys, key=lambda k: int(k[:-1]))


def _peak(fb: dict) -> float | None:
    values = [x for x in (fb.get("max_rss_bytes"), fb.get("tree_peak_rss_bytes")) if x is not None]
    return max(values) if values else None


def _build_rows(t: dict, name: str, label: str, loaded: bool, results: dict) -> list[str]:
    """Full build, raw scan, their ratio and peak memory of one tier."""
    lines: list[str] = []
    per_window = (t.get("data") or {}).get("lines_per_window", {})
    fb, sc, bvs = t.get("full_build"), t.get("scan"), t.get("build_vs_scan")
    at = " (target at 10M)" if name != TARGET_TIER else ""
    if fb:
        what = f"Full `dbt build` ({per_window.get('full', 0):,} lines)"
        lines.append(_row(what, label, fmt_s(fb["wall_s"]), fmt_s(fb["cpu_s"]), _runs(fb), "", ""))
    if sc:
        what = "DuckDB raw scan (`count(*)`, same `read_csv`): the floor"
        lines.append(
            _row(what, label, fmt_s(sc.get("query_wall_s")), fmt_s(sc.get("query_cpu_s")), _runs(sc), "", "")
        )
    if bvs:
        lines.append(
            _row(
                "Full build ÷ raw scan",
                label,
                fmt_ratio(bvs["wall_ratio"]),
                fmt_ratio(bvs["cpu_ratio"]),
                "",
                f"≤ 4×{at}",
                verdict(bvs["wall_ratio"], 4.0, bvs["cpu_ratio"], loaded),
            )
        )
    if fb:
        peak = _peak(fb)
        limit = t.get("memory_limit", results.get("options", {}).get("memory_limit"))
        what = "Peak memory of the full build (RSS" + (f", DuckDB memory_limit {limit})" if limit else ")")
        lines.append(
            _row(
                what,
                label,
                fmt_gib(peak),
                "",
                _runs(fb),
                f"≤ 4 GiB{at}",
                verdict(None if peak is None else peak / 2**30, 4.0),
            )
        )
    return lines


def _incremental_rows(t: dict, label: str, loaded: bool) -> list[str]:
    """The two-hourly run on each history, per variant, and the ratio of the longest to the shortest."""
    lines: list[str] = []
    inc = t.get("incremental") or {}
    hours = inc.get("increment_hours", 2)
    new_lines = (t.get("data") or {}).get("lines_per_window", {}).get("increment")
    keys = _history_keys(inc)
    for variant, vlabel in VARIANT_LABELS.items():
        if keys and not any(variant in inc[k] or "status" in inc[k] for k in keys):
            continue  # this tier does not run the variant
        for key in keys:
            r = inc[key].get(variant) or {}
            what = f"Incremental {hours} h {vlabel} on {key[:-1]} d of history"
            if "wall_s" not in r or r.get("wall_s") is None:
                status = inc[key].get("status") or r.get("status") or "not measured"
                lines.append(_row(what, label, "—", "—", _runs(r), "≤ 10 s", status))
                continue
            if new_lines is not None and variant == "project" and key == keys[0]:
                what += f" ({new_lines:,} new lines)"
            lines.append(
                _row(
                    what,
                    label,
                    fmt_s(r["wall_s"]),
                    fmt_s(r["cpu_s"]),
                    _runs(r),
                    "≤ 10 s",
                    verdict(r["wall_s"], 10.0, r["cpu_s"], loaded),
                )
            )
        rr = (inc.get("ratios") or {}).get(variant)
        if rr:
            lines.append(
                _row(
                    f"Incremental {vlabel}, {keys[-1][:-1]} d ÷ {keys[0][:-1]} d of history",
                    label,
                    fmt_ratio(rr["wall_ratio"]),
                    fmt_ratio(rr["cpu_ratio"]),
                    "",
                    "≤ 1.3×",
                    verdict(rr["wall_ratio"], 1.3, rr["cpu_ratio"], loaded),
                )
            )
    return lines


def _snowplow_rows(t: dict, label: str, loaded: bool) -> list[str]:
    """The Snowplow models alone on DuckDB and on PostgreSQL: a full build and one more hour (the four
    figures the issue holds against dbt-snowplow-web on Postgres)."""
    lines: list[str] = []
    for warehouse, title in (("duckdb", "DuckDB"), ("postgres", "PostgreSQL")):
        w = (t.get("snowplow") or {}).get(warehouse)
        if w is None:
            continue
        for run, what in (("full", "full build"), ("one_more_hour", "one more hour of events")):
            r = w.get(run) or {"status": w.get("status", "not measured")}
            row = f"Snowplow models only, {what} ({title})"
            target = r.get("target_wall_s")
            if r.get("wall_s") is None:
                lines.append(_row(row, label, "—", "—", _runs(r), "", r.get("status", "not measured")))
                continue
            lines.append(
                _row(
                    row,
                    label,
                    fmt_s(r["wall_s"]),
                    fmt_s(r["cpu_s"]),
                    _runs(r),
                    f"≤ {target:g} s",
                    verdict(r["wall_s"], target, None, loaded)
                    + f" (dbt's own elapsed {fmt_s(r.get('dbt_elapsed_s'))})",
                )
            )
    return lines


def _als_rows(t: dict, label: str, loaded: bool) -> list[str]:
    als = t.get("als") or {}
    if "model_wall_s" not in als:
        status = als.get("status", "—")
        return [_row("ALS model ÷ bare implicit", label, "—", "—", "—", "≤ 1.2×", status)] if als else []
    runs = str(len(als.get("runs", [])))
    nnz = sum(s["interactions"] for s in als.get("sites", {}).values())
    return [
        _row(
            f"ALS dbt Python model `{als.get('model')}` (read, fit, recommend, write)",
            label,
            fmt_s(als["model_wall_s"]),
            fmt_s(als["model_cpu_s"]),
            runs,
            "",
            "",
        ),
        _row(
            f"Bare `implicit` fit + recommend, same matrices ({nnz:,} interactions)",
            label,
            fmt_s(als["bare_wall_s"]),
            fmt_s(als["bare_cpu_s"]),
            runs,
            "",
            "",
        ),
        _row(
            "ALS model ÷ bare implicit",
            label,
            fmt_ratio(als["wall_ratio"]),
            fmt_ratio(als["cpu_ratio"]),
            "",
            "≤ 1.2×",
            verdict(als["wall_ratio"], 1.2, als["cpu_ratio"], loaded),
        ),
    ]


def _serving_rows(sv: dict | None) -> list[str]:
    if sv is None:
        return []
    if "p50_ms" not in sv:
        status = sv.get("status", "not measured")
        return [_row("Serving read path p50 / p95", "PostgreSQL", "—", "—", "—", "", status)]
    what = f"Serving read path p50 / p95 ({sv.get('rows') or 0:,} rows, {sv.get('queries')} queries)"
    return [
        _row(
            what,
            "PostgreSQL",
            f"{fmt_ms(sv['p50_ms'])} / {fmt_ms(sv['p95_ms'])}",
            "",
            str(sv.get("runs")),
            "",
            "index scan" if sv.get("index_used") else "**no index scan**",
        )
    ]


def _api_rows(api: dict | None) -> list[str]:
    if api is None:
        return []
    if not api.get("related"):
        return [_row("Serving API load", "HTTP", "—", "—", "—", "", api.get("status", "not measured"))]
    lines = []
    for endpoint in ("related", "online"):
        for r in api.get(endpoint, []):
            target = verdict_api(r) if endpoint == "related" and r["clients"] == 16 else ""
            lines.append(
                _row(
                    f"Serving API `{endpoint}`, {r['clients']} clients ({r['requests']:,} requests, "
                    f"{api.get('rows') or 0:,} rows): requests/s, p50 / p95 / p99",
                    "HTTP, 127.0.0.1",
                    f"{r['requests_per_s']:,.0f}/s; {fmt_ms(r['p50_ms'])} / {fmt_ms(r['p95_ms'])} / "
                    f"{fmt_ms(r['p99_ms'])}",
                    "",
                    "1",
                    "≥ 1,000/s, p99 ≤ 25 ms" if target else "",
                    target,
                )
            )
    return lines


def table(results: dict, loaded: bool) -> list[str]:
    lines = [
        _row("Measurement", "Tier", "Wall (median)", "CPU user+sys (median)", "Runs", "Target", "Result"),
        _row(*["---"] * 7),
    ]
    for name, t in results.get("tiers", {}).items():
        label = t.get("tier", {}).get("label", name)
        if "status" in t and "data" not in t:
            lines.append(_row("(tier)", label, "—", "—", "—", "—", t["status"]))
            continue
        lines += _build_rows(t, name, label, loaded, results)
        lines += _incremental_rows(t, label, loaded)
        lines += _snowplow_rows(t, label, loaded)
        lines += _als_rows(t, label, loaded)
    lines += _serving_rows(results.get("serving"))
    lines += _api_rows(results.get("api"))
    return lines


def verdict_api(r: dict) -> str:
    ok = r["requests_per_s"] >= 1000 and r["p99_ms"] <= 25 and not r["non_200"] and not r["errors"]
    return "met" if ok else "**not met**"


def markdown(results: dict) -> str:
    m = results.get("machine", {})
    loaded, top_load = loaded_info(results)
    load = m.get("load_start") or []
    lines = [
        f"### article-recs benchmarks, {results.get('started_at', '?')[:16].replace('T', ' ')} UTC",
        "",
        f"Machine: {m.get('cores')} cores ({m.get('cpu_model') or 'cpu ?'}), "
        f"{fmt_gib(m.get('memory_bytes'))} RAM; load average at start "
        f"{' / '.join(f'{x:.2f}' for x in load)} (1 / 5 / 15 min). "
        f"DuckDB {m.get('duckdb')}, dbt-core {m.get('dbt_core')}, dbt-duckdb {m.get('dbt_duckdb')}, "
        f"implicit {m.get('implicit')}, Python {m.get('python')}.",
        "",
    ]
    if loaded:
        lines += [
            f"**Wall times were taken under load** (1-minute load average up to {top_load:.1f} on "
            f"{m.get('cores')} cores, other jobs running): they overstate the cost. The CPU times "
            "(user + sys of the measured process) are the comparable numbers.",
            "",
        ]
    lines += table(results, loaded)
    lines.append("")
    lines += details(results)
    return "\n".join(lines).rstrip() + "\n"


def _top_nodes(bd: dict, n: int = 6) -> str:
    total = sum(bd.get("by_type", {}).values()) or None
    parts = []
    for node in bd.get("nodes", [])[:n]:
        share = f", {node['seconds'] / total:.0%}" if total else ""
        kind = "" if node["type"] == "model" else f" ({node['type'].replace('_', ' ')})"
        parts.append(f"`{node['name']}`{kind} {fmt_s(node['seconds'])}{share}")
    return "; ".join(parts)


def _profile_text(p: dict) -> list[str]:
    if not p:
        return []
    if "top_operators" not in p:
        return [f"  - Profile of `{p.get('model')}`: {p.get('status', 'not available')}"]
    ops = p["top_operators"]
    top = ops[0] if ops else {}
    info = top.get("extra_info") or {}
    detail = ""
    if isinstance(info, dict):
        for key in (
            "Function",
            "Aggregates",
            "Groups",
            "Join Type",
            "Conditions",
            "Expression",
            "Projections",
        ):
            if key in info:
                detail = f"; {key}: {str(info[key])[:160]}"
                break
    return [
        f"  - DuckDB profile of the slowest SQL model `{p['model']}` (re-run alone: "
        f"{fmt_s(p.get('query_wall_s'))} wall, {fmt_s(p.get('query_cpu_s'))} CPU; "
        f"`{p.get('profile_json')}`): "
        f"**bottleneck operator {top.get('operator')}**, {top.get('share') or 0:.0%} of operator time, "
        f"{top.get('rows') or 0:,} rows{detail}.",
        "    Next: " + "; ".join(f"{o['operator']} {o.get('share') or 0:.0%}" for o in ops[1:5]) + ".",
    ] + _column_text(p.get("column_costs"))


def _column_text(costs: dict | None) -> list[str]:
    """The costliest output columns of the profiled model (when the column costs were measured)."""
    if not costs:
        return []
    if "top_columns" not in costs:
        return [f"    Column costs: {costs.get('status', 'not measured')}."]
    base, total = costs.get("baseline_cpu_s") or 0.0, costs.get("all_columns_cpu_s") or 0.0
    tops = "; ".join(
        f"`{c['column']}` +{fmt_s(max(c['cpu_s'], 0.0))}" for c in costs["top_columns"][:5] if c["cpu_s"] > 0
    )
    return [
        f"    Column costs (single thread; reading and splitting the lines: {fmt_s(base)}, every column: "
        f"{fmt_s(total)}): {tops}."
    ]


#: the SQL model that pads every strategy's own lists (ALS's among them), at every cut
PADDING_MODEL = "recommendation_lists"


def _als_site_text(site: str, v: dict) -> str:
    """One site of the ALS probe: per (site, cut) fits since the models are keyed by cut (``cuts``: the
    matrices fitted, ``interactions`` summed over them, the size of the serving cut's matrix)."""
    size = f"{v['readers']:,} readers × {v['articles']:,} articles"
    if "cuts" not in v:  # results of the per-site model, before the cuts
        return f"{site}: {size}, {v['interactions']:,} interactions"
    return (
        f"{site}: {v['cuts']} cuts fitted, {v['interactions']:,} interactions in all; "
        f"the serving cut's matrix {size}"
    )


def _cprofile_text(als: dict) -> list[str]:
    """The costliest calls inside one profiled call of the ALS model (below the model's own wrappers)."""
    top = ((als.get("cprofile") or {}).get("top")) or []
    if not top:
        return []
    total = top[0]["cumulative_s"] or 0.0
    inner = [r for r in top if r["cumulative_s"] < 0.9 * total][:6]
    calls = "; ".join(f"`{r['function']}` {fmt_s(r['cumulative_s'])}" for r in inner)
    return [f"  - cProfile of one model call ({fmt_s(total)}; `{als['cprofile'].get('path')}`): {calls}."]


def _run_stats_text(stats: dict | None) -> str:
    stats = stats or {}
    keys = ("files_read", "events_stored", "sessions_rebuilt", "page_views_written")
    return ", ".join(f"{k} {stats[k]}" for k in keys if k in stats)


def details(results: dict) -> list[str]:
    out = ["#### Where the time goes", ""]
    for name, t in results.get("tiers", {}).items():
        label = t.get("tier", {}).get("label", name)
        fb = t.get("full_build") or {}
        bd = fb.get("breakdown") or {}
        if bd:
            by_type = ", ".join(
                f"{k.replace('_', ' ')}s {fmt_s(v)}" for k, v in bd.get("by_type", {}).items()
            )
            by_layer = ", ".join(f"{k} {fmt_s(v)}" for k, v in list(bd.get("by_layer", {}).items())[:6])
            children = "; ".join(fb.get("child_processes") or []) or "none"
            out += [
                f"- **{label}, full build**: dbt's own run time {fmt_s(bd.get('dbt_elapsed_s'))} of "
                f"{fmt_s(fb.get('wall_s'))} wall (the rest: start-up, partial parse); {by_type}. "
                f"Peak RSS: dbt process {fmt_gib(fb.get('max_rss_bytes'))}, sampled process tree "
                f"{fmt_gib(fb.get('tree_peak_rss_bytes'))}"
                + (f", reached while `{fb['peak_node']}` ran" if fb.get("peak_node") else "")
                + f" (child processes: {children}).",
                f"  - Models by layer: {by_layer}.",
                f"  - Slowest nodes: {_top_nodes(bd)}.",
            ]
            out += _profile_text(fb.get("profile") or {})
        inc = t.get("incremental") or {}
        for key in _history_keys(inc):
            for variant, vlabel in VARIANT_LABELS.items():
                r = inc[key].get(variant) or {}
                ibd = r.get("breakdown") or {}
                if not ibd:
                    continue
                other = sum(ibd.get("by_layer", {}).values()) - ibd.get("snowplow_models_s", 0)
                by_type = ibd.get("by_type", {})
                stats = _run_stats_text(r.get("run_stats"))
                out += [
                    f"- **{label}, incremental {vlabel} on {key[:-1]} d**: Snowplow models "
                    f"{fmt_s(ibd.get('snowplow_models_s'))}, other models {fmt_s(other)}, data tests "
                    f"{fmt_s(by_type.get('test'))}, unit tests {fmt_s(by_type.get('unit_test'))}; "
                    f"dbt's own run time {fmt_s(ibd.get('dbt_elapsed_s'))} of {fmt_s(r.get('wall_s'))} wall"
                    + (f"; run stats: {stats}" if stats else "")
                    + ".",
                    f"  - Slowest nodes: {_top_nodes(ibd)}.",
                ]
            out += _profile_text(inc[key].get("profile") or {})
        for variant, rows in (inc.get("growth") or {}).items():
            grew = "; ".join(
                f"`{r['name']}` {fmt_s(r['small_s'])} → {fmt_s(r['large_s'])}"
                for r in rows[:5]
                if r["delta_s"] > 0
            )
            if grew:
                out.append(
                    f"- **{label}, what grows with history** ({VARIANT_LABELS[variant]}, 7 d → 60 d): {grew}."
                )
        gp = inc.get("growth_profile")
        if gp:
            out += [
                line.replace("the slowest SQL model", "the fastest-growing SQL model")
                for line in _profile_text(gp)
            ]
        als = t.get("als") or {}
        if "model_wall_s" in als:
            sites = ", ".join(_als_site_text(s, v) for s, v in als.get("sites", {}).items())
            rows = int(als["runs"][0].get("rows", 0)) if als.get("runs") else 0
            nodes = {
                n["name"]: n["seconds"]
                for n in ((t.get("full_build") or {}).get("breakdown") or {}).get("nodes", [])
            }
            padding = ""
            if als.get("model") == "als_lists" and PADDING_MODEL in nodes:
                padding = (
                    f" Padding is SQL downstream, one model for every strategy and cut "
                    f"(`{PADDING_MODEL}`): {fmt_s(nodes[PADDING_MODEL])} in the build."
                )
            out.append(
                f"- **{label}, ALS** ({sites}): bare fit {fmt_s(als.get('bare_fit_wall_s'))}, similar_items "
                f"{fmt_s(als.get('bare_similar_items_wall_s'))}, recommend "
                f"{fmt_s(als.get('bare_recommend_wall_s'))}; the model (reads its refs, builds the matrices, "
                f"fits, scores the candidates with their decay and drops reads inside implicit's top-k, "
                f"writes {rows:,} rows) {fmt_s(als['model_wall_s'])}, of which the write "
                f"{fmt_s(als.get('write_wall_s'))}; inside the dbt build the node took "
                f"{fmt_s(als.get('dbt_node_seconds_in_build'))}.{padding}"
            )
            out += _cprofile_text(als)
    out.append("")
    return out + notes(results)


def notes(results: dict) -> list[str]:
    out = ["#### Notes", ""]
    for name, t in results.get("tiers", {}).items():
        tier = t.get("tier", {})
        override = t.get("repeats", results.get("options", {}).get("repeats"))
        reps = {
            k: override or tier.get(k)
            for k in ("build_repeats", "scan_repeats", "incremental_repeats", "als_repeats")
        }
        measured = [f"{reps['build_repeats']} full builds", f"{reps['scan_repeats']} scans"]
        if t.get("incremental"):
            measured.append(f"{reps['incremental_repeats']} incremental runs per variant and history")
        if t.get("als"):
            measured.append(f"{reps['als_repeats']} ALS runs")
        data = t.get("data") or {}
        chunks = data.get("chunks") or []
        chunk_text = (
            f"; generated in {len(chunks)} chunks with their own seeds (the readers of the history "
            "older than the newest 31 days are other people)"
            if len(chunks) > 1
            else ""
        )
        out.append(
            f"- {tier.get('label', name)}: medians of {', '.join(measured)}; "
            f"{data.get('generated_lines', 0):,} lines generated over {tier.get('days')} days "
            f"(cutoff {tier.get('cutoff')} UTC){chunk_text}."
        )
    for name, t in results.get("tiers", {}).items():
        limit = t.get("memory_limit", results.get("options", {}).get("memory_limit"))
        if limit:
            out.append(
                f"- {t.get('tier', {}).get('label', name)}: every dbt run used DuckDB "
                f"`memory_limit: {limit}` (profiles.yml: ARTICLE_RECS_DUCKDB_MEMORY_LIMIT, default 3GB; "
                "past it DuckDB spills to disk)."
            )
    return out + list(NOTES)


def merge(documents: list[dict]) -> dict:
    """Several results files as one report: the tiers of all (later files win), the machine and start of
    the first, and the serving numbers of the last file that has them."""
    merged = json.loads(json.dumps(documents[0]))
    for doc in documents[1:]:
        for name, tier in doc.get("tiers", {}).items():
            tier.setdefault("memory_limit", doc.get("options", {}).get("memory_limit"))
            tier.setdefault("repeats", doc.get("options", {}).get("repeats"))
            merged["tiers"][name] = tier
        if doc.get("serving") and ("p50_ms" in doc["serving"] or "serving" not in merged):
            merged["serving"] = doc["serving"]
        if doc.get("api") and ("related" in doc["api"] or "api" not in merged):
            merged["api"] = doc["api"]
    for tier in merged["tiers"].values():
        tier.setdefault("memory_limit", documents[0].get("options", {}).get("memory_limit"))
        tier.setdefault("repeats", documents[0].get("options", {}).get("repeats"))
    merged.setdefault("options", {})["memory_limit"] = None
    return merged


def write_results(results: dict, out_dir: Path) -> tuple[Path, Path, str]:
    """``results-<timestamp>.json``, ``latest.json`` and ``latest.md`` in ``out_dir``; returns the two JSON
    paths and the Markdown."""
    out_dir.mkdir(parents=True, exist_ok=True)
    stamp = results.get("started_at", "unknown").replace(":", "").replace("-", "").replace("+0000", "Z")
    path = out_dir / f"results-{stamp}.json"
    text = json.dumps(results, indent=2, default=str)
    path.write_text(text)
    latest = out_dir / "latest.json"
    latest.write_text(text)
    md = markdown(results)
    (out_dir / "latest.md").write_text(md)
    return path, latest, md

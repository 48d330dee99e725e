"""The offline-evaluation report: one self-contained HTML page (inline SVG, no scripts) from DuckDB.

Sections: metrics per strategy (latest run), metrics over runs, catalog coverage and age of what is
recommended, the dwell distribution (with the training filter band), and the model registry.
Reads ``evaluation.model_evaluations``, ``recommender.model_registry``, ``recommender.recommender_sites`` and
``marts.page_views``; a table that is not built yet leaves its section with a note. The header line's counts
are ``marts.build_summary``'s, the numbers ``article-recs summary`` prints.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html import escape
from pathlib import Path

import duckdb
import pandas as pd

from article_recs.report.online import online_section
from article_recs.report.svg import bar_chart, line_chart

STRATEGY_ORDER = ["popularity", "trending", "item_knn", "covisitation", "als", "content", "ranked", "oracle"]
#: (task, metric, label) shown as "metrics per strategy" and "over runs"
HEADLINE = [
    ("related", "hr", "HR"),
    ("related", "ndcg", "NDCG"),
    ("related", "mrr", "MRR"),
    ("reader", "recall", "recall"),
    ("reader", "ndcg", "NDCG"),
]
#: dwell histogram bins (seconds): [lower, upper)
DWELL_BINS = [0, 5, 10, 20, 30, 45, 60, 90, 120, 180, 300, 600, math.inf]


@dataclass
class ReportData:
    evaluations: pd.DataFrame | None = None
    registry: pd.DataFrame | None = None
    sites: pd.DataFrame | None = None
    dwell: pd.DataFrame | None = None
    online: str | None = None  # the online evaluation section (article_recs.report.online), when there is one
    build: str | None = None  # what the warehouse holds (marts.build_summary), one sentence
    missing: list[str] = field(default_factory=list)


def _table_exists(con: duckdb.DuckDBPyConnection, relation: str) -> bool:
    schema, table = relation.split(".")
    row = con.execute(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
        [schema, table],
    ).fetchone()
    return bool(row and row[0])


def read_report_data(duckdb_path: str | Path) -> ReportData:
    """Everything the page shows, read through one read-only connection."""
    data = ReportData()
    con = duckdb.connect(str(duckdb_path), read_only=True)
    try:
        def have(relation: str) -> bool:
            ok = _table_exists(con, relation)
            if not ok:
                data.missing.append(relation)
            return ok

        if have("evaluation.model_evaluations"):
            data.evaluations = con.execute(
                "select * from evaluation.model_evaluations order by evaluated_at, run_id"
            ).df()
        if have("recommender.model_registry"):
            data.registry = con.execute(
                "select * from recommender.model_registry order by site_id, strategy, trained_at desc"
            ).df()
        if have("recommender.recommender_sites"):
            data.sites = con.execute("select * from recommender.recommender_sites order by site_id").df()
        data.online = online_section(con)
        if _table_exists(con, "marts.build_summary"):
            data.build = _build_counts(con)
        if have("marts.page_views"):
            data.dwell = con.execute(
                """
                select site_id, engaged_time_in_s as dwell_s
                from marts.page_views
                where article_id is not null
                """
            ).df()
    finally:
        con.close()
    return data


def _build_counts(con: duckdb.DuckDBPyConnection) -> str:
    from article_recs.summary import BuildSummary, read_build_counts

    counts = BuildSummary()
    read_build_counts(con, counts)
    served = sum(counts.recommendations.values())
    return (
        f"The warehouse holds {counts.page_views or 0:,} page views of {counts.readers or 0:,} readers and "
        f"{counts.articles or 0:,} articles on {len(counts.sites)} site(s); {served:,} recommendations are "
        f"served by {counts.current_models or 0} current models."
    )


def _strategies(frame: pd.DataFrame) -> list[str]:
    seen = set(frame["strategy"].unique())
    return [s for s in STRATEGY_ORDER if s in seen] + sorted(seen - set(STRATEGY_ORDER))


def _runs(evaluations: pd.DataFrame) -> pd.DataFrame:
    """One row per run (run_id, evaluated_at), oldest first."""
    runs = evaluations.groupby("run_id", as_index=False)["evaluated_at"].max()
    return runs.sort_values(["evaluated_at", "run_id"]).reset_index(drop=True)


def _num(value: object, fmt: str = ".3f") -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if isinstance(value, (int, float)):
        return format(value, fmt)
    return escape(str(value))


def metrics_per_strategy(evaluations: pd.DataFrame, k: int) -> str:
    runs = _runs(evaluations)
    latest = evaluations[evaluations["run_id"] == runs["run_id"].iloc[-1]]
    strategies = _strategies(latest)
    parts = []
    for site in sorted(latest["site_id"].unique()):
        site_rows = latest[latest["site_id"] == site]
        groups, values = [], {}
        for task, metric, label in HEADLINE:
            group = f"{task} {label}@{k}"
            groups.append(group)
            for strategy in strategies:
                hit = site_rows[
                    (site_rows["task"] == task) & (site_rows["metric"] == metric)
                    & (site_rows["strategy"] == strategy)
                ]
                values[(group, strategy)] = float(hit["value"].iloc[0]) if not hit.empty else None
        parts.append(
            bar_chart(groups, strategies, values, f"{site}: metrics per strategy (latest run)",
                      y_label="share", width=580)
        )
    return "".join(f'<div class="chart">{p}</div>' for p in parts) + _metrics_table(latest, strategies)


def _metrics_table(latest: pd.DataFrame, strategies: list[str]) -> str:
    latest = latest.assign(
        ci_low=latest["ci_low"] if "ci_low" in latest else None,
        ci_high=latest["ci_high"] if "ci_high" in latest else None,
    )
    rows = latest.pivot_table(
        index=["site_id", "task", "metric", "k"], columns="strategy", values="value", aggfunc="first"
    ).reset_index()
    intervals = {
        (r["site_id"], r["task"], r["metric"], r["k"], r["strategy"]): (r["ci_low"], r["ci_high"])
        for r in latest.to_dict("records")
        if r["ci_low"] is not None and not pd.isna(r["ci_low"])
    }
    head = "".join(f"<th>{escape(s)}</th>" for s in strategies)
    body = []
    for row in rows.to_dict("records"):
        name = row["metric"] if not row["k"] else f"{row['metric']}@{row['k']}"
        fmt = (
            ".0f" if row["metric"] in ("n_cases", "n_cuts")
            else ".2f" if row["metric"] in ("mean_age_days", "cold_start_share") else ".3f"
        )
        best = None
        if row["metric"] in ("hr", "ndcg", "mrr", "recall"):
            non_oracle = {s: row.get(s) for s in strategies if s != "oracle" and row.get(s) is not None}
            non_oracle = {s: v for s, v in non_oracle.items() if not math.isnan(v)}
            best = max(non_oracle, key=non_oracle.get) if non_oracle else None
        def cell(strategy: str, row: dict = row, fmt: str = fmt) -> str:
            ci = intervals.get((row["site_id"], row["task"], row["metric"], row["k"], strategy))
            interval = f' <span class="ci">[{_num(ci[0])}, {_num(ci[1])}]</span>' if ci else ""
            return f"{_num(row.get(strategy), fmt)}{interval}"

        cells = "".join(
            f'<td class="{"best" if s == best else ""}">{cell(s)}</td>' for s in strategies
        )
        body.append(
            f"<tr><td>{escape(row['site_id'])}</td><td>{escape(row['task'])}</td>"
            f"<td>{escape(name)}</td>{cells}</tr>"
        )
    return (
        '<table class="metrics"><thead><tr><th>site</th><th>task</th><th>metric</th>'
        f"{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
        '<p class="note">Bold: the best strategy short of the oracle (the generator\'s own scores, the '
        "ceiling on generated data). In brackets: the 95% bootstrap interval over the cases (paired: every "
        "strategy is resampled on the same cases). n_cases: the cases scored; n_cuts: the cuts they fall in; "
        "cold_start_share: the share of cases whose target nobody had read before its cut, and "
        "hr_cold_start the hit rate on those alone.</p>"
    )


def metrics_over_runs(evaluations: pd.DataFrame, k: int) -> str:
    runs = _runs(evaluations)
    labels = [pd.Timestamp(t).strftime("%m-%d %H:%M:%S") for t in runs["evaluated_at"]]
    order = {r: i for i, r in enumerate(runs["run_id"])}
    strategies = _strategies(evaluations)
    parts = []
    for site in sorted(evaluations["site_id"].unique()):
        for task, metric, label in (HEADLINE[0], HEADLINE[3]):
            rows = evaluations[
                (evaluations["site_id"] == site) & (evaluations["task"] == task)
                & (evaluations["metric"] == metric)
            ]
            series = {}
            for strategy in strategies:
                vals: list[float | None] = [None] * len(runs)
                for r in rows[rows["strategy"] == strategy].itertuples():
                    vals[order[r.run_id]] = float(r.value)
                series[strategy] = vals
            parts.append(
                line_chart(labels, series, f"{site}: {task} {label}@{k} over runs", y_label="share",
                           width=580)
            )
    note = f"<p class=\"note\">{len(runs)} evaluation run(s); x axis: run start (UTC).</p>"
    return note + "".join(f'<div class="chart">{p}</div>' for p in parts)


def coverage_section(evaluations: pd.DataFrame, k: int) -> str:
    runs = _runs(evaluations)
    latest = evaluations[evaluations["run_id"] == runs["run_id"].iloc[-1]]
    strategies = _strategies(latest)
    parts = []
    for metric, title, fmt, label in (
        ("coverage", f"catalog coverage@{k}", ".2f", "share of candidate articles"),
        ("mean_age_days", f"mean age of recommended articles@{k}", ".1f", "days at the cut"),
    ):
        rows = latest[latest["metric"] == metric]
        sites = sorted(rows["site_id"].unique())
        groups = [f"{site} {task}" for site in sites for task in ("related", "reader")]
        values = {
            (f"{r.site_id} {r.task}", r.strategy): float(r.value) for r in rows.itertuples()
        }
        parts.append(bar_chart(groups, strategies, values, title, y_label=label, fmt=fmt, width=580))
    return "".join(f'<div class="chart">{p}</div>' for p in parts)


def dwell_section(dwell: pd.DataFrame, sites: pd.DataFrame | None) -> str:
    labels = []
    for lo, hi in zip(DWELL_BINS[:-1], DWELL_BINS[1:], strict=True):
        labels.append(f"{lo:g}+" if math.isinf(hi) else f"{lo:g}–{hi:g}")
    values, site_ids = {}, sorted(dwell["site_id"].dropna().unique())
    for site in site_ids:
        d = pd.to_numeric(dwell.loc[dwell["site_id"] == site, "dwell_s"]).fillna(0)
        counts = pd.cut(d, DWELL_BINS, right=False, labels=labels).value_counts(normalize=True)
        for label in labels:
            values[(label, site)] = float(counts.get(label, 0.0))
    chart = bar_chart(
        labels, site_ids, values, "dwell per article page view (engaged seconds)",
        y_label="share of page views", width=1180, height=320, value_labels=False,
    )
    band = ""
    if sites is not None and not sites.empty:
        bands = ", ".join(
            f"{escape(str(r.site_id))} {r.min_dwell_s:g}–{r.max_dwell_s:g} s"
            for r in sites.itertuples()
            if r.site_id in site_ids
        )
        band = f"<p class=\"note\">Training keeps reads with a dwell in: {bands}.</p>"
    stats = []
    for site in site_ids:
        d = pd.to_numeric(dwell.loc[dwell["site_id"] == site, "dwell_s"]).fillna(0)
        stats.append(
            f"{escape(site)}: {len(d):,} article page views, median {d.median():.0f} s, "
            f"p90 {d.quantile(0.9):.0f} s"
        )
    return f'<div class="chart wide">{chart}</div>{band}<p class="note">{"; ".join(stats)}.</p>'


def registry_section(registry: pd.DataFrame) -> str:
    columns = [
        ("model_id", None), ("status", None), ("trained_at", None), ("n_interactions", ",.0f"),
        ("n_readers", ",.0f"), ("n_articles", ",.0f"), ("n_recommendations", ",.0f"),
        ("train_seconds", ".2f"), ("related_hr", ".3f"), ("reader_recall", ".3f"),
        ("related_coverage", ".3f"),
    ]
    columns = [(c, f) for c, f in columns if c in registry.columns]
    head = "".join(f"<th>{escape(c)}</th>" for c, _ in columns)
    body = []
    for row in registry.to_dict("records"):
        cells = []
        for c, fmt in columns:
            value = row.get(c)
            if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NaT:
                text = "–"
            elif c == "trained_at":
                text = pd.Timestamp(value).strftime("%Y-%m-%d %H:%M:%S")
            else:
                text = _num(value, fmt) if fmt else escape(str(value))
            cells.append(f'<td class="{c}">{text}</td>')
        body.append(f'<tr class="{escape(str(row.get("status")))}">{"".join(cells)}</tr>')
        error = row.get("error_message")
        if isinstance(error, str) and error:
            body.append(
                f'<tr class="failed"><td class="error_message" colspan="{len(columns)}">'
                f"{escape(error[:600])}</td></tr>"
            )
    return (
        f'<div class="scroll"><table class="registry"><thead><tr>{head}</tr></thead>'
        f'<tbody>{"".join(body)}</tbody></table></div>'
    )


CSS = """
body { font-family: system-ui, -apple-system, 'Segoe UI', sans-serif; margin: 24px 32px; color: #222;
       max-width: 1320px; }
h1 { font-size: 22px; margin-bottom: 4px; } h2 { font-size: 17px; margin-top: 32px;
     border-bottom: 1px solid #ddd; padding-bottom: 4px; }
.meta, .note { color: #555; font-size: 13px; }
.chart { display: inline-block; margin: 6px 8px 6px 0; vertical-align: top; border: 1px solid #eee;
         border-radius: 4px; padding: 4px; background: #fff; }
table { border-collapse: collapse; font-size: 12px; margin: 10px 0; }
th, td { border-bottom: 1px solid #eee; padding: 3px 8px; text-align: right; }
th:first-child, td:first-child, td:nth-child(2), td:nth-child(3) { text-align: left; }
td.best { font-weight: 700; }
table.registry { font-size: 11px; } table.registry td { text-align: left; white-space: nowrap; }
table.registry td.error_message { white-space: normal; font-size: 10px; padding-left: 24px; }
.scroll { overflow-x: auto; }
tr.current td { background: #f0f7ff; } tr.failed td { color: #b00; }
.ci { color: #777; font-size: 0.85em; }
"""


def ranker_section(registry: pd.DataFrame) -> str | None:
    """The current ranked models' feature importances (CatBoost PredictionValuesChange, in %), from the
    registry's params JSON; None when no current model has them."""
    import json

    current = registry[(registry["strategy"] == "ranked") & (registry["status"] == "current")]
    parts = []
    for row in current.sort_values("site_id").to_dict("records"):
        try:
            params = json.loads(row["params"] or "null") or {}
        except (TypeError, ValueError):
            continue
        importances = params.get("feature_importances") or {}
        if not importances:
            continue
        top = sorted(importances.items(), key=lambda item: -float(item[1]))[:12]
        cells = "".join(f"<tr><td>{escape(str(f))}</td><td>{float(v):.1f}</td></tr>" for f, v in top)
        parts.append(
            f"<h3>{escape(str(row['site_id']))}: {escape(str(row['model_id']))} "
            f"({escape(str(params.get('ranker')))}, {_num(row.get('n_interactions'), ',.0f')} training rows, "
            f"{escape(str(params.get('n_training_groups')))} groups from "
            f"{escape(str(params.get('n_training_cuts')))} cuts)</h3>"
            f'<table class="metrics"><thead><tr><th>feature</th><th>importance %</th></tr></thead>'
            f"<tbody>{cells}</tbody></table>"
        )
    return "".join(parts) or None


def render_report(data: ReportData, duckdb_path: str | Path, k: int = 10) -> str:
    sections = []
    ev = data.evaluations
    if ev is not None and not ev.empty:
        k = int(ev.loc[ev["k"] > 0, "k"].max()) if (ev["k"] > 0).any() else k
        runs = _runs(ev)
        sections.append(("Metrics per strategy", metrics_per_strategy(ev, k)))
        sections.append(("Metrics over runs", metrics_over_runs(ev, k)))
        sections.append(("Coverage and freshness", coverage_section(ev, k)))
        latest = f"latest run {escape(str(runs['run_id'].iloc[-1]))} at {runs['evaluated_at'].iloc[-1]}"
    else:
        sections.append(("Metrics", "<p class=\"note\">No evaluation yet: build model_evaluations.</p>"))
        latest = "no evaluation yet"
    if data.online:
        sections.append(("Online evaluation", data.online))
    if data.dwell is not None and not data.dwell.empty:
        sections.append(("Dwell distribution", dwell_section(data.dwell, data.sites)))
    if data.registry is not None and not data.registry.empty:
        ranker = ranker_section(data.registry)
        if ranker:
            sections.append(("Ranker feature importances", ranker))
        sections.append(("Model registry", registry_section(data.registry)))
    missing = (
        f"<p class=\"note\">Not built yet: {escape(', '.join(data.missing))}.</p>" if data.missing else ""
    )
    generated = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    body = "".join(
        f'<h2 id="{title.lower().replace(" ", "-")}">{escape(title)}</h2>{html}' for title, html in sections
    )
    return (
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<title>article-recs: offline evaluation</title>"
        f"<style>{CSS}</style></head><body>"
        "<h1>article-recs: offline evaluation</h1>"
        f"<p class=\"meta\">Warehouse {escape(str(duckdb_path))}; {latest}; generated {generated}. "
        "The evaluation is rolling, as production runs: every strategy is retrained at a cut every "
        "article_recs__retrain_hours across the last article_recs__holdout_hours, and each held-out case is "
        "scored against the lists of the cut that was being served when it happened - the same rows the API "
        "serves. related = the next article read in a session, reader = the articles a reader read in the "
        "hours after a cut and never before it.</p>"
        + (f"<p class=\"meta\">{escape(data.build)}</p>" if data.build else "")
        + f"{missing}{body}</body></html>"
    )


def write_report(duckdb_path: str | Path, out_dir: str | Path) -> Path:
    """Read the warehouse, write ``out_dir/index.html``, return its path."""
    data = read_report_data(duckdb_path)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    page = out / "index.html"
    page.write_text(render_report(data, duckdb_path), encoding="utf-8")
    return page

"""The online evaluation beside the offline one, for ``article-recs summary`` (text) and the evaluation
report (HTML): per site and strategy (A/B arm), the widget's impressions, clicks, CTR with its 95% Wilson
interval, CTR at positions 1-3 and the share of clicks that led to an engaged read
(``evaluation.online_evaluation_summary`` and ``online_evaluation_by_position``), next to the latest offline
related-articles hit rate of the same strategy (``evaluation.model_evaluations``, ``related`` / ``hr`` at the
largest k), and whether the two order the strategies the same way.

Entry points: :func:`online_table` (text, ``None`` when there is no online data) and :func:`online_section`
(HTML fragment, ``None`` likewise). Both take an open DuckDB connection to the warehouse.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

import duckdb

SUMMARY = "evaluation.online_evaluation_summary"
BY_POSITION = "evaluation.online_evaluation_by_position"
OFFLINE = "evaluation.model_evaluations"


@dataclass(frozen=True)
class OnlineRow:
    site_id: str
    strategy: str
    arm: str
    impressions: int
    clicks: int
    ctr: float
    ctr_low: float
    ctr_high: float
    ctr_at: tuple[float | None, float | None, float | None]
    engaged_click_share: float | None
    offline_hr: float | None


def _exists(con: duckdb.DuckDBPyConnection, relation: str) -> bool:
    schema, name = relation.split(".")
    return bool(
        con.execute(
            "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
            [schema, name],
        ).fetchone()[0]
    )


def read_online(con: duckdb.DuckDBPyConnection) -> list[OnlineRow]:
    """The rows, ordered by site and CTR (best first); empty when the models are missing or empty."""
    if not _exists(con, SUMMARY):
        return []
    by_position: dict[tuple[str, str, str], dict[int, float]] = {}
    if _exists(con, BY_POSITION):
        for site, strategy, arm, position, ctr in con.execute(
            f"select site_id, strategy, arm, list_position, ctr from {BY_POSITION} where list_position <= 3"
        ).fetchall():
            by_position.setdefault((site, strategy, arm), {})[int(position)] = float(ctr)
    offline: dict[tuple[str, str], float] = {}
    if _exists(con, OFFLINE):
        rows = con.execute(
            f"""
            with latest as (
                select site_id, max(evaluated_at) as evaluated_at from {OFFLINE} group by site_id
            )
            select e.site_id, e.strategy, e.value
            from {OFFLINE} as e
            inner join latest on e.site_id = latest.site_id and e.evaluated_at = latest.evaluated_at
            where e.task = 'related' and e.metric = 'hr'
                and e.k = (select max(k) from {OFFLINE} where metric = 'hr')
            """
        ).fetchall()
        offline = {(site, strategy): float(value) for site, strategy, value in rows}
    out = []
    for row in con.execute(
        f"""
        select site_id, strategy, arm, impressions, clicks, ctr, ctr_low, ctr_high, engaged_click_share
        from {SUMMARY} order by site_id, ctr desc, strategy, arm
        """
    ).fetchall():
        site, strategy, arm, impressions, clicks, ctr, low, high, engaged = row
        at = by_position.get((site, strategy, arm), {})
        out.append(
            OnlineRow(
                site,
                strategy,
                arm,
                int(impressions),
                int(clicks),
                float(ctr),
                float(low),
                float(high),
                (at.get(1), at.get(2), at.get(3)),
                None if engaged is None else float(engaged),
                offline.get((site, strategy)),
            )
        )
    return out


def orderings_agree(rows: list[OnlineRow]) -> dict[str, bool | None]:
    """Per site: does ordering the strategies by online CTR give the same order as the offline hit rate?
    ``None`` when fewer than two strategies have both."""
    result: dict[str, bool | None] = {}
    for site in sorted({r.site_id for r in rows}):
        both = [r for r in rows if r.site_id == site and r.offline_hr is not None]
        if len({r.strategy for r in both}) < 2:
            result[site] = None
            continue
        by_ctr = [r.strategy for r in sorted(both, key=lambda r: -r.ctr)]
        by_hr = [r.strategy for r in sorted(both, key=lambda r: -(r.offline_hr or 0.0))]
        result[site] = by_ctr == by_hr
    return result


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def online_table(con: duckdb.DuckDBPyConnection) -> str | None:
    """The online evaluation as text lines for ``article-recs summary``; ``None`` without online data."""
    rows = read_online(con)
    if not rows:
        return None
    header = (
        f"  {'site':<8} {'strategy':<12} {'arm':<12} {'impressions':>11} {'clicks':>7} {'CTR':>6} "
        f"{'95% interval':>15} {'@1':>6} {'@2':>6} {'@3':>6} {'engaged':>8} {'offline hr':>10}"
    )
    lines = ["online evaluation (widget impressions and clicks; offline = latest related hr@k)", header]
    for r in rows:
        lines.append(
            f"  {r.site_id:<8} {r.strategy:<12} {r.arm:<12} {r.impressions:>11,} {r.clicks:>7,} "
            f"{_pct(r.ctr):>6} {_pct(r.ctr_low) + '-' + _pct(r.ctr_high):>15} "
            f"{_pct(r.ctr_at[0]):>6} {_pct(r.ctr_at[1]):>6} {_pct(r.ctr_at[2]):>6} "
            f"{_pct(r.engaged_click_share):>8} {_num(r.offline_hr):>10}"
        )
    agree = orderings_agree(rows)
    words = {True: "same order", False: "DIFFERENT order", None: "not comparable"}
    lines.append(
        "  online CTR vs offline hr: " + ", ".join(f"{site} {words[v]}" for site, v in agree.items())
    )
    return "\n".join(lines)


def online_section(con: duckdb.DuckDBPyConnection) -> str | None:
    """The online evaluation as an HTML fragment (a table, every value escaped) for the evaluation report;
    ``None`` without online data."""
    rows = read_online(con)
    if not rows:
        return None
    head = (
        "<tr><th>site</th><th>strategy</th><th>arm</th><th>impressions</th><th>clicks</th><th>CTR</th>"
        "<th>95% interval</th><th>CTR @1</th><th>@2</th><th>@3</th><th>clicks → engaged read</th>"
        "<th>offline related hr</th></tr>"
    )
    body = "".join(
        "<tr>"
        + "".join(
            f"<td>{escape(v)}</td>"
            for v in (
                r.site_id,
                r.strategy,
                r.arm,
                f"{r.impressions:,}",
                f"{r.clicks:,}",
                _pct(r.ctr),
                f"{_pct(r.ctr_low)} – {_pct(r.ctr_high)}",
                _pct(r.ctr_at[0]),
                _pct(r.ctr_at[1]),
                _pct(r.ctr_at[2]),
                _pct(r.engaged_click_share),
                _num(r.offline_hr),
            )
        )
        + "</tr>"
        for r in rows
    )
    agree = orderings_agree(rows)
    words = {True: "the same order", False: "a different order", None: "too few strategies to compare"}
    note = "; ".join(f"{escape(site)}: {words[v]}" for site, v in agree.items())
    return (
        '<p class="note">What readers did with the widget lists (rec_impression / rec_click events): CTR = '
        "lists with a click / lists shown, 95% Wilson interval; offline = the latest related-articles hit "
        f"rate. Online CTR and offline hit rate rank the strategies in {note}.</p>"
        f"<table><thead>{head}</thead><tbody>{body}</tbody></table>"
    )

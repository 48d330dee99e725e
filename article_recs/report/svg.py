"""Small inline-SVG charts (no plotting library, no JavaScript): grouped bars and lines.

Each function returns an ``<svg>`` element as text, sized in CSS pixels, with a title, axis ticks, value
labels where they fit, and a legend. Missing values (None / NaN) are left out.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from html import escape

#: Colours per series name (strategies first); other names cycle through PALETTE.
COLOURS = {
    "popularity": "#8c8c8c",
    "item_knn": "#1f77b4",
    "als": "#ff7f0e",
    "oracle": "#2ca02c",
}
PALETTE = ["#9467bd", "#17becf", "#8c564b", "#e377c2", "#bcbd22", "#d62728", "#1f77b4", "#ff7f0e"]
FONT = "font-family:system-ui,-apple-system,'Segoe UI',sans-serif"


def colour(name: str, index: int) -> str:
    return COLOURS.get(name, PALETTE[index % len(PALETTE)])


def _missing(value: float | None) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def nice_max(value: float) -> float:
    """A round axis maximum at or above ``value`` (1, 2, 2.5, 5 x 10^n)."""
    if value <= 0 or math.isnan(value):
        return 1.0
    exp = math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        top = step * 10**exp
        if top >= value * 1.0001:
            return float(top)
    return float(10 ** (exp + 1))


def _fmt(value: float, fmt: str) -> str:
    return format(value, fmt)


def _legend(names: Sequence[str], x: float, y: float) -> list[str]:
    out, offset = [], 0.0
    for i, name in enumerate(names):
        out.append(
            f'<rect x="{x + offset:.1f}" y="{y - 9:.1f}" width="10" height="10" fill="{colour(name, i)}"/>'
            f'<text x="{x + offset + 14:.1f}" y="{y:.1f}" font-size="12">{escape(name)}</text>'
        )
        offset += 22 + 7.2 * len(name)
    return out


def _frame(width: int, height: int, title: str, body: list[str]) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" style="{FONT}" role="img" aria-label="{escape(title)}">'
        f"<title>{escape(title)}</title>"
        f'<text x="{width / 2:.1f}" y="18" text-anchor="middle" font-size="14" font-weight="600">'
        f"{escape(title)}</text>" + "".join(body) + "</svg>"
    )


def _y_axis(
    left: float, top: float, plot_w: float, plot_h: float, y_max: float, fmt: str, label: str
) -> list[str]:
    out = []
    for i in range(6):
        value = y_max * i / 5
        y = top + plot_h - plot_h * i / 5
        out.append(
            f'<line x1="{left:.1f}" y1="{y:.1f}" x2="{left + plot_w:.1f}" y2="{y:.1f}" '
            f'stroke="#e5e5e5"/>'
            f'<text x="{left - 6:.1f}" y="{y + 4:.1f}" text-anchor="end" font-size="11" fill="#555">'
            f"{_fmt(value, fmt)}</text>"
        )
    out.append(
        f'<line x1="{left:.1f}" y1="{top:.1f}" x2="{left:.1f}" y2="{top + plot_h:.1f}" stroke="#999"/>'
        f'<text x="14" y="{top + plot_h / 2:.1f}" font-size="11" fill="#555" text-anchor="middle" '
        f'transform="rotate(-90 14 {top + plot_h / 2:.1f})">{escape(label)}</text>'
    )
    return out


def bar_chart(
    groups: Sequence[str],
    series: Sequence[str],
    values: Mapping[tuple[str, str], float | None],
    title: str,
    y_label: str = "",
    y_max: float | None = None,
    fmt: str = ".2f",
    width: int = 620,
    height: int = 300,
    value_labels: bool = True,
) -> str:
    """Grouped vertical bars: one group per ``groups`` entry, one bar per ``series`` in each.
    ``values[(group, series)]``."""
    left, right, top, bottom = 56.0, 12.0, 48.0, 44.0
    plot_w, plot_h = width - left - right, height - top - bottom
    present = [v for v in values.values() if not _missing(v)]
    top_value = y_max if y_max is not None else nice_max(max(present) if present else 1.0)
    body = _legend(series, left, 36) + _y_axis(left, top, plot_w, plot_h, top_value, fmt, y_label)
    group_w = plot_w / max(len(groups), 1)
    bar_w = min(28.0, group_w * 0.8 / max(len(series), 1))
    for g, group in enumerate(groups):
        start = left + g * group_w + (group_w - bar_w * len(series)) / 2
        for s, name in enumerate(series):
            value = values.get((group, name))
            if _missing(value):
                continue
            h = plot_h * min(float(value), top_value) / top_value
            x, y = start + s * bar_w, top + plot_h - h
            body.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w - 2:.1f}" height="{h:.1f}" '
                f'fill="{colour(name, s)}"><title>{escape(group)} / {escape(name)}: '
                f"{_fmt(float(value), fmt)}</title></rect>"
            )
            if value_labels and bar_w >= 18:
                body.append(
                    f'<text x="{x + (bar_w - 2) / 2:.1f}" y="{y - 3:.1f}" text-anchor="middle" '
                    f'font-size="9" fill="#333">{_fmt(float(value), fmt)}</text>'
                )
        body.append(
            f'<text x="{left + (g + 0.5) * group_w:.1f}" y="{top + plot_h + 16:.1f}" text-anchor="middle" '
            f'font-size="11">{escape(group)}</text>'
        )
    return _frame(width, height, title, body)


def line_chart(
    x_labels: Sequence[str],
    series: Mapping[str, Sequence[float | None]],
    title: str,
    y_label: str = "",
    y_max: float | None = None,
    fmt: str = ".2f",
    width: int = 620,
    height: int = 300,
) -> str:
    """One line (with dots) per ``series`` over the ``x_labels`` positions; gaps where a value is missing."""
    left, right, top, bottom = 56.0, 16.0, 48.0, 54.0
    plot_w, plot_h = width - left - right, height - top - bottom
    present = [v for vals in series.values() for v in vals if not _missing(v)]
    top_value = y_max if y_max is not None else nice_max(max(present) if present else 1.0)
    body = _legend(list(series), left, 36) + _y_axis(left, top, plot_w, plot_h, top_value, fmt, y_label)
    n = len(x_labels)

    def x_at(i: int) -> float:
        return left + (plot_w * (i + 0.5) / n if n else 0.0)

    every = max(1, math.ceil(n / 8))
    for i, label in enumerate(x_labels):
        if i % every == 0 or i == n - 1:
            body.append(
                f'<text x="{x_at(i):.1f}" y="{top + plot_h + 16:.1f}" text-anchor="middle" font-size="10" '
                f'fill="#555">{escape(label)}</text>'
            )
    for s, (name, vals) in enumerate(series.items()):
        c = colour(name, s)
        points = [(x_at(i), top + plot_h - plot_h * min(float(v), top_value) / top_value, v)
                  for i, v in enumerate(vals) if not _missing(v)]
        if len(points) > 1:
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y, _ in points)
            body.append(f'<polyline points="{path}" fill="none" stroke="{c}" stroke-width="2"/>')
        for x, y, v in points:
            body.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{c}"><title>{escape(name)}: '
                f"{_fmt(float(v), fmt)}</title></circle>"
            )
    return _frame(width, height, title, body)

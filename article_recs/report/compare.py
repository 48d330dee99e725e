"""``article-recs compare``: did a change help? The same held-out cases scored by two warehouses, paired.

Two builds of the same events - before and after a change of a knob or a rule (``dbt build --full-refresh
--vars ...`` on a copy of the warehouse) - score the same cases (``evaluation.eval_case_hits``: one row per
site, cut, strategy, task and case). Their two intervals from ``model_evaluations`` overlap for any small
change; the difference per case does not have to. For each site, strategy and task this prints the mean of
(after - before) over the cases both hold, its 95% bootstrap interval (cases resampled, seeded) and how many
cases the change won and lost.

Wired into ``article_recs/cli.py`` as ``add_arguments(parser)`` / ``run(args) -> int``. Exit status 0, 2
when a warehouse cannot be read or the two share no scored case.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

PROG = "article-recs compare"
#: the per-case metric of each task (eval_case_hits columns)
METRICS = ("hr", "ndcg", "mrr", "recall")
KEY = ["site_id", "cut_at", "strategy", "task", "case_id"]


@dataclass(frozen=True)
class PairedDifference:
    site_id: str
    strategy: str
    task: str
    metric: str
    cases: int
    before: float
    after: float
    difference: float
    ci_low: float
    ci_high: float
    wins: int
    losses: int


def read_case_hits(duckdb_path: Path) -> pd.DataFrame:
    """``evaluation.eval_case_hits`` of a warehouse (read-only)."""
    import duckdb

    con = duckdb.connect(str(duckdb_path), read_only=True)
    try:
        return con.sql("select * from evaluation.eval_case_hits").df()
    finally:
        con.close()


def paired_differences(
    before: pd.DataFrame,
    after: pd.DataFrame,
    metric: str,
    strategies: list[str] | None = None,
    samples: int = 2000,
    seed: int = 42,
) -> list[PairedDifference]:
    """Per (site, strategy, task): the mean of ``after - before`` of ``metric`` over the cases both frames
    hold (``KEY``; a metric a task does not have is skipped), with a 95% percentile bootstrap interval over
    those cases and the number of cases it raised (wins) and lowered (losses)."""
    both = before[KEY + [metric]].merge(after[KEY + [metric]], on=KEY, suffixes=("_before", "_after"))
    both = both.dropna(subset=[f"{metric}_before", f"{metric}_after"])
    if strategies:
        both = both[both["strategy"].isin(strategies)]
    rng = np.random.default_rng(seed)
    out: list[PairedDifference] = []
    for (site_id, strategy, task), group in both.groupby(["site_id", "strategy", "task"], sort=True):
        old = group[f"{metric}_before"].to_numpy(dtype=float)
        new = group[f"{metric}_after"].to_numpy(dtype=float)
        diff = new - old
        draws = rng.integers(0, len(diff), size=(samples, len(diff)))
        means = diff[draws].mean(axis=1)
        low, high = np.percentile(means, [2.5, 97.5])
        out.append(
            PairedDifference(
                str(site_id), str(strategy), str(task), metric, len(diff), float(old.mean()),
                float(new.mean()), float(diff.mean()), float(low), float(high),
                int((diff > 0).sum()), int((diff < 0).sum()),
            )
        )  # fmt: skip
    return out


def format_table(rows: list[PairedDifference]) -> str:
    header = (
        f"{'site':10} {'strategy':14} {'task':8} {'metric':7} {'cases':>6} {'before':>7} {'after':>7} "
        f"{'after - before [95% CI]':>28} {'wins':>5} {'losses':>6}"
    )
    lines = [header]
    for r in rows:
        interval = f"{r.difference:+.4f} [{r.ci_low:+.4f}, {r.ci_high:+.4f}]"
        lines.append(
            f"{r.site_id:10} {r.strategy:14} {r.task:8} {r.metric:7} {r.cases:6d} {r.before:7.3f} "
            f"{r.after:7.3f} {interval:>28} {r.wins:5d} {r.losses:6d}"
        )
    return "\n".join(lines)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("before", type=Path, metavar="BEFORE.duckdb", help="the warehouse before the change")
    parser.add_argument("after", type=Path, metavar="AFTER.duckdb", help="the warehouse after it")
    parser.add_argument(
        "--metric",
        choices=METRICS,
        default=None,
        help="per-case metric (default: hr for related, recall for reader)",
    )
    parser.add_argument(
        "--strategy", action="append", default=None, help="only this strategy (repeatable; default: all)"
    )
    parser.add_argument("--samples", type=int, default=2000, help="bootstrap resamples (default 2000)")
    parser.add_argument("--seed", type=int, default=42, help="bootstrap seed (default 42)")


def run(args: argparse.Namespace) -> int:
    import duckdb

    frames = []
    for path in (args.before, args.after):
        if not path.exists():
            print(f"{PROG}: no warehouse at {path}", file=sys.stderr)
            return 2
        try:
            frames.append(read_case_hits(path))
        except duckdb.Error as exc:  # locked, not DuckDB, or built without the evaluation
            print(f"{PROG}: cannot read evaluation.eval_case_hits of {path}: {exc}", file=sys.stderr)
            return 2
    rows: list[PairedDifference] = []
    for metric, task in ((args.metric, None),) if args.metric else (("hr", "related"), ("recall", "reader")):
        found = paired_differences(frames[0], frames[1], metric, args.strategy, args.samples, args.seed)
        rows += [r for r in found if task is None or r.task == task]
    if not rows:
        print(f"{PROG}: the two warehouses share no scored case", file=sys.stderr)
        return 2
    print(format_table(rows))
    return 0


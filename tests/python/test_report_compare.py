"""``article-recs compare``: the cases two warehouses share, after - before per case, paired."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd
import pytest

from article_recs.cli import main
from article_recs.report.compare import paired_differences

CUT = pd.Timestamp("2024-03-01 10:00")


def case_hits(
    hits: list[float], strategy: str = "ranked", task: str = "related", first: int = 0
) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "site_id": "herald",
            "cut_at": CUT,
            "strategy": strategy,
            "task": task,
            "case_id": [f"c{first + i}" for i in range(len(hits))],
            "hr": hits if task == "related" else None,
            "ndcg": hits,
            "mrr": hits,
            "recall": hits if task == "reader" else None,
            "cold_start": 0.0,
        }
    )


def warehouse(path: Path, frame: pd.DataFrame) -> Path:
    con = duckdb.connect(str(path))
    con.execute("create schema evaluation")
    con.register("frame", frame)
    con.execute("create table evaluation.eval_case_hits as select * from frame")
    con.close()
    return path


def test_the_difference_is_paired_over_the_cases_both_hold() -> None:
    before = case_hits([1, 1, 0, 0, 1, 0] * 20)
    # the change wins case 2 of every six and loses case 0; a case only `after` scored is left out
    after = pd.concat([case_hits([0, 1, 1, 0, 1, 0] * 20), case_hits([1], first=999)])
    (row,) = paired_differences(before, after, "hr")
    assert (row.cases, row.wins, row.losses) == (120, 20, 20)
    assert row.difference == 0.0 and row.ci_low < 0 < row.ci_high
    better = case_hits([1, 1, 1, 0, 1, 0] * 20)
    (row,) = paired_differences(before, better, "hr")
    assert row.wins == 20 and row.losses == 0 and row.ci_low > 0
    assert row.before == pytest.approx(0.5) and row.after == pytest.approx(4 / 6)


def test_the_command_prints_each_task_with_its_metric(tmp_path: Path, capsys) -> None:
    before = pd.concat([case_hits([1, 0, 0]), case_hits([0, 0], task="reader")])
    after = pd.concat([case_hits([1, 1, 0]), case_hits([1, 0], task="reader")])
    a, b = warehouse(tmp_path / "a.duckdb", before), warehouse(tmp_path / "b.duckdb", after)
    assert main(["compare", str(a), str(b)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert "related  hr" in out[1] and "+0.3333" in out[1]
    assert "reader   recall" in out[2] and "+0.5000" in out[2]
    assert main(["compare", str(a), str(tmp_path / "missing.duckdb")]) == 2
    assert "no warehouse" in capsys.readouterr().err
    empty = warehouse(tmp_path / "c.duckdb", case_hits([1], strategy="other"))
    assert main(["compare", str(a), str(empty), "--strategy", "ranked"]) == 2
    assert "share no scored case" in capsys.readouterr().err

"""A misspelled article_recs__ var in --vars fails the run before any model, naming the var it meant;
the list the check uses is the one dbt_project.yml documents."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from article_recs.dbt_runner import PROJECT_DIR, run_dbt


def test_a_misspelled_var_fails_the_run_at_start_with_a_suggestion(tmp_path: Path) -> None:
    result = run_dbt(
        ["build", "-s", "sites"],
        dbt_vars={"article_recs__events_pth": "x", "article_recs__holdout_hour": 3},
        duckdb_path=tmp_path / "vars.duckdb", target_path=tmp_path / "target", check=False,
    )
    assert not result.ok
    assert "article_recs__events_pth (did you mean article_recs__events_path?)" in result.stdout
    assert "article_recs__holdout_hour (did you mean article_recs__holdout_hours?)" in result.stdout
    assert "OK loaded seed" not in result.stdout, "nothing runs with a misspelled var"
    assert "Traceback" not in result.stdout + result.stderr


def test_documented_vars_run(tmp_path: Path) -> None:
    result = run_dbt(
        ["build", "-s", "sites"], dbt_vars={"article_recs__holdout_hours": 12},
        duckdb_path=tmp_path / "vars.duckdb", target_path=tmp_path / "target", check=False,
    )
    assert result.ok, result.error_lines()


def test_the_checked_list_is_the_documented_list() -> None:
    documented = set(yaml.safe_load((PROJECT_DIR / "dbt_project.yml").read_text())["vars"])
    macro = (PROJECT_DIR / "macros" / "project_vars.sql").read_text()
    body = macro[macro.index("macro article_recs_documented_vars"):macro.index("endmacro")]
    listed = set(re.findall(r"'(article_recs__\w+)'", body))
    assert listed == documented, (
        f"macros/project_vars.sql lists {sorted(listed - documented)} that dbt_project.yml does not document "
        f"and misses {sorted(documented - listed)}"
    )

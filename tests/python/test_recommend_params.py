"""RecommenderParams: dbt vars and per-site overrides in, typed parameters out."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from article_recs.recommend.params import RecommenderParams, parse_as_of

REPO = Path(__file__).resolve().parents[2]


def test_vars_rendered_as_text_or_none_are_coerced_or_defaulted() -> None:
    p = RecommenderParams.from_vars(
        {
            "article_recs__als_factors": "32",
            "article_recs__als_alpha": 4,
            "article_recs__eval_k": None,
            "article_recs__decay_half_life_days": "None",
            "unrelated": "x",
        }
    )
    assert p.als_factors == 32 and isinstance(p.als_factors, int)
    assert p.als_alpha == 4.0 and isinstance(p.als_alpha, float)
    assert p.eval_k == 10 and p.decay_half_life_days == 60.0


def test_site_row_overrides_only_non_empty_cells() -> None:
    sites = pd.DataFrame(
        {
            "site_id": ["herald", "metro"],
            "decay_half_life_days": [30.0, np.nan],
            "popularity_top_n": [np.nan, 20.0],
        }
    )
    base = RecommenderParams()
    assert base.for_site(sites, "herald").decay_half_life_days == 30.0
    assert base.for_site(sites, "herald").popularity_top_n == 50
    assert base.for_site(sites, "metro").popularity_top_n == 20
    assert base.for_site(sites, "nowhere") == base


def test_non_integer_for_an_integer_knob_is_an_error() -> None:
    with pytest.raises(ValueError, match="als_factors"):
        RecommenderParams.from_vars({"als_factors": "6.5"})


def test_as_of_var_parses_to_naive_utc() -> None:
    assert parse_as_of(None) is None and parse_as_of("") is None
    assert parse_as_of("2024-03-01T12:00:00+01:00") == pd.Timestamp("2024-03-01 11:00:00")


def test_defaults_match_dbt_project_vars() -> None:
    project = REPO / "dbt_project.yml"
    if not project.exists():
        pytest.skip("no dbt_project.yml")
    dbt_vars = yaml.safe_load(project.read_text()).get("vars", {})
    defaults = RecommenderParams().to_dict()
    checked = 0
    for name, default in defaults.items():
        key = f"article_recs__{name}"
        if key in dbt_vars:
            assert float(dbt_vars[key]) == float(default), key
            checked += 1
    assert checked >= 10

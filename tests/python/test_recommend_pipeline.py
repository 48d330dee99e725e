"""Per-site orchestration and the functions the dbt Python models call."""

import json

import pandas as pd
import pytest

from article_recs.recommend.dbt_models import (
    ALS_TABLE_COLUMNS,
    als_recommendations_table,
    eval_als_recommendations_table,
    eval_oracle_recommendations_table,
    window_start,
)
from article_recs.recommend.oracle import ORACLE_COLUMNS
from article_recs.recommend.synthetic import synthetic_data

AS_OF = pd.Timestamp("2024-03-01")
VARS = {
    "article_recs__als_factors": 8,
    "article_recs__als_iterations": 5,
    "article_recs__als_threads": 1,
    "article_recs__recs_per_source": 5,
}


@pytest.fixture(scope="module")
def two_sites():
    i1, a1 = synthetic_data(300, 40, 2500, site_id="herald", seed=1, as_of=AS_OF)
    i2, a2 = synthetic_data(200, 30, 1500, site_id="metro", seed=2, as_of=AS_OF)
    sites = pd.DataFrame(
        {
            "site_id": ["herald", "metro"],
            "as_of": [AS_OF, AS_OF],
            "decay_half_life_days": [30.0, 120.0],
            "recs_per_source": [5, 5],
            "popularity_window_days": [7, 7],
            "training_window_days": [28, 28],
        }
    )
    return pd.concat([i1, i2], ignore_index=True), pd.concat([a1, a2], ignore_index=True), sites


def test_every_trained_article_and_reader_gets_n_recommendations(two_sites) -> None:
    inter, arts, sites = two_sites
    # an article read in the window but filtered out of training still gets a (popularity) list
    recent = pd.concat([inter, inter.head(1).assign(article_id="a_untrained")], ignore_index=True)
    out = als_recommendations_table(inter, arts, sites, VARS, recent_interactions=recent)
    assert list(out.columns) == ALS_TABLE_COLUMNS
    sizes = out.groupby(["site_id", "source_entity_type", "source_entity_id"]).size()
    assert (sizes == 5).all()
    assert ("herald", "article", "a_untrained") in sizes.index
    assert out["score"].between(0, 1, inclusive="right").all()
    assert (
        out.groupby(["site_id", "source_entity_type", "source_entity_id"])["score"].apply(
            lambda s: s.is_monotonic_decreasing
        )
    ).all()
    assert not (out["source_entity_id"] == out["recommended_article_id"]).any()
    params = out.groupby("site_id")["params_json"].first().map(json.loads)
    assert (
        params["herald"]["decay_half_life_days"] == 30.0 and params["metro"]["decay_half_life_days"] == 120.0
    )
    assert params["herald"]["als_factors"] == 8


def test_eval_lists_cover_pair_sources_and_holdout_readers(two_sites) -> None:
    inter, arts, sites = two_sites
    pairs = pd.DataFrame(
        {
            "site_id": "herald",
            "domain_userid": "u1",
            "domain_sessionid": "x",
            "source_article_id": ["a1", "a_new"],
            "next_article_id": ["a2", "a3"],
            "next_read_at": AS_OF,
        }
    )
    holdout = pd.DataFrame(
        {"site_id": ["herald", "metro"], "domain_userid": ["u1", "stranger"], "article_id": ["a5", "a6"]}
    )
    out = eval_als_recommendations_table(inter, arts, pairs, holdout, sites, VARS)
    lists = out.groupby(["site_id", "task", "source_entity_id"]).size()
    assert set(lists.index) == {
        ("herald", "related", "a1"),
        ("herald", "related", "a_new"),
        ("herald", "reader", "u1"),
        ("metro", "reader", "stranger"),
    }
    assert (lists == 5).all()


def test_oracle_table_is_empty_without_ground_truth() -> None:
    out = eval_oracle_recommendations_table(None, None, None, None, None)
    assert out.empty and list(out.columns) == ORACLE_COLUMNS


def test_window_start_is_a_sql_timestamp_a_day_before_the_earliest_window(two_sites) -> None:
    _, _, sites = two_sites
    assert (
        window_start(sites, VARS, "training_window_days", "popularity_window_days") == "2024-02-01 00:00:00"
    )

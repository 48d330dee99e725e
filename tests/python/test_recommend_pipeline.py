"""Per-site orchestration and the functions the dbt Python models call."""

import numpy as np
import pandas as pd
import pytest

from article_recs.recommend.dbt_models import (
    ALS_LISTS_SCHEMA,
    als_lists_table,
    eval_als_recommendations_table,
    eval_oracle_recommendations_table,
    window_start,
)
from article_recs.recommend.oracle import ORACLE_COLUMNS
from article_recs.recommend.params import RecommenderParams
from article_recs.recommend.pipeline import als_for_sites, site_contexts
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


def test_als_lists_are_the_models_own_lists_and_hold_the_candidate_rules(two_sites) -> None:
    inter, arts, sites = two_sites
    # a read in the window that training dropped (e.g. too short): reader lists must still skip it
    reader = inter[inter["site_id"] == "herald"]["domain_userid"].iloc[0]
    unread = sorted(set(arts[arts["site_id"] == "herald"]["article_id"]) - set(
        inter[(inter["site_id"] == "herald") & (inter["domain_userid"] == reader)]["article_id"]
    ))
    window = pd.concat(
        [
            inter[["site_id", "domain_userid", "article_id"]],
            pd.DataFrame({"site_id": ["herald"], "domain_userid": [reader], "article_id": [unread[0]]}),
        ],
        ignore_index=True,
    )
    table = als_lists_table(inter, arts, sites, VARS, window_reads=window)
    assert table.schema == ALS_LISTS_SCHEMA
    out = table.to_pandas()
    keys = ["site_id", "source_entity_type", "source_entity_id"]
    lists = out.groupby(keys)
    assert lists.size().between(1, 5).all()
    assert (lists["rank"].apply(lambda r: list(r) == list(range(1, len(r) + 1)))).all()
    assert (lists["score"].apply(lambda x: x.is_monotonic_decreasing)).all()
    assert out["score"].between(0, 1, inclusive="right").all()
    assert not (out["source_entity_id"] == out["recommended_article_id"]).any()
    read_back = out[out["source_entity_type"] == "reader"].merge(
        window.rename(columns={"domain_userid": "source_entity_id", "article_id": "recommended_article_id"})
    )
    assert read_back.empty
    metro_article = inter[inter["site_id"] == "metro"]["article_id"].iloc[0]
    assert {("herald", "reader", reader), ("metro", "article", metro_article)} <= set(lists.size().index)
    stats = out.groupby("site_id")[["n_interactions", "n_readers", "n_articles"]].nunique()
    assert (stats == 1).all().all()  # constant per site

    # the same lists as the frame-based path with its candidate rules applied and no padding
    contexts = site_contexts(sites, RecommenderParams.from_vars(VARS))
    reads = window.assign(dwell_s=0.0, read_at=AS_OF)
    reference = als_for_sites(inter, arts, contexts, reads=reads, fill=False)
    cols = keys + ["recommended_article_id", "rank"]
    got = out[cols + ["score"]].sort_values(cols).reset_index(drop=True)
    want = reference[cols + ["score"]].sort_values(cols).reset_index(drop=True)
    pd.testing.assert_frame_equal(got[cols], want[cols].astype(got[cols].dtypes.to_dict()))
    assert np.allclose(got["score"], want["score"])


def test_als_lists_without_training_reads_is_an_empty_table_with_the_schema(two_sites) -> None:
    inter, arts, sites = two_sites
    empty = als_lists_table(inter.iloc[0:0], arts, sites, VARS)
    assert empty.num_rows == 0 and empty.schema == ALS_LISTS_SCHEMA


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

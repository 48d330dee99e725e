"""Popularity as the newsroom job computes it, on hand-computed reads."""

import pandas as pd
import pytest

from article_recs.recommend.popularity import (
    popularity_recommendations,
    popularity_scores,
    reads_from_page_views,
)

AS_OF = pd.Timestamp("2024-03-10")


def reads(rows):
    return pd.DataFrame(rows, columns=["site_id", "domain_userid", "article_id", "dwell_s", "read_at"])


def test_dwell_is_decayed_by_read_age_windowed_and_normalised_by_the_max() -> None:
    r = reads(
        [
            ("s", "u1", "a", 100.0, AS_OF),  # 100
            ("s", "u2", "a", 100.0, AS_OF - pd.Timedelta(days=10)),  # outside the 7-day window
            ("s", "u1", "b", 100.0, AS_OF - pd.Timedelta(days=5)),  # 100 * 0.5
            ("s", "u3", "b", 40.0, AS_OF - pd.Timedelta(days=5)),  # 40 * 0.5
            ("s", "u3", "c", 0.0, AS_OF),  # no dwell: not ranked
            ("s", "u3", "d", 50.0, AS_OF + pd.Timedelta(hours=1)),  # after as_of
            ("t", "u9", "z", 5.0, AS_OF),
        ]
    )
    out = popularity_scores(r, AS_OF, window_days=7, half_life_days=5, top_n=50)
    s = out[out["site_id"] == "s"].set_index("article_id")
    assert list(s.index) == ["a", "b"]
    assert s.loc["a", "weighted_dwell_s"] == pytest.approx(100.0)
    assert s.loc["b", "weighted_dwell_s"] == pytest.approx(70.0)
    assert s["score"].tolist() == pytest.approx([1.0, 0.7])
    assert s["rank"].tolist() == [1, 2]
    assert out[out["site_id"] == "t"]["score"].tolist() == [1.0]


def test_top_n_ties_break_on_article_id_and_candidates_restrict() -> None:
    r = reads([("s", "u", a, 10.0, AS_OF) for a in ["c", "a", "b"]])
    assert popularity_scores(r, AS_OF, top_n=2)["article_id"].tolist() == ["a", "b"]
    cands = pd.DataFrame({"site_id": ["s"], "article_id": ["c"]})
    assert popularity_scores(r, AS_OF, candidates=cands)["article_id"].tolist() == ["c"]


def test_popularity_rows_have_the_recommendation_shape() -> None:
    pv = pd.DataFrame(
        {
            "site_id": ["s", "s"],
            "domain_userid": ["u", "u"],
            "article_id": ["a", None],
            "engaged_time_in_s": [30, 10],
            "start_tstamp": [AS_OF, AS_OF],
        }
    )
    recs = popularity_recommendations(popularity_scores(reads_from_page_views(pv), AS_OF))
    assert recs.to_dict("records") == [
        {
            "site_id": "s",
            "strategy": "popularity",
            "source_entity_type": "default",
            "source_entity_id": "default",
            "recommended_article_id": "a",
            "rank": 1,
            "score": 1.0,
        }
    ]

"""Ranking metrics on hand-computed cases."""

import math

import pandas as pd
import pytest

from article_recs.recommend.metrics import catalog_coverage, mean_age_days, next_item_metrics, reader_metrics


def lists(rows, user=None) -> pd.DataFrame:
    frame = pd.DataFrame(
        rows, columns=["site_id", "strategy", "source_entity_id", "recommended_article_id", "rank"]
    )
    if user is not None:
        frame["domain_userid"] = user
    return frame


def value(frame, metric, k, strategy="m"):
    row = frame[(frame["metric"] == metric) & (frame["k"] == k) & (frame["strategy"] == strategy)]
    return float(row["value"].iloc[0])


def test_next_item_hit_at_1_at_3_a_miss_and_a_source_without_a_list() -> None:
    recs = lists(
        [
            ("s", "m", "a", "x", 1),
            ("s", "m", "b", "q", 1),
            ("s", "m", "b", "r", 2),
            ("s", "m", "b", "y", 3),
            ("s", "m", "c", "q", 1),
        ]
    )
    cases = pd.DataFrame(
        {"site_id": "s", "source_article_id": ["a", "b", "c", "d"], "next_article_id": ["x", "y", "z", "w"]}
    )
    out = next_item_metrics(cases, recs, ks=(1, 3))
    assert value(out, "hr", 1) == pytest.approx(1 / 4)
    assert value(out, "hr", 3) == pytest.approx(2 / 4)
    assert value(out, "ndcg", 3) == pytest.approx((1.0 + 0.5) / 4)  # rank 3: 1/log2(4) = 0.5
    assert value(out, "mrr", 3) == pytest.approx((1.0 + 1 / 3) / 4)
    assert value(out, "ndcg", 1) == pytest.approx(1 / 4)


def test_per_reader_lists_only_match_their_reader() -> None:
    recs = lists([("s", "m", "a", "x", 1)], user="u1")
    cases = pd.DataFrame(
        {"site_id": "s", "domain_userid": ["u1", "u2"], "source_article_id": "a", "next_article_id": "x"}
    )
    assert value(next_item_metrics(cases, recs), "hr", 10) == pytest.approx(0.5)


def test_reader_recall_and_ndcg() -> None:
    recs = lists(
        [
            ("s", "m", "u1", "x", 1),
            ("s", "m", "u1", "p", 2),
            ("s", "m", "u1", "y", 3),
            ("s", "m", "u2", "z", 2),
        ]
    )
    holdout = pd.DataFrame(
        {"site_id": "s", "domain_userid": ["u1", "u1", "u1", "u2"], "article_id": ["x", "y", "w", "z"]}
    )
    out = reader_metrics(holdout, recs, ks=(3,))
    # u1: 2 of 3 found at ranks 1 and 3; u2: 1 of 1 at rank 2
    assert value(out, "recall", 3) == pytest.approx((2 / 3 + 1) / 2)
    idcg3 = 1 + 1 / math.log2(3) + 1 / math.log2(4)
    assert value(out, "ndcg", 3) == pytest.approx(((1 + 0.5) / idcg3 + (1 / math.log2(3)) / 1) / 2)


def test_coverage_and_mean_age() -> None:
    recs = lists([("s", "m", "a", "x", 1), ("s", "m", "b", "x", 1), ("s", "m", "b", "y", 2)])
    cands = pd.DataFrame({"site_id": "s", "article_id": ["x", "y", "z", "w"]})
    assert value(catalog_coverage(recs, cands, ks=(1, 2)), "coverage", 1) == pytest.approx(1 / 4)
    assert value(catalog_coverage(recs, cands, ks=(1, 2)), "coverage", 2) == pytest.approx(2 / 4)
    arts = pd.DataFrame(
        {
            "site_id": "s",
            "article_id": ["x", "y"],
            "published_at": pd.to_datetime(["2024-03-09", "2024-03-06"]),
        }
    )
    ages = mean_age_days(recs, arts, pd.Timestamp("2024-03-10"), ks=(2,))
    assert value(ages, "mean_age_days", 2) == pytest.approx((1 + 1 + 4) / 3)

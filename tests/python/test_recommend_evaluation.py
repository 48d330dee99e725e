"""Offline evaluation helpers and the long metrics frame."""

import pandas as pd
import pytest

from article_recs.recommend.evaluation import (
    EVAL_COLUMNS,
    evaluate,
    interactions_from_page_views,
    next_in_session_pairs,
    reader_holdout,
    split_by_time,
)

T = pd.Timestamp("2024-03-10 12:00")


def page_views() -> pd.DataFrame:
    rows = [
        # session s1 (test window): a -> (home) -> b -> b (reload) -> c
        ("p1", "s", "u", "s1", "a", T - pd.Timedelta(hours=5), 30),
        ("p2", "s", "u", "s1", None, T - pd.Timedelta(hours=5) + pd.Timedelta(minutes=1), 5),
        ("p3", "s", "u", "s1", "b", T - pd.Timedelta(hours=5) + pd.Timedelta(minutes=2), 40),
        ("p4", "s", "u", "s1", "b", T - pd.Timedelta(hours=5) + pd.Timedelta(minutes=3), 10),
        ("p5", "s", "u", "s1", "c", T - pd.Timedelta(hours=5) + pd.Timedelta(minutes=4), 20),
        # train window
        ("p6", "s", "u", "s0", "a", T - pd.Timedelta(days=2), 60),
        ("p7", "s", "v", "s2", "d", T - pd.Timedelta(days=3), 60),
    ]
    return pd.DataFrame(
        rows,
        columns=[
            "page_view_id",
            "site_id",
            "domain_userid",
            "domain_sessionid",
            "article_id",
            "start_tstamp",
            "engaged_time_in_s",
        ],
    )


def test_split_pairs_and_holdout() -> None:
    train, test, cut = split_by_time(page_views(), as_of=T, holdout_hours=24)
    assert cut == T - pd.Timedelta(hours=24)
    assert set(train["page_view_id"]) == {"p6", "p7"} and len(test) == 5
    pairs = next_in_session_pairs(test)
    assert list(zip(pairs["source_article_id"], pairs["next_article_id"], strict=True)) == [
        ("a", "b"),
        ("b", "c"),
    ]
    assert pairs["next_read_at"].iloc[0] == T - pd.Timedelta(hours=5) + pd.Timedelta(minutes=2)
    holdout = reader_holdout(test, train)
    assert sorted(holdout["article_id"]) == ["b", "c"]  # u read a before the cut
    inter = interactions_from_page_views(test)
    assert (
        inter.set_index("article_id").loc["b", "dwell_s"] == 50
        and inter.set_index("article_id").loc["b", "reads"] == 2
    )


def test_evaluate_long_frame_expands_default_lists_per_source() -> None:
    pairs = pd.DataFrame(
        {
            "site_id": "s",
            "domain_userid": "u",
            "domain_sessionid": "x",
            "source_article_id": ["a", "b"],
            "next_article_id": ["b", "c"],
            "next_read_at": T,
        }
    )
    holdout = pd.DataFrame({"site_id": "s", "domain_userid": ["u"], "article_id": ["c"]})
    cols = [
        "site_id",
        "strategy",
        "source_entity_type",
        "source_entity_id",
        "recommended_article_id",
        "rank",
        "score",
    ]
    model = pd.DataFrame(
        [("s", "m", "article", "a", "b", 1, 0.9), ("s", "m", "reader", "u", "c", 2, 0.5)], columns=cols
    )
    popular = pd.DataFrame(
        [
            ("s", "popularity", "default", "default", x, i + 1, 1.0 / (i + 1))
            for i, x in enumerate(["b", "c", "a"])
        ],
        columns=cols,
    )
    read = pd.DataFrame({"site_id": ["s"], "domain_userid": ["u"], "article_id": ["b"]})
    cands = pd.DataFrame({"site_id": "s", "article_id": ["a", "b", "c", "d"]})
    out = evaluate(
        {"m": model, "popularity": popular}, pairs, holdout, candidates=cands, ks=(1, 2), read=read
    )
    assert list(out.columns) == EVAL_COLUMNS

    def v(strategy, task, metric, k):
        sel = out[
            (out["strategy"] == strategy)
            & (out["task"] == task)
            & (out["metric"] == metric)
            & (out["k"] == k)
        ]
        return float(sel["value"].iloc[0])

    assert v("m", "related", "hr", 1) == pytest.approx(0.5)  # a->b hit at 1; b has no list
    # popularity for source b: [c, a] (b itself dropped) -> c at rank 1; for a: [b, c] -> b at rank 1
    assert v("popularity", "related", "hr", 1) == pytest.approx(1.0)
    # reader u: popularity without read b -> [c, a]: c at rank 1
    assert v("popularity", "reader", "recall", 1) == pytest.approx(1.0)
    assert v("m", "reader", "recall", 1) == 0.0 and v("m", "reader", "recall", 2) == 1.0
    assert v("m", "related", "n_cases", 0) == 2

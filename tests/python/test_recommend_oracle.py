"""The oracle against a fake GroundTruth with the documented score_candidates signature."""

import pandas as pd
import pytest

from article_recs.recommend.oracle import ORACLE_COLUMNS, oracle_recommendations


class FakeTruth:
    """Scores: a fixed preference per reader, boosted for articles 'after' the source."""

    def __init__(self) -> None:
        self.calls = []

    def score_candidates(self, site_id, domain_userid, at, source_article_id=None, read_article_ids=None):
        if domain_userid == "ghost":
            raise KeyError(domain_userid)
        self.calls.append((site_id, domain_userid, pd.Timestamp(at), source_article_id, read_article_ids))
        base = {"a": 4.0, "b": 3.0, "c": 2.0, "d": 1.0, "e": 0.0}
        if source_article_id == "a":
            base["d"] = 8.0
        return pd.Series(base)


def test_oracle_related_and_reader_lists() -> None:
    truth = FakeTruth()
    t = pd.Timestamp("2024-03-10 10:00")
    pairs = pd.DataFrame(
        {
            "site_id": "s",
            "domain_userid": ["u", "u", "v"],
            "domain_sessionid": "x",
            "source_article_id": ["a", "a", "b"],
            "next_article_id": ["d", "c", "a"],
            "next_read_at": [t + pd.Timedelta(hours=2), t, t],
        }
    )
    holdout = pd.DataFrame({"site_id": "s", "domain_userid": ["u", "ghost"], "article_id": ["c", "c"]})
    read = pd.DataFrame({"site_id": "s", "domain_userid": ["u"], "article_id": ["b"]})
    out = oracle_recommendations(truth, pairs, holdout, t - pd.Timedelta(hours=1), n=3, read=read)
    assert list(out.columns) == ORACLE_COLUMNS and set(out["strategy"]) == {"oracle"}

    rel_u = out[(out["task"] == "related") & (out["domain_userid"] == "u")]
    assert rel_u["recommended_article_id"].tolist() == ["d", "b", "c"]  # not the source, one list per (u, a)
    assert rel_u["score"].tolist() == pytest.approx([1.0, 3 / 8, 2 / 8])
    assert ("s", "u", t, "a", ["b"]) in truth.calls  # the earliest pair's time, the history told

    reader = out[out["task"] == "reader"]
    assert reader["recommended_article_id"].tolist() == ["a", "c", "d"]  # b was read; e scores 0
    assert reader["source_entity_id"].unique().tolist() == ["u"]
    assert reader["rank"].tolist() == [1, 2, 3]


def test_oracle_with_nothing_to_score_has_the_columns() -> None:
    empty = pd.DataFrame(
        columns=["site_id", "domain_userid", "source_article_id", "next_read_at", "article_id"]
    )
    out = oracle_recommendations(FakeTruth(), empty, empty, pd.Timestamp("2024-01-01"), n=3)
    assert out.empty and list(out.columns) == ORACLE_COLUMNS

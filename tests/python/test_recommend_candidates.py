"""Candidate rules and gap filling shared by every strategy."""

import pandas as pd
import pytest

from article_recs.recommend.candidates import (
    FILL_SCORE_SHRINK,
    apply_candidate_rules,
    candidate_articles,
    fill_gaps,
)

AS_OF = pd.Timestamp("2024-03-10")


def articles() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "site_id": ["s", "s", "s", "s", "t"],
            "article_id": ["fresh", "old", "later", "nodate", "fresh"],
            "first_seen_at": pd.to_datetime(
                ["2024-03-09", "2023-01-01", "2024-03-11", "2024-03-08", "2024-03-09"]
            ),
            "published_at": pd.to_datetime(["2024-03-08", "2023-01-01", "2024-03-11", None, "2024-03-09"]),
        }
    )


def test_candidates_exist_at_as_of_and_are_young_enough() -> None:
    c = candidate_articles(articles(), AS_OF, max_article_age_days=30, decay_half_life_days=2)
    assert sorted(zip(c["site_id"], c["article_id"], strict=True)) == [
        ("s", "fresh"),
        ("s", "nodate"),
        ("t", "fresh"),
    ]
    fresh = c[(c["site_id"] == "s") & (c["article_id"] == "fresh")].iloc[0]
    assert fresh["age_days"] == 2.0 and fresh["decay"] == pytest.approx(0.5)


def recs(rows) -> pd.DataFrame:
    return pd.DataFrame(
        rows,
        columns=[
            "site_id",
            "strategy",
            "source_entity_type",
            "source_entity_id",
            "recommended_article_id",
            "rank",
            "score",
        ],
    )


def test_rules_drop_self_read_and_non_candidates_then_rerank() -> None:
    r = recs(
        [
            ("s", "als", "article", "a", "a", 1, 0.9),  # self
            ("s", "als", "article", "a", "x", 2, 0.8),  # not a candidate
            ("s", "als", "article", "a", "b", 3, 0.7),
            ("s", "als", "reader", "u", "b", 1, 0.9),  # read by u
            ("s", "als", "reader", "u", "c", 2, 0.5),
            ("s", "als", "reader", "v", "b", 1, 0.4),
        ]
    )
    cands = pd.DataFrame({"site_id": "s", "article_id": ["a", "b", "c"]})
    read = pd.DataFrame({"site_id": ["s"], "domain_userid": ["u"], "article_id": ["b"]})
    out = apply_candidate_rules(r, cands, read=read)
    got = {(row.source_entity_id, row.recommended_article_id): row.rank for row in out.itertuples()}
    assert got == {("a", "b"): 1, ("u", "c"): 1, ("v", "b"): 1}


def test_gap_filling_pads_after_the_model_below_its_last_score_without_self_or_duplicates() -> None:
    r = recs([("s", "als", "article", "a", "b", 1, 0.8), ("s", "als", "article", "a", "c", 2, 0.6)])
    sources = pd.DataFrame(
        {"site_id": "s", "strategy": "als", "source_entity_type": "article", "source_entity_id": ["a", "z"]}
    )
    popular = pd.DataFrame(
        {"site_id": "s", "article_id": ["a", "c", "d", "e", "f"], "score": [1.0, 0.9, 0.5, 0.4, 0.2]}
    )
    out = fill_gaps(r, sources, popular, n=4)
    a = out[out["source_entity_id"] == "a"]
    assert a["recommended_article_id"].tolist() == ["b", "c", "d", "e"]
    assert a["rank"].tolist() == [1, 2, 3, 4]
    assert a["score"].tolist() == pytest.approx(
        [0.8, 0.6, 0.6 * FILL_SCORE_SHRINK * 0.5, 0.6 * FILL_SCORE_SHRINK * 0.4]
    )
    z = out[out["source_entity_id"] == "z"]  # no model items: popularity as it is, without the source
    assert z["recommended_article_id"].tolist() == ["a", "c", "d", "e"]
    assert z["score"].tolist() == pytest.approx([1.0, 0.9, 0.5, 0.4])


def test_gap_filling_skips_what_the_reader_read() -> None:
    sources = pd.DataFrame(
        {"site_id": ["s"], "strategy": ["als"], "source_entity_type": ["reader"], "source_entity_id": ["u"]}
    )
    popular = pd.DataFrame({"site_id": "s", "article_id": ["a", "b", "c"], "score": [1.0, 0.5, 0.25]})
    read = pd.DataFrame({"site_id": ["s"], "domain_userid": ["u"], "article_id": ["a"]})
    out = fill_gaps(recs([]), sources, popular, n=5, read=read)
    assert out["recommended_article_id"].tolist() == ["b", "c"] and out["rank"].tolist() == [1, 2]

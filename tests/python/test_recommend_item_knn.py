"""The Python reference of the SQL item-kNN on hand-checkable data (the SQL is pinned to it in
test_recommender_e2e.py)."""

import numpy as np
import pandas as pd
import pytest

from article_recs.recommend.item_knn import KnnParams, capped_reads, item_knn_lists, neighbours

T0 = pd.Timestamp("2024-03-10 12:00")


def reads(rows: list[tuple[str, str, float, int]]) -> pd.DataFrame:
    """(reader, article, dwell_s, minutes ago)."""
    return pd.DataFrame(
        {
            "site_id": "s",
            "domain_userid": [r[0] for r in rows],
            "article_id": [r[1] for r in rows],
            "dwell_s": [r[2] for r in rows],
            "last_read_at": [T0 - pd.Timedelta(minutes=r[3]) for r in rows],
        }
    )


def candidates(*ids: str, decay: float = 1.0) -> pd.DataFrame:
    return pd.DataFrame({"site_id": "s", "article_id": list(ids), "decay": decay})


def test_cosine_of_log_dwell_weights_times_decay() -> None:
    inter = reads([("u", "a", 60, 1), ("u", "b", 60, 2), ("v", "a", 60, 1), ("v", "c", 300, 2)])
    pairs = neighbours(capped_reads(inter, 50), candidates("a", "b", "c", decay=0.5))
    w60, w300 = np.log1p(60), np.log1p(300)
    ab = pairs.set_index(["source_article_id", "recommended_article_id"])["similarity"]
    # a is read by u and v with the same weight: cos(a, b) = w60^2 / (sqrt(2) w60 * w60)
    assert ab[("a", "b")] == pytest.approx(1 / np.sqrt(2))
    assert ab[("a", "c")] == pytest.approx(w60 * w300 / (np.sqrt(2) * w60 * w300))
    assert ("b", "c") not in ab.index  # no shared reader
    assert not (pairs["source_article_id"] == pairs["recommended_article_id"]).any()
    assert pairs["score"].to_numpy() == pytest.approx(pairs["similarity"].to_numpy() * 0.5)


def test_heavy_reader_only_counts_their_most_recent_reads() -> None:
    inter = reads([("heavy", f"x{i}", 60, i) for i in range(30)] + [("u", "x29", 60, 1), ("u", "y", 60, 2)])
    capped = capped_reads(inter, 5)
    assert sorted(capped[capped["domain_userid"] == "heavy"]["article_id"]) == ["x0", "x1", "x2", "x3", "x4"]
    pairs = neighbours(capped, candidates(*[f"x{i}" for i in range(30)], "y"))
    assert "x29" in set(pairs[pairs["source_article_id"] == "y"]["recommended_article_id"])
    assert len(pairs) == 5 * 4 + 2  # the heavy reader's 5 reads pair up, plus x29 <-> y


def test_lists_skip_non_candidates_and_what_the_reader_read() -> None:
    inter = reads(
        [("u", "a", 60, 1), ("u", "b", 60, 2), ("v", "a", 60, 1), ("v", "c", 60, 2), ("w", "b", 60, 1)]
    )
    out = item_knn_lists(
        inter,
        candidates("a", "b"),  # c is too old, say
        KnnParams(recs_per_source=5),
        "s",
        read=pd.DataFrame({"domain_userid": ["w"], "article_id": ["zzz"]}),
    )
    related = out[out["source_entity_type"] == "article"]
    assert "c" not in set(related["recommended_article_id"])
    assert not (related["source_entity_id"] == related["recommended_article_id"]).any()
    w_list = out[(out["source_entity_type"] == "reader") & (out["source_entity_id"] == "w")]
    assert w_list["recommended_article_id"].tolist() == ["a"]  # b is w's own read
    assert out["score"].between(0, 1).all() and (out["rank"] >= 1).all()

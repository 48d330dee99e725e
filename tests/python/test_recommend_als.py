"""ALS wrapper: confidence matrix, determinism, and top-N equal to a brute-force computation."""

import copy

import numpy as np
import pandas as pd
import pytest

from article_recs.recommend.als import (
    build_user_items,
    candidate_weights,
    confidence,
    fit_als,
    reader_recommendation_indices,
    reader_recommendations,
    related_articles,
    seen_matrix,
)
from article_recs.recommend.params import RecommenderParams
from article_recs.recommend.synthetic import synthetic_data

AS_OF = pd.Timestamp("2024-03-01")
PARAMS = RecommenderParams(als_factors=8, als_iterations=10, als_threads=1, decay_half_life_days=20)


@pytest.fixture(scope="module")
def fitted_site():
    inter, arts = synthetic_data(400, 60, 4000, n_topics=4, topic_affinity=0.95, seed=5, as_of=AS_OF)
    # the candidates of the cut (as recommender_candidates gives them): every article but a3 (too old, say),
    # each with a decay of its own
    cands = arts.loc[arts["article_id"] != "a3", ["site_id", "article_id"]].reset_index(drop=True)
    cands["decay"] = 0.5 ** (np.arange(len(cands)) % 7 / 3.0)
    return inter, cands, fit_als(inter, PARAMS, "site")


def test_confidence_is_one_plus_alpha_log1p_dwell_summed_over_duplicates() -> None:
    inter = pd.DataFrame(
        {"domain_userid": ["u2", "u1", "u1"], "article_id": ["b", "a", "a"], "dwell_s": [0.0, 10.0, np.nan]}
    )
    m, readers, arts = build_user_items(inter, alpha=2.0)
    assert readers.tolist() == ["u1", "u2"] and arts.tolist() == ["a", "b"]
    np.testing.assert_allclose(m.toarray(), [[1 + 2 * np.log1p(10.0), 0.0], [0.0, 1.0]], rtol=1e-6)
    assert confidence([-5.0], 8).tolist() == [1.0]


def test_fit_is_deterministic_for_a_seed(fitted_site) -> None:
    inter, _, fitted = fitted_site
    again = fit_als(inter, PARAMS, "site")
    np.testing.assert_array_equal(fitted.model.item_factors, again.model.item_factors)
    assert fitted.stats["n_interactions"] == 4000 and fitted.stats["n_articles"] == 60


def test_related_equals_brute_force_cosine_times_decay(fitted_site) -> None:
    _, cands, fitted = fitted_site
    rel = related_articles(fitted, cands, n=5)
    y = fitted.model.item_factors / np.linalg.norm(fitted.model.item_factors, axis=1, keepdims=True)
    decay = cands.set_index("article_id")["decay"].reindex(fitted.article_ids).fillna(0).to_numpy()
    sims = np.clip(y @ y.T, 0, None) * decay[None, :]
    np.fill_diagonal(sims, 0)
    for i in [0, 7, 42]:
        expected = fitted.article_ids[np.argsort(-sims[i], kind="stable")[:5]].tolist()
        got = rel[rel["source_article_id"] == fitted.article_ids[i]]
        assert got["recommended_article_id"].tolist() == expected
        assert got["score"].to_numpy() == pytest.approx(np.sort(sims[i])[::-1][:5], rel=1e-4)
    assert (rel["source_article_id"] != rel["recommended_article_id"]).all()
    assert "a3" not in set(rel["recommended_article_id"])
    assert rel["score"].between(0, 1, inclusive="right").all()
    assert (rel.groupby("source_article_id")["rank"].apply(list) == [[1, 2, 3, 4, 5]] * 60).all()


def test_related_articles_share_the_planted_topic(fitted_site) -> None:
    _, cands, fitted = fitted_site
    rel = related_articles(fitted, cands, n=3)
    topic = lambda ids: ids.str[1:].astype(int) % 4  # noqa: E731
    assert (topic(rel["source_article_id"]) == topic(rel["recommended_article_id"])).mean() > 0.8


def test_reader_lists_equal_brute_force_and_skip_read_and_non_candidates(fitted_site) -> None:
    inter, cands, fitted = fitted_site
    recs = reader_recommendations(fitted, cands, n=5, readers=["u0", "u17", "nobody"])
    assert set(recs["domain_userid"]) == {"u0", "u17"}
    decay = cands.set_index("article_id")["decay"].reindex(fitted.article_ids).fillna(0).to_numpy()
    for user in ["u0", "u17"]:
        row = int(np.flatnonzero(fitted.reader_ids == user)[0])
        pred = (fitted.model.user_factors[row] @ fitted.model.item_factors.T) * decay
        pred[fitted.user_items[row].indices] = -np.inf
        pred[decay == 0] = -np.inf
        expected = fitted.article_ids[np.argsort(-pred, kind="stable")[:5]].tolist()
        got = recs[recs["domain_userid"] == user]
        assert got["recommended_article_id"].tolist() == expected
        assert got["score"].to_numpy() == pytest.approx(np.clip(np.sort(pred)[::-1][:5], 0, 1), rel=1e-4)
        read = set(inter.loc[inter["domain_userid"] == user, "article_id"])
        assert not read & set(got["recommended_article_id"])
    assert "a3" not in set(recs["recommended_article_id"])


def test_reader_lists_are_implicits_own_recommend_with_the_reads_filtered(fitted_site) -> None:
    inter, cands, fitted = fitted_site
    weights = candidate_weights(fitted, cands)
    # a read training dropped (a second reader's, an article it did not train on): filtered out as well
    seen = seen_matrix(fitted, pd.DataFrame({"domain_userid": ["u3", "u3"], "article_id": ["a1", "a2"]}))
    rows = np.arange(len(fitted.reader_ids))
    row, item, rank, score = reader_recommendation_indices(fitted, weights, 5, rows, seen=seen)
    decayed = copy.copy(fitted.model)
    decayed.item_factors = (fitted.model.item_factors * weights[:, None]).astype(np.float32)
    ids, scores = decayed.recommend(
        rows, seen, N=5, filter_already_liked_items=True, filter_items=np.flatnonzero(weights <= 0)
    )
    keep = (ids >= 0) & (scores > 0)
    np.testing.assert_array_equal(row, np.broadcast_to(rows[:, None], ids.shape)[keep])
    np.testing.assert_array_equal(item, ids[keep])
    np.testing.assert_array_equal(score, np.clip(scores[keep].astype(np.float64), 0, 1))
    np.testing.assert_array_equal(rank, np.cumsum(keep, axis=1)[keep])
    u3 = int(np.flatnonzero(fitted.reader_ids == "u3")[0])
    assert not {"a1", "a2"} & set(fitted.article_ids[item[row == u3]])

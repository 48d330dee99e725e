"""The ranked strategy's second stage (article_recs.recommend.ranker): a CatBoost ranker trained per
(site, cut) on the labels of earlier cuts only, re-ranking ranker_candidates rows.

The frames here stand in for ranker_candidates / ranker_training_rows: two strategies (a, b) with a score and
a rank each, and a few base features. Labels follow strategy a on some cuts and strategy b on others, so which
cuts a model learnt from shows in how it ranks.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from article_recs.recommend.ranker import (
    RANKED_LISTS_SCHEMA,
    RankerParams,
    feature_columns,
    fit_ranker,
    ranked_lists_for_cut,
    ranked_lists_for_cuts,
    refit_point,
    top_lists,
    training_rows_before,
)

SITE = "s"
CUTS = [pd.Timestamp("2024-03-10 08:00:00") + pd.Timedelta(hours=2 * i) for i in range(4)]
PARAMS = RankerParams(iterations=60, depth=3, learning_rate=0.3, seed=7, threads=1, min_training_groups=5)


def candidate_frame(
    cut_at: pd.Timestamp, n_sources: int = 30, n_candidates: int = 8, seed: int = 0
) -> pd.DataFrame:
    """n_sources article sources, each with n_candidates candidates; strategies a and b rank them in
    independent random orders."""
    rng = np.random.default_rng(seed)
    rows = []
    for s in range(n_sources):
        order_a = rng.permutation(n_candidates)
        order_b = rng.permutation(n_candidates)
        for c in range(n_candidates):
            rows.append(
                {
                    "site_id": SITE,
                    "cut_at": cut_at,
                    "source_entity_type": "article",
                    "source_entity_id": f"src{s}",
                    "recommended_article_id": f"art{s}_{c}",
                    "score_a": 1.0 - order_a[c] / n_candidates,
                    "rank_a": order_a[c] + 1,
                    "score_b": 1.0 - order_b[c] / n_candidates,
                    "rank_b": order_b[c] + 1,
                    "n_strategies": 2,
                    "age_hours": float(rng.uniform(1, 48)),
                    "same_section": int(rng.integers(0, 2)),
                }
            )
    return pd.DataFrame(rows)


def labelled(candidates: pd.DataFrame, follows: str) -> pd.DataFrame:
    """Training rows: the candidate strategy ``follows`` ranks first is the next click; the labels are
    complete at the end of the cut's two-hour window."""
    rows = candidates.copy()
    rows["relevance"] = (rows[f"rank_{follows}"] == 1).astype(int)
    rows["eval_window_end"] = rows["cut_at"] + pd.Timedelta(hours=2)
    return rows


def history(follows_by_cut: dict[int, str]) -> pd.DataFrame:
    return pd.concat(
        [labelled(candidate_frame(CUTS[i], seed=10 + i), follows) for i, follows in follows_by_cut.items()],
        ignore_index=True,
    )


def firsts(lists: pd.DataFrame, candidates: pd.DataFrame, strategy: str) -> float:
    """The share of lists whose rank-1 item is strategy ``strategy``'s first."""
    top = lists[lists["rank"] == 1].merge(candidates, on=["source_entity_id", "recommended_article_id"])
    return float((top[f"rank_{strategy}"] == 1).mean())


def test_training_rows_before_keeps_only_labels_complete_at_the_cut() -> None:
    rows = history({0: "a", 1: "a", 2: "b", 3: "b"})
    kept = training_rows_before(rows, SITE, CUTS[2], 24)
    # cut 0's window ends at 10:00, cut 1's at 12:00 = cut 2: complete; cut 2's ends at 14:00, cut 3's later
    assert sorted(kept["cut_at"].unique()) == [CUTS[0], CUTS[1]]
    assert (kept["eval_window_end"] <= CUTS[2]).all()
    assert training_rows_before(rows, "other-site", CUTS[3], 24).empty


def test_training_rows_before_keeps_only_the_training_window_before_the_cut() -> None:
    """A fixed window of hours, not every earlier cut: a cut's model then learns from the same rows whether
    it was computed when it was served or by a full refresh hours later (recommender_cuts' training tail)."""
    rows = history({0: "a", 1: "a", 2: "b", 3: "b"})
    # cut 3 (14:00) with a 4-hour window: cuts 1 (10:00) and 2 (12:00), not cut 0 (08:00, 6 h before)
    kept = training_rows_before(rows, SITE, CUTS[3], 4)
    assert sorted(kept["cut_at"].unique()) == [CUTS[1], CUTS[2]]
    assert training_rows_before(rows, SITE, CUTS[3], 0).empty
    # the window reaches the ranked lists: with 2 hours cut 3 learns from cut 2 alone (labels follow b)
    candidates = candidate_frame(CUTS[3], seed=99)
    narrow = RankerParams(**{**PARAMS.__dict__, "training_hours": 2})
    lists = ranked_lists_for_cut(SITE, CUTS[3], candidates, rows, 5, narrow)
    assert lists["n_training_cuts"].iloc[0] == 1 and firsts(lists, candidates, "b") > 0.9
    assert RankerParams.from_vars({"article_recs__ranker_training_hours": "6"}).training_hours == 6


def test_pooled_sites_share_earlier_labels_and_only_earlier_ones() -> None:
    here = history({0: "a"})
    there = history({0: "a", 1: "b", 2: "b"}).assign(site_id="other-site")
    rows = pd.concat([here, there], ignore_index=True)
    pooled = training_rows_before(rows, None, CUTS[2], 24)
    assert sorted(set(zip(pooled["site_id"], pooled["cut_at"], strict=True))) == [
        ("other-site", CUTS[0]),
        ("other-site", CUTS[1]),
        (SITE, CUTS[0]),
    ]
    candidates = candidate_frame(CUTS[2], seed=99)
    own_only = RankerParams(**{**PARAMS.__dict__, "pool_sites": False})
    own = ranked_lists_for_cut(SITE, CUTS[2], candidates, rows, 5, own_only)
    shared = ranked_lists_for_cut(SITE, CUTS[2], candidates, rows, 5, PARAMS)
    assert own["n_training_groups"].iloc[0] == 30 and shared["n_training_groups"].iloc[0] == 90
    assert RankerParams.from_vars({"article_recs__ranker_pool_sites": "False"}).pool_sites is False
    assert RankerParams.from_vars({"article_recs__ranker_pool_sites": "True"}).pool_sites is True


def test_the_ranker_learns_the_strategy_the_earlier_labels_follow() -> None:
    candidates = candidate_frame(CUTS[2], seed=99)
    lists = ranked_lists_for_cut(SITE, CUTS[2], candidates, history({0: "a", 1: "a"}), 5, PARAMS)
    assert lists["ranker"].unique().tolist() == ["catboost"]
    assert firsts(lists, candidates, "a") > 0.9
    assert firsts(lists, candidates, "b") < 0.4


def test_labels_of_the_scored_cut_and_later_cuts_do_not_change_its_lists() -> None:
    """Earlier cuts' clicks follow a; the scored cut's own clicks and a later cut's follow b. Were they used,
    the model would follow b (shown by moving them before the cut); they are not: the lists are those of a
    model trained on the earlier cuts alone."""
    candidates = candidate_frame(CUTS[2], seed=99)
    earlier = history({0: "a", 1: "a"})
    own_and_later = history({2: "b", 3: "b"})
    only_earlier = ranked_lists_for_cut(SITE, CUTS[2], candidates, earlier, 5, PARAMS)
    with_later = ranked_lists_for_cut(
        SITE, CUTS[2], candidates, pd.concat([earlier, own_and_later], ignore_index=True), 5, PARAMS
    )
    pd.testing.assert_frame_equal(
        only_earlier.drop(columns=["train_seconds"]), with_later.drop(columns=["train_seconds"])
    )
    assert with_later["n_training_cuts"].iloc[0] == 2
    assert pd.Timestamp(with_later["last_training_cut_at"].iloc[0]) == CUTS[1]

    # the same later labels, had they been complete before the cut, would have changed the model
    leaked = own_and_later.copy()
    leaked["eval_window_end"] = CUTS[2]
    with_leak = ranked_lists_for_cut(
        SITE, CUTS[2], candidates, pd.concat([earlier, leaked], ignore_index=True), 5, PARAMS
    )
    assert firsts(with_leak, candidates, "b") > firsts(only_earlier, candidates, "b") + 0.2


def test_scores_are_in_0_1_one_at_the_top_and_not_increasing_with_rank() -> None:
    candidates = candidate_frame(CUTS[2], seed=3)
    lists = ranked_lists_for_cut(SITE, CUTS[2], candidates, history({0: "a", 1: "b"}), 6, PARAMS)
    assert ((lists["score"] > 0) & (lists["score"] <= 1)).all()
    for _, one in lists.groupby("source_entity_id"):
        one = one.sort_values("rank")
        assert one["rank"].tolist() == list(range(1, len(one) + 1))
        assert len(one) == 6
        assert one["score"].iloc[0] == 1.0
        assert (np.diff(one["score"].to_numpy()) <= 0).all()


def test_lists_hold_only_the_sources_own_candidates_never_the_source() -> None:
    candidates = candidate_frame(CUTS[2], seed=5)
    # a source listed as its own candidate upstream would be a bug there; the ranker never adds articles
    lists = ranked_lists_for_cut(SITE, CUTS[2], candidates, history({0: "a", 1: "a"}), 5, PARAMS)
    pairs = set(zip(candidates["source_entity_id"], candidates["recommended_article_id"], strict=True))
    assert set(zip(lists["source_entity_id"], lists["recommended_article_id"], strict=True)) <= pairs
    assert not (lists["source_entity_id"] == lists["recommended_article_id"]).any()


def test_top_lists_break_ties_by_article_and_squash_by_the_best_raw_score() -> None:
    frame = pd.DataFrame(
        {
            "source_entity_type": ["reader"] * 4,
            "source_entity_id": ["u1"] * 4,
            "recommended_article_id": ["d", "c", "b", "a"],
        }
    )
    out = top_lists(frame, np.array([0.0, 2.0, 0.0, -1.0]), 3)
    assert out["recommended_article_id"].tolist() == ["c", "b", "d"]
    assert out["score"].tolist() == pytest.approx([1.0, np.exp(-2.0), np.exp(-2.0)])


def test_too_few_labelled_groups_fall_back_to_rank_fusion_and_say_so() -> None:
    candidates = candidate_frame(CUTS[1], seed=4)
    few = history({0: "a"})
    few = few[few["source_entity_id"].isin(["src0", "src1"])]  # 2 groups < min_training_groups = 5
    lists = ranked_lists_for_cut(SITE, CUTS[1], candidates, few, 3, PARAMS)
    assert lists["ranker"].unique().tolist() == ["rank_fusion"]
    assert lists["n_training_groups"].iloc[0] == 2
    assert lists["feature_importances"].isna().all()
    # reciprocal-rank fusion: a candidate first for both strategies beats one first for a only
    both = candidates[(candidates["rank_a"] == 1) & (candidates["rank_b"] == 1)]
    for source in both["source_entity_id"]:
        top = lists[(lists["source_entity_id"] == source) & (lists["rank"] == 1)]
        assert (
            top["recommended_article_id"].iloc[0]
            == both.loc[both["source_entity_id"] == source, "recommended_article_id"].iloc[0]
        )
    # no earlier cut at all: the same fallback, zero training rows
    none = ranked_lists_for_cut(SITE, CUTS[0], candidate_frame(CUTS[0]), history({1: "a"}), 3, PARAMS)
    assert none["ranker"].unique().tolist() == ["rank_fusion"]
    assert none["n_training_rows"].iloc[0] == 0


def test_the_table_carries_stats_params_and_importances_of_every_feature() -> None:
    cuts = pd.DataFrame({"site_id": [SITE, SITE], "cut_at": [CUTS[0], CUTS[2]], "recs_per_source": [4, 4]})
    candidates = pd.concat([candidate_frame(CUTS[0], seed=1), candidate_frame(CUTS[2], seed=2)])
    table = ranked_lists_for_cuts(
        cuts,
        candidates,
        history({0: "a", 1: "a"}),
        {
            "article_recs__ranker_iterations": "60",
            "article_recs__ranker_min_training_groups": "5",
            "article_recs__ranker_threads": "1",
        },
    )
    assert isinstance(table, pa.Table) and table.schema == RANKED_LISTS_SCHEMA
    frame = table.to_pandas()
    assert set(frame["strategy"]) == {"ranked"}
    by_cut = frame.groupby("cut_at")["ranker"].unique().to_dict()
    assert by_cut[CUTS[0]].tolist() == ["rank_fusion"]  # nothing labelled before the first cut
    assert by_cut[CUTS[2]].tolist() == ["catboost"]
    fitted = frame[frame["cut_at"] == CUTS[2]]
    importances = json.loads(fitted["feature_importances"].iloc[0])
    assert set(importances) == set(feature_columns(candidates))
    assert sum(importances.values()) == pytest.approx(100, abs=0.1)
    assert fitted["n_training_rows"].iloc[0] == 2 * 30 * 8
    assert fitted["n_training_groups"].iloc[0] == 2 * 30
    assert json.loads(fitted["ranker_params"].iloc[0])["iterations"] == 60
    assert json.loads(fitted["ranker_params"].iloc[0])["loss_function"] == "YetiRank"


def test_the_same_inputs_give_the_same_lists() -> None:
    candidates = candidate_frame(CUTS[2], seed=8)
    rows = history({0: "a", 1: "b"})
    one = ranked_lists_for_cut(SITE, CUTS[2], candidates, rows, 5, PARAMS)
    two = ranked_lists_for_cut(SITE, CUTS[2], candidates, rows.sample(frac=1, random_state=1), 5, PARAMS)
    pd.testing.assert_frame_equal(one.drop(columns=["train_seconds"]), two.drop(columns=["train_seconds"]))


def test_pooled_sites_at_the_same_cut_share_one_fit(monkeypatch: pytest.MonkeyPatch) -> None:
    import article_recs.recommend.ranker as ranker

    fits = []
    real_fit = ranker.fit_ranker
    monkeypatch.setattr(ranker, "fit_ranker", lambda *a, **k: fits.append(1) or real_fit(*a, **k))
    cuts = pd.DataFrame({"site_id": [SITE, "b"], "cut_at": [CUTS[2], CUTS[2]], "recs_per_source": [4, 4]})
    candidates = pd.concat(
        [candidate_frame(CUTS[2], seed=1), candidate_frame(CUTS[2], seed=2).assign(site_id="b")]
    )
    vars_ = {"article_recs__ranker_iterations": "30", "article_recs__ranker_min_training_groups": "5"}
    table = ranked_lists_for_cuts(cuts, candidates, history({0: "a", 1: "a"}), vars_).to_pandas()
    assert len(fits) == 1
    assert set(table["site_id"]) == {SITE, "b"} and set(table["ranker"]) == {"catboost"}
    fits.clear()
    own = ranked_lists_for_cuts(
        cuts, candidates, history({0: "a", 1: "a"}), {**vars_, "article_recs__ranker_pool_sites": "false"}
    ).to_pandas()
    assert len(fits) == 1  # site b has no labelled rows of its own: no fit, rank fusion
    assert own.groupby("site_id")["ranker"].first().to_dict() == {SITE: "catboost", "b": "rank_fusion"}


def test_refit_points_are_on_a_grid_anchored_at_midnight() -> None:
    at = pd.Timestamp("2024-03-10 14:00:00")
    assert refit_point(at, 6) == pd.Timestamp("2024-03-10 12:00:00")
    assert refit_point(pd.Timestamp("2024-03-10 05:59:00"), 6) == pd.Timestamp("2024-03-10 00:00:00")
    assert refit_point(pd.Timestamp("2024-03-10 10:37:00"), 2) == pd.Timestamp("2024-03-10 10:00:00")
    assert refit_point(at, 24) == pd.Timestamp("2024-03-10 00:00:00")
    assert refit_point(pd.Timestamp("2024-03-10 10:37:00"), 0) == pd.Timestamp("2024-03-10 10:37:00")


def test_cuts_between_refits_are_scored_by_the_model_of_the_latest_refit_point() -> None:
    """Refitting every 6 hours: the 12:00 and 14:00 cuts share the model fitted at 12:00 on the labels
    complete then (cuts 0 and 1, which follow a); cut 2's labels (follow b), complete at 14:00, wait for the
    18:00 refit. Refitting every 2 hours, the 14:00 cut learns from them."""
    rows = history({0: "a", 1: "a", 2: "b"})
    candidates = pd.concat([candidate_frame(CUTS[2], seed=98), candidate_frame(CUTS[3], seed=99)])
    cuts = pd.DataFrame({"site_id": [SITE, SITE], "cut_at": [CUTS[2], CUTS[3]], "recs_per_source": [5, 5]})
    six = RankerParams(**{**PARAMS.__dict__, "refit_hours": 6})
    lists = ranked_lists_for_cuts(
        cuts, candidates, rows, {"article_recs__ranker_refit_hours": "6"}
    ).to_pandas()
    per_cut = lists.groupby("cut_at")[["n_training_cuts", "last_training_cut_at", "train_seconds"]].first()
    assert per_cut["n_training_cuts"].tolist() == [2, 2]
    assert per_cut["last_training_cut_at"].tolist() == [CUTS[1], CUTS[1]]
    assert per_cut["train_seconds"].nunique() == 1  # one fit, scored twice
    at_14 = candidate_frame(CUTS[3], seed=99)
    assert firsts(ranked_lists_for_cut(SITE, CUTS[3], at_14, rows, 5, six), at_14, "a") > 0.9
    every_cut = ranked_lists_for_cut(SITE, CUTS[3], at_14, rows, 5, PARAMS)
    assert every_cut["n_training_cuts"].iloc[0] == 3


def test_yetirank_permutations_are_a_knob() -> None:
    params = RankerParams.from_vars({"article_recs__ranker_permutations": "3"})
    assert params.permutations == 3 and params.loss_function == "YetiRank:permutations=3"
    assert json.loads(params.to_json())["permutations"] == 3
    rows = history({0: "a", 1: "a"})
    candidates = candidate_frame(CUTS[2], seed=99)
    one = RankerParams(**{**PARAMS.__dict__, "permutations": 1})
    lists = ranked_lists_for_cut(SITE, CUTS[2], candidates, rows, 5, one)
    assert (lists["ranker"] == "catboost").all() and firsts(lists, candidates, "a") > 0.9


def test_the_ranking_loss_is_a_knob() -> None:
    loss = "QueryRMSE"
    params = RankerParams.from_vars({"article_recs__ranker_loss": f" {loss} "})
    assert params.loss == loss and params.loss_function == loss  # permutations are YetiRank's alone
    rows = history({0: "a", 1: "a"})
    candidates = candidate_frame(CUTS[2], seed=99)
    other = RankerParams(**{**PARAMS.__dict__, "loss": loss})
    lists = ranked_lists_for_cut(SITE, CUTS[2], candidates, rows, 5, other)
    assert (lists["ranker"] == "catboost").all() and firsts(lists, candidates, "a") > 0.9
    assert json.loads(lists["ranker_params"].iloc[0])["loss_function"] == loss
    fitted = fit_ranker(rows, feature_columns(candidates), other)
    assert fitted is not None and fitted.model.get_params()["loss_function"] == loss  # what CatBoost fitted


def test_an_unknown_ranking_loss_is_a_clear_error() -> None:
    expected = "article_recs__ranker_loss is 'RMSE'; it must be one of YetiRank, QueryRMSE"
    with pytest.raises(ValueError, match=expected):
        RankerParams.from_vars({"article_recs__ranker_loss": "RMSE"})

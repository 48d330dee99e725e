"""The content strategy (article_recs.recommend.content): TF-IDF related articles and reader lists per cut.

Expected cosines are computed by hand here, from the definitions (char_wb n-grams of 2 to 4 characters of the
lower-cased words padded with a space, raw counts, smooth idf ln((1 + n) / (1 + df)) + 1, l2 norm), not by
calling scikit-learn.
"""

from __future__ import annotations

import math
from collections import Counter

import pandas as pd
import pytest

from article_recs.recommend.content import (
    CONTENT_LISTS_SCHEMA,
    article_texts,
    content_lists_for_cut,
    content_lists_for_cuts,
    strip_masthead,
)

CUT = pd.Timestamp("2024-03-10 12:00:00")


def char_wb_ngrams(text: str) -> Counter:
    grams: Counter = Counter()
    for word in text.lower().split():
        padded = f" {word} "
        for n in (2, 3, 4):
            if len(padded) <= n:
                grams[padded] += 1  # a word shorter than n counts once, whole
                continue
            for i in range(len(padded) - n + 1):
                grams[padded[i : i + n]] += 1
    return grams


def hand_cosines(texts: list[str]) -> list[list[float]]:
    counts = [char_wb_ngrams(t) for t in texts]
    df = Counter(g for c in counts for g in set(c))
    n = len(texts)
    vectors = []
    for c in counts:
        v = {g: k * (math.log((1 + n) / (1 + df[g])) + 1) for g, k in c.items()}
        norm = math.sqrt(sum(x * x for x in v.values()))
        vectors.append({g: x / norm for g, x in v.items()})
    return [[sum(x * b.get(g, 0.0) for g, x in a.items()) for b in vectors] for a in vectors]


def frames(
    titles: dict[str, str], age_days: dict[str, float] | None = None, decay: dict[str, float] | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    ids = list(titles)
    candidates = pd.DataFrame(
        {
            "article_id": ids,
            "age_days": [float((age_days or {}).get(a, 0.5)) for a in ids],
            "decay": [float((decay or {}).get(a, 1.0)) for a in ids],
        }
    )
    articles = pd.DataFrame({"article_id": ids, "title": [titles[a] for a in ids]})
    return candidates, articles


def related(lists: pd.DataFrame, source: str) -> list[tuple[str, float]]:
    rows = lists[(lists["source_entity_type"] == "article") & (lists["source_entity_id"] == source)]
    return [(r.recommended_article_id, r.score) for r in rows.sort_values("rank").itertuples()]


ENGLISH = {
    "a": "Storm floods the city centre",
    "b": "Storm floods city centre again",
    "c": "Central bank raises interest rates",
}
CHINESE = {
    "x": "北京今天下大雨",
    "y": "北京今日下大雨",
    "z": "股市收盘上涨",
}


@pytest.mark.parametrize("titles", [ENGLISH, CHINESE], ids=["english", "chinese"])
def test_near_duplicates_are_each_others_best_neighbour_with_the_hand_computed_cosine(titles: dict) -> None:
    candidates, articles = frames(titles)
    lists = content_lists_for_cut(candidates, articles, None, window_days=7)
    ids = list(titles)
    cos = hand_cosines(list(titles.values()))
    near, far = ids[1], ids[2]
    got = related(lists, ids[0])
    assert [a for a, _ in got][0] == near
    assert got[0][1] == pytest.approx(cos[0][1], rel=1e-9)
    # the unrelated title is far below the near-duplicate, if it is there at all
    scores = dict(got)
    assert scores.get(far, 0.0) == pytest.approx(cos[0][2], abs=1e-9)
    assert scores.get(far, 0.0) < 0.5 * got[0][1]
    assert related(lists, near)[0] == (ids[0], pytest.approx(cos[1][0], rel=1e-9))


def test_the_near_duplicates_here_are_near_and_the_unrelated_far() -> None:
    cos = hand_cosines(list(ENGLISH.values()))
    assert cos[0][1] > 0.5 and cos[0][2] < 0.15
    cos = hand_cosines(list(CHINESE.values()))
    assert cos[0][1] > 0.4 and cos[0][2] == 0.0


def test_never_the_source_even_when_another_article_has_the_same_title() -> None:
    candidates, articles = frames(
        {"a": "Storm floods the city", "a2": "Storm floods the city", "c": "Bank rates"}
    )
    lists = content_lists_for_cut(candidates, articles, None, window_days=7)
    assert not (lists["source_entity_id"] == lists["recommended_article_id"]).any()
    assert related(lists, "a")[0] == ("a2", pytest.approx(1.0))


def test_candidates_outside_the_recency_window_are_never_recommended_but_have_a_list() -> None:
    candidates, articles = frames(ENGLISH, age_days={"a": 1.0, "b": 7.5, "c": 2.0})
    lists = content_lists_for_cut(candidates, articles, None, window_days=7)
    assert "b" not in set(lists["recommended_article_id"])
    assert [a for a, _ in related(lists, "b")] == ["a", "c"]  # an old article still gets related articles
    wider = content_lists_for_cut(candidates, articles, None, window_days=8)
    assert related(wider, "a")[0][0] == "b"


def test_the_candidates_decay_multiplies_the_cosine_and_reorders() -> None:
    titles = {
        "a": "Storm floods the city centre",
        "b": "Storm floods city centre again",
        "d": "Storm floods the city centre tonight",
    }
    cos = hand_cosines(list(titles.values()))
    candidates, articles = frames(titles, decay={"d": 0.25})
    lists = content_lists_for_cut(candidates, articles, None, window_days=7)
    assert related(lists, "a") == [
        ("b", pytest.approx(cos[0][1], rel=1e-9)),
        ("d", pytest.approx(0.25 * cos[0][2], rel=1e-9)),
    ]
    assert cos[0][2] > cos[0][1]  # without the decay d would come first


def test_at_most_recs_per_source_and_only_positive_scores() -> None:
    titles = {f"{i}": f"Storm number {i} floods town" for i in range(8)} | {"q": "你好"}
    candidates, articles = frames(titles)
    lists = content_lists_for_cut(candidates, articles, None, window_days=7, recs_per_source=3)
    sizes = lists.groupby("source_entity_id").size()
    assert sizes.max() == 3 and "q" not in set(lists["source_entity_id"])  # shares no n-gram: no list
    assert lists["score"].gt(0).all() and lists["score"].le(1).all()


def test_reader_lists_are_the_mean_of_the_neighbour_scores_of_their_reads_without_what_they_read() -> None:
    titles = ENGLISH | {"d": "Storm floods the city centre tonight"}
    candidates, articles = frames(titles)
    reads = pd.DataFrame(
        {
            "domain_userid": ["u", "u"],
            "article_id": ["a", "c"],
            "last_read_at": [CUT - pd.Timedelta(hours=2), CUT - pd.Timedelta(hours=1)],
        }
    )
    lists = content_lists_for_cut(candidates, articles, reads, window_days=7)
    rel = {src: dict(related(lists, src)) for src in ("a", "c")}
    mine = lists[lists["source_entity_type"] == "reader"]
    assert set(mine["source_entity_id"]) == {"u"}
    assert not {"a", "c"} & set(mine["recommended_article_id"])
    got = dict(zip(mine["recommended_article_id"], mine["score"], strict=True))
    for article in ("b", "d"):
        assert got[article] == pytest.approx((rel["a"].get(article, 0) + rel["c"].get(article, 0)) / 2)
    # only the most recent read counts when the cap is 1: the reader's list is then c's related list
    capped = content_lists_for_cut(candidates, articles, reads, window_days=7, max_reads_per_reader=1)
    mine = capped[capped["source_entity_type"] == "reader"]
    assert dict(zip(mine["recommended_article_id"], mine["score"], strict=True)) == pytest.approx(
        {k: v for k, v in rel["c"].items() if k != "a"}
    )
    # each read contributes only its best reader_neighbours neighbours
    best = content_lists_for_cut(candidates, articles, reads, window_days=7, reader_neighbours=1)
    mine = best[best["source_entity_type"] == "reader"]
    top = {src: related(lists, src)[0] for src in ("a", "c")}
    expected = Counter()
    for article, score in top.values():
        if article not in {"a", "c"}:
            expected[article] += score / 2
    assert dict(zip(mine["recommended_article_id"], mine["score"], strict=True)) == pytest.approx(
        dict(expected)
    )


def test_the_vectorizer_sees_only_the_candidates_of_the_cut() -> None:
    candidates, articles = frames(ENGLISH)
    before = content_lists_for_cut(candidates, articles, None, window_days=7)
    # an article published after the cut is in the articles mart, not among the cut's candidates
    later = pd.concat(
        [articles, pd.DataFrame({"article_id": ["new"], "title": ["Storm storm storm floods"]})]
    )
    after = content_lists_for_cut(candidates, later, None, window_days=7)
    pd.testing.assert_frame_equal(before.drop(columns="train_seconds"), after.drop(columns="train_seconds"))
    assert "new" not in set(after["recommended_article_id"]) | set(after["source_entity_id"])
    assert after["n_features"].iloc[0] == len(set().union(*(char_wb_ngrams(t) for t in ENGLISH.values())))


def test_an_article_read_in_the_window_but_no_longer_a_candidate_gets_a_related_list() -> None:
    candidates, articles = frames(ENGLISH)
    old = pd.concat(
        [articles, pd.DataFrame({"article_id": ["old"], "title": ["Storm floods the city centre"]})]
    )
    reads = pd.DataFrame({"domain_userid": ["u"], "article_id": ["old"], "last_read_at": [CUT]})
    lists = content_lists_for_cut(candidates, old, reads, window_days=7)
    assert related(lists, "old")[0] == ("a", pytest.approx(1.0))
    assert "old" not in set(lists["recommended_article_id"])


def test_masthead_is_stripped_and_section_and_author_join_the_text() -> None:
    titles = pd.Series(["Storm floods city | The Herald", "Bank rates | The Herald", "Odd one - x"])
    assert strip_masthead(titles).tolist() == ["Storm floods city", "Bank rates", "Odd one - x"]
    assert strip_masthead(pd.Series(["A | b", "C | d"])).tolist() == ["A | b", "C | d"]
    # pages of articles whose headline is unknown carry the masthead alone: no title, not a shared one
    bare = pd.Series(
        ["MIND News", "Storm floods city | MIND News", "MIND News", "Bank rates | MIND News", "MIND News"]
    )
    assert strip_masthead(bare).tolist() == ["", "Storm floods city", "", "Bank rates", ""]
    text = article_texts(
        pd.DataFrame(
            {"title": ["Storm | M", "Rain | M"], "section": ["weather", None], "author": [None, "Ann Lee"]}
        )
    )
    assert text.tolist() == ["Storm weather", "Rain Ann Lee"]


def test_an_article_without_text_has_no_list_and_is_never_recommended() -> None:
    titles = ENGLISH | {"u1": "The Herald", "u2": "The Herald"}
    titles = {a: (t if t == "The Herald" else f"{t} | The Herald") for a, t in titles.items()}
    candidates, articles = frames(titles)
    lists = content_lists_for_cut(candidates, articles, None, window_days=7)
    assert not {"u1", "u2"} & (set(lists["source_entity_id"]) | set(lists["recommended_article_id"]))
    assert related(lists, "a")[0][0] == "b"


def test_lists_per_site_and_cut_in_the_table_schema() -> None:
    candidates, articles = frames(ENGLISH)
    cuts = pd.DataFrame(
        {
            "site_id": ["s", "s", "t"],
            "cut_at": [CUT - pd.Timedelta(hours=2), CUT, CUT],
            "recs_per_source": [1, 2, 2],
            "knn_max_reads_per_reader": [50, 50, 50],
            "knn_reader_neighbours": [20] * 3,
        }
    )
    both = pd.concat([candidates.assign(site_id="s", cut_at=at) for at in cuts["cut_at"][:2]])
    # the earlier cut had only a and b
    both = both[~((both["cut_at"] == cuts["cut_at"][0]) & (both["article_id"] == "c"))]
    table = content_lists_for_cuts(cuts, both, articles.assign(site_id="s"), None, 7)
    assert table.schema == CONTENT_LISTS_SCHEMA
    out = table.to_pandas()
    assert set(out["site_id"]) == {"s"} and (out["strategy"] == "content").all()  # site t has no candidates
    early = out[out["cut_at"] == cuts["cut_at"][0]]
    assert set(early["recommended_article_id"]) == {"a", "b"} and early["rank"].max() == 1
    assert out[out["cut_at"] == CUT]["rank"].max() == 2
    assert early["n_candidates"].unique().tolist() == [2]
    with pytest.raises(ValueError, match="content_window_days"):
        content_lists_for_cuts(cuts, both, articles.assign(site_id="s"), None, 0)

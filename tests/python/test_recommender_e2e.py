"""The recommender end to end on generated data (fixed seed): ONE dbt build of the recommender and evaluation
marts, then three cheap reruns of the registry steps, shared by every test of this module.

Runs (article_recs__models_to_keep = 2):
1. ``dbt build`` of everything model_registry and model_evaluations need (their data tests included);
2. and 3. ``dbt run`` of recommendations, model_evaluations, model_registry: a new model version per
   (site, strategy) each time, so run 3 has to delete run 1's models and their rows;
4. ``dbt run`` of als_lists (the ALS Python model) and its children with a broken ALS parameter: the
   Python model raises while training is set up (a real failure path, no test-only switch), dbt skips the
   registry, the on-run-end hook records 'failed' rows, and the current models must stay current.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from article_recs.dbt_runner import run_dbt
from article_recs.events.generate import GenerateConfig, generate
from article_recs.recommend.candidates import candidate_articles, fill_gaps
from article_recs.recommend.evaluation import evaluate, expand_default_lists
from article_recs.recommend.item_knn import KnnParams, item_knn_lists
from article_recs.recommend.popularity import (
    popularity_recommendations,
    popularity_scores,
    reads_from_page_views,
)

pytestmark = pytest.mark.slow

KEEP = 2
STRATEGIES = ("als", "item_knn", "popularity")
BUILD = [
    "build",
    "--select",
    "+model_registry",
    "+model_evaluations",
    "--indirect-selection",
    "cautious",
    "--exclude-resource-type",
    "unit_test",
]
RERUN = ["run", "--select", "recommendations", "model_evaluations", "model_registry"]
BROKEN_ALS = {"article_recs__als_factors": "not-a-number"}


@dataclass
class Runs:
    path: Path
    registry: list[pd.DataFrame] = field(default_factory=list)  # model_registry after each run
    rec_counts: list[pd.DataFrame] = field(default_factory=list)  # rows per model_id after each run
    failed_run_ok: bool | None = None

    def query(self, sql: str) -> pd.DataFrame:
        con = duckdb.connect(str(self.path), read_only=True)
        try:
            return con.execute(sql).df()
        finally:
            con.close()

    def snapshot(self) -> None:
        self.registry.append(self.query("select * from recommender.model_registry order by model_id"))
        self.rec_counts.append(
            self.query(
                "select model_id, count(*) as n from recommender.recommendations group by 1 order by 1"
            )
        )


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> Runs:
    work = tmp_path_factory.mktemp("recommender_e2e")
    data = work / "data"
    generate(
        GenerateConfig(
            out=data, users=1500, articles=200, days=10, sites=2, seed=7, end=date(2026, 11, 20), quiet=True
        )
    )
    dbt_vars = {
        "article_recs__events_path": f"{data}/events/**/*.tsv*",
        "article_recs__article_metadata_path": f"{data}/articles/articles.csv",
        "article_recs__ground_truth_path": f"{data}/ground_truth",
        "article_recs__models_to_keep": KEEP,
    }
    where = {"duckdb_path": work / "warehouse.duckdb", "target_path": work / "target"}
    result = Runs(work / "warehouse.duckdb")
    run_dbt(BUILD, dbt_vars=dbt_vars, **where)
    result.snapshot()
    for _ in range(2):
        run_dbt(RERUN, dbt_vars=dbt_vars, **where)
        result.snapshot()
    failed = run_dbt(
        ["run", "--select", "als_lists+"], dbt_vars={**dbt_vars, **BROKEN_ALS}, check=False, **where
    )
    result.failed_run_ok = failed.ok
    result.snapshot()
    return result


def _latest_evaluation(runs: Runs) -> pd.DataFrame:
    return runs.query(
        """
        select * from evaluation.model_evaluations
        where run_id = (select run_id from evaluation.model_evaluations order by evaluated_at desc limit 1)
        """
    )


def _current_recommendations(runs: Runs) -> pd.DataFrame:
    return runs.query(
        """
        select r.* from recommender.recommendations as r
        inner join recommender.model_registry as m on r.model_id = m.model_id
        where m.status = 'current'
        """
    )


# ------------------------------------------------------------------------------- quality of the lists
def test_als_and_item_knn_beat_popularity_on_next_in_session_and_the_oracle_beats_all(runs: Runs) -> None:
    ev = _latest_evaluation(runs)
    hr = ev[(ev["task"] == "related") & (ev["metric"] == "hr")].pivot(
        index="site_id", columns="strategy", values="value"
    )
    assert set(hr.columns) == {"als", "item_knn", "popularity", "oracle"}
    assert len(hr) == 2
    for site, row in hr.iterrows():
        for strategy in ("als", "item_knn"):
            assert row[strategy] >= 1.3 * row["popularity"], f"{site}: {strategy} {row.to_dict()}"
        assert row["oracle"] > max(row["als"], row["item_knn"], row["popularity"]), f"{site}: {row.to_dict()}"


def test_every_article_read_in_the_training_window_has_related_lists(runs: Runs) -> None:
    missing = runs.query(
        """
        with read_in_window as (
            select distinct p.site_id, p.article_id
            from marts.page_views as p
            inner join recommender.recommender_sites as s on p.site_id = s.site_id
            where p.article_id is not null and p.domain_userid is not null
                and p.start_tstamp <= s.as_of
                and p.start_tstamp > s.as_of - s.training_window_days * interval 1 day
        ),
        current_lists as (
            select distinct r.site_id, r.strategy, r.source_entity_id
            from recommender.recommendations as r
            inner join recommender.model_registry as m on r.model_id = m.model_id
            where m.status = 'current' and r.source_entity_type = 'article'
        )
        select w.site_id, s.strategy, w.article_id
        from read_in_window as w
        cross join (values ('als'), ('item_knn')) as s (strategy)
        left join current_lists as l
            on w.site_id = l.site_id and s.strategy = l.strategy and w.article_id = l.source_entity_id
        where l.source_entity_id is null
        """
    )
    assert missing.empty, missing.head(10)
    recs = _current_recommendations(runs)
    sizes = (
        recs[recs["source_entity_type"] != "default"]
        .groupby(["site_id", "strategy", "source_entity_type", "source_entity_id"])
        .size()
    )
    assert (sizes == 10).mean() > 0.99  # popularity fills the gaps: (nearly) every list is full


def test_lists_never_recommend_the_source_score_in_0_1_and_hold_at_most_n(runs: Runs) -> None:
    recs = runs.query("select * from recommender.recommendations")
    assert not recs.empty
    articles = recs[recs["source_entity_type"] == "article"]
    assert not (articles["source_entity_id"] == articles["recommended_article_id"]).any()
    assert recs["score"].between(0, 1, inclusive="right").all()
    keys = ["model_id", "source_entity_type", "source_entity_id"]
    sizes = recs.groupby(keys).agg(n=("rank", "size"), top=("rank", "max"), first=("rank", "min"))
    limit = np.where(sizes.index.get_level_values("source_entity_type") == "default", 50, 10)
    assert (sizes["n"] <= limit).all()
    assert (sizes["first"] == 1).all() and (sizes["top"] == sizes["n"]).all()
    assert not recs.duplicated(keys + ["recommended_article_id"]).any()


def test_reader_lists_skip_what_the_reader_read_in_the_window(runs: Runs) -> None:
    read_again = runs.query(
        """
        select r.model_id, r.source_entity_id, r.recommended_article_id
        from recommender.recommendations as r
        inner join recommender.recommender_sites as s on r.site_id = s.site_id
        inner join marts.page_views as p
            on r.site_id = p.site_id and r.source_entity_id = p.domain_userid
            and r.recommended_article_id = p.article_id
        where r.source_entity_type = 'reader'
            and p.start_tstamp <= s.as_of
            and p.start_tstamp > s.as_of - s.training_window_days * interval 1 day
        """
    )
    assert read_again.empty, read_again.head()


# ------------------------------------------------------------------------------------------ SQL == Python
def test_sql_item_knn_and_its_popularity_padding_match_the_python_reference(runs: Runs) -> None:
    sites = runs.query("select * from recommender.recommender_sites")
    training = runs.query("select * from recommender.recommender_training_interactions")
    articles = runs.query("select * from marts.articles")
    page_views = runs.query(
        "select * from marts.page_views where article_id is not null and domain_userid is not null"
    )
    popularity = runs.query("select * from recommender.popularity_recommendations")
    sql = runs.query("select * from recommender.item_knn_recommendations")
    expected = []
    for site in sites.to_dict("records"):
        inter = training[training["site_id"] == site["site_id"]]
        if inter.empty:
            continue
        as_of = pd.Timestamp(site["as_of"])
        cands = candidate_articles(
            articles[articles["site_id"] == site["site_id"]],
            as_of,
            site["max_article_age_days"],
            site["decay_half_life_days"],
        )
        window = page_views[
            (page_views["site_id"] == site["site_id"])
            & (page_views["start_tstamp"] <= as_of)
            & (page_views["start_tstamp"] > as_of - pd.Timedelta(days=float(site["training_window_days"])))
        ]
        params = KnnParams(
            int(site["recs_per_source"]),
            int(site["knn_max_reads_per_reader"]),
            int(site["knn_min_co_readers"]),
            int(site["knn_reader_neighbours"]),
        )
        own = item_knn_lists(inter, cands, params, site["site_id"], read=window)
        sources = pd.concat(
            [
                pd.DataFrame(
                    {"source_entity_id": window["article_id"].unique(), "source_entity_type": "article"}
                ),
                pd.DataFrame(
                    {"source_entity_id": inter["domain_userid"].unique(), "source_entity_type": "reader"}
                ),
            ]
        ).assign(site_id=site["site_id"], strategy="item_knn")
        fallback = popularity[popularity["site_id"] == site["site_id"]].rename(
            columns={"recommended_article_id": "article_id"}
        )
        expected.append(fill_gaps(own, sources, fallback, params.recs_per_source, read=window))
    python = pd.concat(expected, ignore_index=True)
    keys = ["site_id", "source_entity_type", "source_entity_id", "rank"]
    both = python.merge(sql, on=keys, how="outer", suffixes=("_py", "_sql"), indicator=True)
    assert (both["_merge"] == "both").all(), both["_merge"].value_counts()
    assert (both["recommended_article_id_py"] == both["recommended_article_id_sql"]).all()
    # SQL ages are whole seconds (datediff), Python's exact: decays differ in the 8th digit
    np.testing.assert_allclose(both["score_sql"], both["score_py"], rtol=1e-6)


def test_sql_metrics_agree_with_python_evaluate(runs: Runs) -> None:
    ev = _latest_evaluation(runs)
    eval_sites = runs.query("select * from evaluation.eval_sites")
    articles = runs.query("select * from marts.articles")
    recs = runs.query("select * from evaluation.eval_recommendations")
    pairs = runs.query("select * from evaluation.eval_next_in_session_pairs")
    holdout = runs.query("select * from evaluation.eval_reader_holdout")
    cands = pd.concat(
        [
            candidate_articles(
                articles[articles["site_id"] == s["site_id"]],
                pd.Timestamp(s["as_of"]),
                s["max_article_age_days"],
                s["decay_half_life_days"],
            )
            for s in eval_sites.to_dict("records")
        ]
    )
    (cut,) = eval_sites["as_of"].unique()
    python = evaluate(recs, pairs, holdout, articles=articles, candidates=cands, as_of=pd.Timestamp(cut))
    keys = ["site_id", "strategy", "task", "metric", "k"]
    both = python.merge(ev, on=keys, how="outer", suffixes=("_py", "_sql"), indicator=True)
    assert (both["_merge"] == "both").all(), both[both["_merge"] != "both"][keys + ["_merge"]]
    np.testing.assert_allclose(both["value_sql"], both["value_py"], rtol=1e-6, atol=1e-9)


def test_sql_popularity_at_the_cut_matches_the_python_reference_expanded_per_source(runs: Runs) -> None:
    eval_sites = runs.query("select * from evaluation.eval_sites")
    articles = runs.query("select * from marts.articles")
    page_views = runs.query("select * from marts.page_views where article_id is not null")
    pairs = runs.query("select * from evaluation.eval_next_in_session_pairs")
    holdout = runs.query("select * from evaluation.eval_reader_holdout")
    sql = runs.query("select * from evaluation.eval_popularity_recommendations")
    reads = reads_from_page_views(page_views)
    expected = []
    for site in eval_sites.to_dict("records"):
        cut = pd.Timestamp(site["as_of"])
        site_reads = reads[reads["site_id"] == site["site_id"]]
        if site_reads.empty:
            continue
        cands = candidate_articles(
            articles[articles["site_id"] == site["site_id"]], cut, site["max_article_age_days"], 1.0
        )
        top = popularity_recommendations(
            popularity_scores(
                site_reads,
                cut,
                site["popularity_window_days"],
                site["popularity_half_life_days"],
                site["popularity_top_n"],
                cands,
            )
        )
        window = site_reads[
            (site_reads["read_at"] <= cut)
            & (site_reads["read_at"] > cut - pd.Timedelta(days=float(site["training_window_days"])))
            & site_reads["domain_userid"].notna()
        ]
        expected.append(
            expand_default_lists(
                top,
                pairs[pairs["site_id"] == site["site_id"]],
                holdout[holdout["site_id"] == site["site_id"]],
                int(site["recs_per_source"]),
                read=window,
            )
        )
    python = pd.concat(expected, ignore_index=True)
    keys = ["site_id", "task", "source_entity_id", "rank"]
    both = python.merge(sql, on=keys, how="outer", suffixes=("_py", "_sql"), indicator=True)
    assert (both["_merge"] == "both").all(), both["_merge"].value_counts()
    assert (both["recommended_article_id_py"] == both["recommended_article_id_sql"]).all()
    np.testing.assert_allclose(both["score_sql"], both["score_py"], rtol=1e-6)


# ------------------------------------------------------------------------------------------ the registry
def _by_status(registry: pd.DataFrame) -> dict[tuple[str, str], dict[str, list[str]]]:
    out: dict[tuple[str, str], dict[str, list[str]]] = {}
    for row in registry.itertuples():
        out.setdefault((row.site_id, row.strategy), {}).setdefault(row.status, []).append(row.model_id)
    return out


def test_every_run_leaves_one_current_model_per_site_and_strategy_and_keeps_k(runs: Runs) -> None:
    first, second, third = runs.registry[:3]
    for registry in (first, second, third):
        groups = _by_status(registry)
        assert set(groups) == {(site, s) for site in ("herald", "metro") for s in STRATEGIES}
        assert all(len(g.get("current", [])) == 1 for g in groups.values())
        assert registry["model_id"].is_unique
    assert (first["status"] == "current").all()
    assert (second.groupby(["site_id", "strategy"]).size() == 2).all()
    assert (third.groupby(["site_id", "strategy"]).size() == KEEP).all()
    # run 3: run 1's models and their rows are gone, run 2's are stale, run 3's are current
    assert set(first["model_id"]).isdisjoint(third["model_id"])
    assert set(first["model_id"]).isdisjoint(runs.rec_counts[2]["model_id"])
    assert set(third.loc[third["status"] == "stale", "model_id"]) == set(
        second.loc[second["status"] == "current", "model_id"]
    )
    assert set(runs.rec_counts[2]["model_id"]) == set(third["model_id"])
    # model ids: <site>-<strategy>-<run start %Y%m%dT%H%M%S>, one run id per run
    assert third["model_id"].str.fullmatch(r"(herald|metro)-(als|item_knn|popularity)-\d{8}T\d{6}").all()
    assert third.groupby("run_id")["model_id"].count().tolist() == [6, 6]
    current = third[third["status"] == "current"]
    assert current["params"].str.startswith("{").all() and current["n_interactions"].gt(0).all()
    assert current["related_hr"].between(0, 1).all()  # this run's evaluation as the headline


def test_a_run_whose_training_raises_leaves_the_current_models_current(runs: Runs) -> None:
    before, after = runs.registry[2], runs.registry[3]
    assert runs.failed_run_ok is False
    failed = after[after["status"] == "failed"]
    assert sorted(failed["site_id"]) == ["herald", "metro"] and set(failed["strategy"]) == {"als"}
    assert failed["error_message"].str.contains("als_factors").all()
    kept = after[after["status"] != "failed"].reset_index(drop=True)
    assert kept["error_message"].isna().all()
    pd.testing.assert_frame_equal(
        kept.drop(columns="error_message"),
        before.drop(columns="error_message").reset_index(drop=True),
        check_dtype=False,
    )
    pd.testing.assert_frame_equal(runs.rec_counts[3], runs.rec_counts[2])


# ------------------------------------------------------------------------------------------ the report
def test_report_of_the_runs_has_every_section(runs: Runs, tmp_path: Path) -> None:
    from article_recs.report.evaluation import write_report

    html = write_report(runs.path, tmp_path).read_text()
    for title in (
        "Metrics per strategy",
        "Metrics over runs",
        "Coverage and freshness",
        "Dwell distribution",
    ):
        assert f">{title}</h2>" in html
    assert html.count("<svg") == 2 + 4 + 2 + 1 and "failed" in html

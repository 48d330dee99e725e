"""The recommender end to end on generated data (fixed seed): ONE dbt build of the recommender and evaluation
marts, then cheap reruns of the registry steps, shared by every test of this module.

Runs (article_recs__models_to_keep = 2, article_recs__as_of = AS_OF, on the two-hour grid, while the events go
on for hours after it - the models must not see them):
1. ``dbt build`` of everything model_registry and model_evaluations need (their data tests included);
2. and 3. ``dbt run`` of recommendations, model_evaluations, model_registry: a new model version per
   (site, strategy) each time, so run 3 has to delete run 1's models and their rows;
4. ``dbt run`` of als_lists (the ALS Python model) and its children with a broken ALS parameter: the
   Python model raises while training is set up (a real failure path, no test-only switch), dbt skips the
   registry, the on-run-end hook records 'failed' rows, and the current models must stay current;
5. ``dbt run --full-refresh`` of the recommender models four hours later (as_of = AS_OF + 4 h): AS_OF is then
   an evaluation cut, computed from scratch with the later events in the warehouse - its lists must be the
   lists served at run 1, row for row. This run builds the batched cut-keyed models (ranker_candidates,
   recommendation_lists) one cut time per batch (article_recs__cut_batch_sources = 1), run 1 all at once.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from article_recs.dbt_runner import run_dbt
from article_recs.tools.generate import GenerateConfig, generate

pytestmark = pytest.mark.slow

KEEP = 2
STRATEGIES = ("als", "content", "covisitation", "item_knn", "popularity", "ranked", "trending")
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
AS_OF = pd.Timestamp("2026-11-20 12:00:00")
LATER = AS_OF + pd.Timedelta(hours=4)
LISTS_COLUMNS = "site_id, strategy, source_entity_type, source_entity_id, recommended_article_id, rank, score"
CANDIDATES_AT_AS_OF = (
    f"select * exclude (cut_at) from recommender.ranker_candidates where cut_at = '{AS_OF}' "
    "order by site_id, source_entity_type, source_entity_id, recommended_article_id"
)


@dataclass
class Runs:
    path: Path
    dbt_vars: dict = field(default_factory=dict)
    registry: list[pd.DataFrame] = field(default_factory=list)  # model_registry after each run
    rec_counts: list[pd.DataFrame] = field(default_factory=list)  # rows per model_id after each run
    failed_run_ok: bool | None = None
    served_at_as_of: pd.DataFrame | None = None  # the current recommendations after run 1
    evaluated_later: pd.DataFrame | None = None  # recommendation_lists at cut AS_OF, recomputed at LATER
    candidates: list[pd.DataFrame] = field(default_factory=list)  # ranker_candidates at AS_OF, runs 1 and 5
    later_log: str = ""  # run 5's dbt output

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
        "article_recs__as_of": str(AS_OF),
    }
    where = {"duckdb_path": work / "warehouse.duckdb", "target_path": work / "target"}
    result = Runs(work / "warehouse.duckdb", dbt_vars)
    run_dbt(BUILD, dbt_vars=dbt_vars, **where)
    result.snapshot()
    result.served_at_as_of = result.query(
        f"""
        select {", ".join("r." + c for c in LISTS_COLUMNS.split(", "))} from recommender.recommendations as r
        inner join recommender.model_registry as m using (model_id)
        where m.status = 'current'
        """
    )
    result.candidates.append(result.query(CANDIDATES_AT_AS_OF))
    for _ in range(2):
        run_dbt(RERUN, dbt_vars=dbt_vars, **where)
        result.snapshot()
    failed = run_dbt(
        ["run", "--select", "als_lists+"], dbt_vars={**dbt_vars, **BROKEN_ALS}, check=False, **where
    )
    result.failed_run_ok = failed.ok
    result.snapshot()
    result.later_log = run_dbt(
        ["run", "--full-refresh", "--select", "recommender_sites+,+recommendation_lists"],
        dbt_vars={**dbt_vars, "article_recs__as_of": str(LATER), "article_recs__cut_batch_sources": 1},
        **where,
    ).stdout
    result.candidates.append(result.query(CANDIDATES_AT_AS_OF))
    result.evaluated_later = result.query(
        f"select {LISTS_COLUMNS} from recommender.recommendation_lists where cut_at = '{AS_OF}'"
    )
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
    assert set(hr.columns) == {*STRATEGIES, "oracle"}
    assert len(hr) == 2
    for site, row in hr.iterrows():
        for strategy in ("als", "item_knn"):
            assert row[strategy] >= 1.3 * row["popularity"], f"{site}: {strategy} {row.to_dict()}"
        assert row["oracle"] > max(row["als"], row["item_knn"], row["popularity"]), f"{site}: {row.to_dict()}"


def test_every_article_read_in_the_training_window_has_related_lists(runs: Runs) -> None:
    missing = runs.query(
        f"""
        with read_in_window as (
            select distinct p.site_id, p.article_id
            from marts.page_views as p
            inner join recommender.recommender_sites as s on p.site_id = s.site_id
            where p.article_id is not null and p.domain_userid is not null
                and p.start_tstamp < timestamp '{AS_OF}'
                and p.start_tstamp >= timestamp '{AS_OF}' - s.training_window_days * interval 1 day
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
        f"""
        select r.model_id, r.source_entity_id, r.recommended_article_id
        from recommender.recommendations as r
        inner join recommender.recommender_sites as s on r.site_id = s.site_id
        inner join marts.page_views as p
            on r.site_id = p.site_id and r.source_entity_id = p.domain_userid
            and r.recommended_article_id = p.article_id
        where r.source_entity_type = 'reader'
            and p.start_tstamp < timestamp '{AS_OF}'
            and p.start_tstamp >= timestamp '{AS_OF}' - s.training_window_days * interval 1 day
        """
    )
    assert read_again.empty, read_again.head()


# ----------------------------------------------------------------------------- evaluated is what is served
def test_the_lists_served_at_a_cut_are_the_lists_evaluated_at_that_cut(runs: Runs) -> None:
    served = runs.served_at_as_of.sort_values(LISTS_COLUMNS.split(", ")).reset_index(drop=True)
    evaluated = runs.evaluated_later.sort_values(LISTS_COLUMNS.split(", ")).reset_index(drop=True)
    assert len(served) > 1000 and set(served["strategy"]) == set(STRATEGIES)
    # every strategy, the ranker included: it learns from the labelled cuts of a fixed window before the cut,
    # and recommender_cuts keeps that window's cuts before the hold-out, so recomputed from scratch four hours
    # later it learns from the same rows; its lists are a fitted model's, not the rank-fusion fallback
    pd.testing.assert_frame_equal(served, evaluated, check_dtype=False)
    ranker = runs.query(f"select distinct ranker from recommender.ranked_lists where cut_at = '{AS_OF}'")[
        "ranker"
    ].tolist()
    assert ranker == ["catboost"], ranker


def test_batched_models_computed_cut_by_cut_equal_those_computed_at_once(runs: Runs) -> None:
    # run 5 logged one insert per further batch (macros/recommender_cuts.sql, build_cut_batches) ...
    for model in ("ranker_candidates", "recommendation_lists"):
        assert f"{model}: cut batch 2 of " in runs.later_log, model
    # ... and its candidates at AS_OF are run 1's, computed with every cut of that build in one statement
    # (its lists: test_the_lists_served_at_a_cut_are_the_lists_evaluated_at_that_cut)
    at_once, cut_by_cut = runs.candidates
    assert len(at_once) > 1000
    pd.testing.assert_frame_equal(at_once, cut_by_cut, check_dtype=False)


def test_a_full_build_writes_the_ranker_candidates_of_each_cut_together(runs: Runs) -> None:
    # ranked_lists reads ranker_candidates a batch of cut times at a time; DuckDB skips the row groups of
    # other cuts only when each cut's rows sit together (the model's `order by`). The fixture's last step
    # rebuilt the table from scratch, so its row ids have no gaps from retired cuts.
    spans = runs.query(
        """
        select site_id, cut_at, count(*) as n, max(rowid) - min(rowid) + 1 as span
        from recommender.ranker_candidates
        group by site_id, cut_at
        """
    )
    assert len(spans) > 4 and spans["n"].sum() > 10_000
    scattered = spans[spans["span"] != spans["n"]]
    assert scattered.empty, scattered


def test_rolling_evaluation_scores_every_cut_of_the_holdout_with_intervals(runs: Runs) -> None:
    ev = _latest_evaluation(runs)
    counts = ev[ev["metric"].isin(["n_cases", "n_cuts"])].pivot_table(
        index=["site_id", "strategy", "task"], columns="metric", values="value"
    )
    # 24 hours of hold-out every 2 hours: at most 12 scored cuts (the 13th, AS_OF itself, is the serving
    # cut, whose window is still to come); n_cuts counts those with cases, the same for every strategy
    per_site = counts["n_cuts"].groupby(level=["site_id", "task"]).agg(["min", "max"])
    assert (per_site["min"] == per_site["max"]).all(), per_site
    assert per_site["max"].between(2, 12).all(), per_site
    assert (counts["n_cases"] > 20).all()
    with_ci = ev[ev["metric"].isin(["hr", "ndcg", "mrr", "recall"])]
    assert with_ci["ci_low"].notna().all() and with_ci["ci_high"].notna().all()
    assert (with_ci["ci_low"] <= with_ci["value"] + 1e-12).all()
    assert (with_ci["value"] <= with_ci["ci_high"] + 1e-12).all()
    assert (with_ci["ci_high"] > with_ci["ci_low"]).any()
    share = ev[ev["metric"] == "cold_start_share"]["value"]
    assert share.between(0, 1).all()


def test_no_case_is_scored_against_a_model_that_saw_it(runs: Runs) -> None:
    leaks = runs.query(
        """
        select count(*) as n from evaluation.eval_related_cases as c
        inner join recommender.recommender_cut_reads as r
            on c.site_id = r.site_id and c.cut_at = r.cut_at and c.domain_userid = r.domain_userid
            and c.target_article_id = r.article_id and r.first_read_at >= c.cut_at
        """
    )
    assert int(leaks["n"].iloc[0]) == 0
    late = runs.query(
        "select count(*) as n from recommender.recommender_cut_reads where last_read_at >= cut_at"
    )
    assert int(late["n"].iloc[0]) == 0


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
    strategies = "|".join(STRATEGIES)
    assert third["model_id"].str.fullmatch(rf"(herald|metro)-({strategies})-\d{{8}}T\d{{6}}").all()
    assert third.groupby("run_id")["model_id"].count().tolist() == [2 * len(STRATEGIES)] * 2
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


def test_well_formed_lists_finds_a_repeated_article_a_repeated_rank_and_a_missing_rank(
    runs: Runs, tmp_path: Path
) -> None:
    """well_formed_lists (macros/recommender_tests.sql) counts repeats as rows equal to the one before them in
    the list's order: three lists of the new cut broken one way each are three failing lists; a missing rank
    (NULL) counts as a hole, as count(distinct rank) counted it, even where the scores stay in order."""
    copy = tmp_path / "warehouse.duckdb"
    shutil.copyfile(runs.path, copy)
    key = "site_id, cut_at, strategy, source_entity_type, source_entity_id"
    con = duckdb.connect(str(copy))
    try:
        lists = con.execute(
            f"select {key} from recommender.recommendation_lists where cut_at = ? and source_entity_type <> "
            f"'default' group by all having count(*) >= 3 order by all limit 3",
            [LATER.to_pydatetime()],
        ).fetchall()
        assert len(lists) == 3
        match = " and ".join(f"{column.strip()} = ?" for column in key.split(","))
        first = con.execute(
            f"select recommended_article_id from recommender.recommendation_lists where {match} and rank = 1",
            list(lists[0]),
        ).fetchone()[0]
        for broken, values in zip(
            # the last: its score the lowest of the list, so only the count of ranks can see the hole
            (f"recommended_article_id = '{first}'", "rank = 1", "rank = null, score = 1e-9"),
            lists,
            strict=True,
        ):
            con.execute(
                f"update recommender.recommendation_lists set {broken} where {match} and rank = 2",
                list(values),
            )
    finally:
        con.close()
    run_dbt(
        ["test", "--select", "recommendation_lists,test_name:well_formed_lists"],
        dbt_vars={**runs.dbt_vars, "article_recs__as_of": str(LATER)},
        duckdb_path=copy,
        target_path=tmp_path / "target",
        check=False,
    )
    results = json.loads((tmp_path / "target" / "run_results.json").read_text())["results"]
    assert [(r["status"], r["failures"]) for r in results if r["unique_id"].startswith("test.")] == [
        ("fail", 3)
    ]


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


def test_data_tests_of_a_cut_keyed_table_judge_the_cuts_the_run_added(runs: Runs, tmp_path: Path) -> None:
    """`where: __recommender_this_run__` (macros/recommender_tests.sql): the registry last recorded the
    serving cut AS_OF (run 5 did not reach it), so the run at LATER added the cuts after AS_OF. A broken list
    at AS_OF, judged by the run that added it, is not judged again; one at LATER is."""
    copy = tmp_path / "warehouse.duckdb"
    shutil.copyfile(runs.path, copy)
    con = duckdb.connect(str(copy))
    try:
        # a duplicate row at the old cut: the unique test fails if it judges that cut
        con.execute(
            "insert into recommender.recommendation_lists select * from recommender.recommendation_lists "
            f"where cut_at = '{AS_OF}' limit 1"
        )
        # a score above 1 at the new cut: well_formed_lists fails if it judges that cut
        changed = con.execute(
            "update recommender.recommendation_lists set score = 2 "
            f"where cut_at = '{LATER}' and strategy = 'popularity' and rank = 1"
        ).fetchone()[0]
    finally:
        con.close()
    assert changed > 0
    tested = run_dbt(
        [
            "test",
            "--select",
            "recommendation_lists,test_name:unique_combination_of_columns",
            "recommendation_lists,test_name:well_formed_lists",
        ],
        dbt_vars={**runs.dbt_vars, "article_recs__as_of": str(LATER)},
        duckdb_path=copy,
        target_path=tmp_path / "target",
        check=False,
    )
    results = json.loads((tmp_path / "target" / "run_results.json").read_text())["results"]
    statuses = {
        r["unique_id"].split(".")[2].split("_recommendation_lists")[0]: r["status"]
        for r in results
        if r["unique_id"].startswith("test.")
    }
    assert statuses == {"unique_combination_of_columns": "pass", "well_formed_lists": "fail"}, tested.stdout

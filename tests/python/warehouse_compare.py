"""What the tests that build the project on two warehouses compare (DuckDB against PostgreSQL, DuckDB against
Spark): the same portable queries, rows compared in order, floats to 1e-6 relative."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date
from pathlib import Path

import duckdb
import pytest

from article_recs.dbt_runner import run_dbt
from article_recs.spark_warehouse import java_available
from article_recs.tools.generate import GenerateConfig, generate

AS_OF = "2024-03-10 00:00:00"


def skip_without_spark() -> None:
    """Skip the calling test module, with the reason in the output, where Spark cannot run: no Java runtime
    or no dbt-spark (make spark-deps installs both)."""
    if not java_available():
        pytest.skip(
            "Spark tests skipped: no Java runtime on this machine (make spark-deps installs Debian's "
            "openjdk-17-jre-headless; it could not be installed here)",
            allow_module_level=True,
        )
    pytest.importorskip(
        "dbt.adapters.spark", reason="Spark tests skipped: dbt-spark missing (make spark-deps)"
    )


#: (name, query): every query is portable SQL; rows are compared exactly (floats to 1e-6 relative).
MART_CHECKS = [
    (
        "page_views",
        "select count(*), count(distinct page_view_id), sum(engaged_time_in_s), "
        "sum(absolute_time_in_s), sum(page_pings), count(article_id) from marts.page_views",
    ),
    (
        "page_views_by_site",
        "select site_id, count(*), sum(engaged_time_in_s) from marts.page_views "
        "group by site_id order by site_id",
    ),
    ("sessions", "select count(*), sum(page_views), sum(engaged_time_in_s) from marts.sessions"),
    ("users", "select count(*), sum(sessions), sum(page_views) from marts.users"),
    ("articles", "select count(*), sum(page_views), sum(readers), count(published_at) from marts.articles"),
    ("interactions", "select count(*), sum(dwell_s), sum(reads) from marts.interactions"),
]
#: What both builds run (models and their data tests): the marts, and the recommender and evaluation models
#: with their parents. On PostgreSQL and Spark that is every SQL model (no dbt Python models there: no ALS, no
#: oracle); recommendations and model_registry are built too, but their rows carry the run's model_id.
SELECT = [
    "+path:models/marts/core",
    "+path:models/marts/recommender",
    "+path:models/marts/evaluation",
    "--indirect-selection",
    "cautious",
]
#: (name, query) per cut: the same on both builds, whatever strategies each has.
CUT_CHECKS = [
    (
        "recommender_cuts",
        "select site_id, cut_at, is_serving, is_scored, eval_window_end from recommender.recommender_cuts "
        "order by site_id, cut_at",
    ),
    (
        "recommender_candidates",
        "select site_id, cut_at, count(*), sum(age_days), sum(decay) from recommender.recommender_candidates "
        "group by site_id, cut_at order by site_id, cut_at",
    ),
    (
        "recommender_cut_reads",
        "select site_id, cut_at, count(*), sum(dwell_s), sum(reads) from recommender.recommender_cut_reads "
        "group by site_id, cut_at order by site_id, cut_at",
    ),
    (
        "recommender_training_interactions",
        "select site_id, cut_at, count(*), count(distinct domain_userid), sum(dwell_s) "
        "from recommender.recommender_training_interactions "
        "group by site_id, cut_at order by site_id, cut_at",
    ),
    (
        "eval_related_cases",
        "select site_id, cut_at, count(*), sum(case when is_cold_start then 1 else 0 end) "
        "from evaluation.eval_related_cases group by site_id, cut_at order by site_id, cut_at",
    ),
    (
        "eval_reader_cases",
        "select site_id, cut_at, count(*), count(distinct domain_userid) "
        "from evaluation.eval_reader_cases group by site_id, cut_at order by site_id, cut_at",
    ),
]
#: (table, query) per strategy: compared on the strategies the PostgreSQL build has (read from its data, in
#: place of ``{strategies}``); DuckDB has those and its Python ones.
STRATEGY_CHECKS = [
    (
        "recommendation_lists",
        "select site_id, cut_at, strategy, source_entity_type, source_entity_id, rank, "
        "recommended_article_id, score, is_fill from recommender.recommendation_lists "
        "where strategy in ({strategies}) "
        "order by site_id, cut_at, strategy, source_entity_type, source_entity_id, rank",
    ),
    (
        "eval_case_hits",
        "select site_id, cut_at, strategy, task, count(*), sum(hr), sum(ndcg), sum(mrr), sum(recall), "
        "sum(cold_start) from evaluation.eval_case_hits where strategy in ({strategies}) "
        "group by site_id, cut_at, strategy, task order by site_id, cut_at, strategy, task",
    ),
    (
        # the bootstrap intervals hash each case with the database's own hash function: values only
        "model_evaluations",
        "select site_id, strategy, task, metric, k, value from evaluation.model_evaluations "
        "where strategy in ({strategies}) order by site_id, strategy, task, metric, k",
    ),
]


def _normal(rows: list[tuple]) -> list[tuple]:
    """Comparable values: numbers as floats, booleans and nulls as they are, the rest as text."""

    def norm(value: object) -> object:
        if value is None or isinstance(value, bool):
            return value
        try:
            return float(value)  # int, float, Decimal
        except (TypeError, ValueError):
            return str(value)

    return [tuple(norm(v) for v in row) for row in rows]


def assert_same_rows(duck_rows: list[tuple], other_rows: list[tuple], other: str = "PostgreSQL") -> None:
    """The same rows in the same order; floats equal to 1e-6 relative (sums of doubles differ in the last
    digits between two databases)."""
    duck, pg = _normal(duck_rows), _normal(other_rows)
    assert len(duck) == len(pg), f"{len(duck)} rows on DuckDB, {len(pg)} on {other}"

    def same(a: object, b: object) -> bool:
        if isinstance(a, float) and isinstance(b, float):
            return math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-9)
        return a == b

    for i, (d, p) in enumerate(zip(duck, pg, strict=True)):
        assert len(d) == len(p) and all(same(a, b) for a, b in zip(d, p, strict=True)), (
            f"row {i}: DuckDB {d} != {other} {p}"
        )


def generated_events(out: Path, *, users: int, articles: int, days: int) -> Path:
    """Generated events (2 sites, seed 5) for the days before AS_OF, into `out`."""
    generate(
        GenerateConfig(
            out=out,
            users=users,
            articles=articles,
            days=days,
            sites=2,
            seed=5,
            end=date(2024, 3, 10),
            quiet=True,
        )
    )
    return out


def dbt_vars(out: Path, events_dir: Path | None = None, **extra: object) -> dict[str, object]:
    """The vars of a build of the events generated into `out` (their files: `events_dir`, else out/events)."""
    return {
        "article_recs__as_of": AS_OF,
        "article_recs__events_path": f"{events_dir or out / 'events'}/**/*.tsv*",
        "article_recs__article_metadata_path": f"{out}/articles/articles.csv",
        "article_recs__ground_truth_path": f"{out}/ground_truth",
        **extra,
    }


def build_duckdb(events: Path, work: Path, also: Sequence[str] = ()) -> Path:
    """The SELECT build of `events` (and of the selectors `also`) on a DuckDB file of its own; returns the
    file."""
    path = work / "warehouse.duckdb"
    run_dbt(
        ["build", "--select", *also, *SELECT],
        duckdb_path=path,
        target_path=work / "target",
        dbt_vars=dbt_vars(events),
    )
    return path


def duck_rows(path: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()

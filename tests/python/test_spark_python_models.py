"""The ALS model file fed through article_recs.spark_models' stand-in for dbt (Spark DataFrames read as Arrow)
returns the lists it returns from DuckDB relations (what dbt-duckdb gives it), on the same small input.

Needs Java and pyspark (make spark-deps): skipped otherwise, like the other Spark tests.
"""

from __future__ import annotations

import importlib.util

import duckdb
import pandas as pd
import pytest
from warehouse_compare import skip_without_spark

from article_recs.recommend.synthetic import synthetic_data
from article_recs.settings import PROJECT_DIR
from article_recs.spark_models import _Relation, spark_session

pytestmark = [pytest.mark.spark, pytest.mark.slow]

skip_without_spark()

CUT_1, CUT_2 = pd.Timestamp("2024-03-01 10:00"), pd.Timestamp("2024-03-01 12:00")
VARS = {"article_recs__als_factors": 8, "article_recs__als_iterations": 5, "article_recs__als_threads": 1}


def refs() -> dict[str, pd.DataFrame]:
    """recommender_cuts and the three refs of als_lists: two sites, herald at two cuts, with two reads
    training dropped (a short one, one of an article too old)."""
    i1, a1 = synthetic_data(300, 40, 2500, site_id="herald", seed=1, as_of=CUT_2)
    i2, a2 = synthetic_data(200, 30, 1500, site_id="metro", seed=2, as_of=CUT_2)
    training = pd.concat(
        [i1.assign(cut_at=CUT_1), i1.assign(cut_at=CUT_2), i2.assign(cut_at=CUT_2)], ignore_index=True
    )
    training["dwell_s"] = training["dwell_s"].round().astype("Int64")
    candidates = pd.concat(
        [
            a1.assign(cut_at=CUT_1, decay=1.0),
            a1.assign(cut_at=CUT_2, decay=0.5),
            a2.assign(cut_at=CUT_2, decay=1.0),
        ],
        ignore_index=True,
    )[["site_id", "cut_at", "article_id", "decay"]]
    reader = training["domain_userid"].iloc[0]
    dropped = pd.DataFrame(
        {
            "site_id": ["herald", "herald"],
            "cut_at": [CUT_2, CUT_2],
            "domain_userid": [reader, reader],
            "article_id": ["a5", "a6"],
            "dwell_s": [1, 2],
            "is_dwell_in_range": [False, True],
            "is_article_in_age": [True, False],
        }
    )
    cut_reads = pd.concat(
        [training.assign(is_dwell_in_range=True, is_article_in_age=True), dropped], ignore_index=True
    )
    cuts = pd.DataFrame(
        {
            "site_id": ["herald", "herald", "metro"],
            "cut_at": [CUT_1, CUT_2, CUT_2],
            "recs_per_source": [5, 5, 3],
        }
    )
    return {
        "recommender_cuts": cuts,
        "recommender_training_interactions": training,
        "recommender_candidates": candidates,
        "recommender_cut_reads": cut_reads,
    }


class _Config:
    def __call__(self, **_: object) -> None:
        return None

    def meta_get(self, key: str) -> dict:
        return VARS


class _Dbt:
    is_incremental = False
    config = _Config()

    def __init__(self, ref) -> None:  # noqa: ANN001 - name -> relation
        self.ref = ref


def test_als_lists_through_the_spark_stand_in_equal_those_through_duckdb(tmp_path, monkeypatch) -> None:
    spec = importlib.util.spec_from_file_location(
        "als_lists", PROJECT_DIR / "python_models/recommender/als_lists.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    frames = refs()

    con = duckdb.connect()
    for name, frame in frames.items():
        con.register(f"{name}_frame", frame)
        con.execute(f"create table {name} as select * from {name}_frame")
    on_duckdb = module.model(_Dbt(con.table), con)

    monkeypatch.setenv("ARTICLE_RECS_SPARK_WAREHOUSE", str(tmp_path / "spark"))
    monkeypatch.setenv("ARTICLE_RECS_SPARK_MASTER", "local[1]")
    spark = spark_session()
    try:
        on_spark = module.model(_Dbt(lambda name: _Relation(spark.createDataFrame(frames[name]))), spark)
    finally:
        spark.stop()

    timings = ["trained_at", "train_seconds"]
    assert on_duckdb.num_rows > 0
    assert on_spark.drop_columns(timings).equals(on_duckdb.drop_columns(timings))

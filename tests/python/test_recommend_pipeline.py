"""The per-(site, cut) functions the dbt Python models call: ALS lists per cut, the cuts a run computes."""

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from article_recs.recommend.dbt_models import (
    ALS_LISTS_SCHEMA,
    ORACLE_LIST_COLUMNS,
    als_lists_table,
    cut_filter_sql,
    cuts_to_build,
    eval_oracle_lists_table,
    in_cut_batches,
    new_cut_lists,
)
from article_recs.recommend.synthetic import synthetic_data

CUT_1 = pd.Timestamp("2024-03-01 10:00")
CUT_2 = pd.Timestamp("2024-03-01 12:00")
VARS = {
    "article_recs__als_factors": 8,
    "article_recs__als_iterations": 5,
    "article_recs__als_threads": 1,
    "article_recs__recs_per_source": 5,
}


@pytest.fixture(scope="module")
def two_cuts():
    """herald at two cuts (the second one knows one article less: it is too old by then), metro at one."""
    i1, a1 = synthetic_data(300, 40, 2500, site_id="herald", seed=1, as_of=CUT_2)
    i2, a2 = synthetic_data(200, 30, 1500, site_id="metro", seed=2, as_of=CUT_2)
    cuts = pd.DataFrame(
        {
            "site_id": ["herald", "herald", "metro"],
            "cut_at": [CUT_1, CUT_2, CUT_2],
            "recs_per_source": [5, 5, 3],
        }
    )
    interactions = pd.concat(
        [i1.assign(cut_at=CUT_1), i1.assign(cut_at=CUT_2), i2.assign(cut_at=CUT_2)], ignore_index=True
    )
    candidates = pd.concat(
        [
            a1.assign(cut_at=CUT_1, decay=1.0),
            a1[a1["article_id"] != "a0"].assign(cut_at=CUT_2, decay=0.5),
            a2.assign(cut_at=CUT_2, decay=1.0),
        ],
        ignore_index=True,
    )[["site_id", "cut_at", "article_id", "decay"]]
    reads = interactions[["site_id", "cut_at", "domain_userid", "article_id"]]
    return cuts, interactions, candidates, reads


def test_als_lists_are_per_cut_own_lists_that_hold_the_candidate_rules(two_cuts) -> None:
    cuts, interactions, candidates, reads = two_cuts
    # a read in the window that training dropped (e.g. too short): the reader's list must still skip it
    reader = interactions[interactions["site_id"] == "herald"]["domain_userid"].iloc[0]
    unread = sorted(
        set(candidates[candidates["site_id"] == "herald"]["article_id"])
        - set(
            interactions[(interactions["site_id"] == "herald") & (interactions["domain_userid"] == reader)][
                "article_id"
            ]
        )
    )
    extra = pd.DataFrame(
        {"site_id": ["herald"], "cut_at": [CUT_2], "domain_userid": [reader], "article_id": [unread[0]]}
    )
    table = als_lists_table(cuts, interactions, candidates, pd.concat([reads, extra]), VARS)
    assert table.schema == ALS_LISTS_SCHEMA
    out = table.to_pandas()
    assert set(zip(out["site_id"], out["cut_at"], strict=True)) == {
        ("herald", CUT_1),
        ("herald", CUT_2),
        ("metro", CUT_2),
    }
    # the cut's candidates only: a0 is no candidate at herald's second cut
    second = out[(out["site_id"] == "herald") & (out["cut_at"] == CUT_2)]
    assert "a0" not in set(second["recommended_article_id"])
    assert "a0" in set(out[(out["site_id"] == "herald") & (out["cut_at"] == CUT_1)]["recommended_article_id"])
    # decay 0.5 at the second cut: related scores (cosines times decay) at most 0.5
    assert second[second["source_entity_type"] == "article"]["score"].max() <= 0.5 + 1e-9
    related = out[out["source_entity_type"] == "article"]
    assert not (related["source_entity_id"] == related["recommended_article_id"]).any()
    mine = second[(second["source_entity_type"] == "reader") & (second["source_entity_id"] == reader)]
    assert len(mine) and unread[0] not in set(mine["recommended_article_id"])
    # per-site N from the cut's row
    assert out[out["site_id"] == "metro"].groupby("source_entity_id")["rank"].max().max() <= 3
    assert (out["score"] > 0).all() and (out["score"] <= 1).all()


def test_als_lists_from_arrow_refs_and_only_the_reads_training_dropped_are_the_same_lists(two_cuts) -> None:
    """The dbt model reads its refs as Arrow and passes only the window reads that training dropped: the
    lists are those of pandas frames with every read of the window (the training cells are skipped anyway)."""
    cuts, interactions, candidates, reads = two_cuts
    reader = interactions["domain_userid"].iloc[0]
    dropped = pd.DataFrame(
        {
            "site_id": ["herald"] * 2,
            "cut_at": [CUT_2] * 2,
            "domain_userid": [reader] * 2,
            "article_id": ["a5", "a6"],
        }
    )
    every_read = als_lists_table(cuts, interactions, candidates, pd.concat([reads, dropped]), VARS)
    as_arrow = [pa.Table.from_pandas(f, preserve_index=False) for f in (interactions, candidates, dropped)]
    from_arrow = als_lists_table(cuts, *as_arrow, VARS)
    timings = ["trained_at", "train_seconds"]
    assert from_arrow.drop_columns(timings).equals(every_read.drop_columns(timings))


def test_als_lists_without_cuts_is_an_empty_table_with_the_schema() -> None:
    table = als_lists_table(pd.DataFrame(columns=["site_id", "cut_at"]), None, None, None, VARS)
    assert table.num_rows == 0 and table.schema == ALS_LISTS_SCHEMA


def test_a_run_computes_only_the_cuts_its_table_does_not_hold(two_cuts) -> None:
    cuts = two_cuts[0]
    assert len(cuts_to_build(cuts, None)) == 3
    built = pd.DataFrame({"site_id": ["herald", "metro"], "cut_at": [CUT_1, CUT_2]})
    left = cuts_to_build(cuts, built)
    assert list(zip(left["site_id"], left["cut_at"], strict=True)) == [("herald", CUT_2)]


def test_cut_filter_is_sql_over_the_cuts_site_and_time(two_cuts) -> None:
    sql = cut_filter_sql(two_cuts[0])
    assert sql == (
        "(site_id in ('herald') and cut_at in"
        " (timestamp '2024-03-01 10:00:00.000000', timestamp '2024-03-01 12:00:00.000000'))"
        " or (site_id in ('metro') and cut_at in (timestamp '2024-03-01 12:00:00.000000'))"
    )
    # sites with the same cut times share one term (a full build: one term)
    same = pd.DataFrame({"site_id": ["metro", "herald"], "cut_at": [CUT_2, CUT_2]})
    assert cut_filter_sql(same) == (
        "(site_id in ('herald', 'metro') and cut_at in (timestamp '2024-03-01 12:00:00.000000'))"
    )
    assert cut_filter_sql(two_cuts[0].iloc[0:0]) == "false"
    rows = pd.DataFrame(
        {
            "site_id": ["herald", "metro", "herald", "metro", "o'hare"],
            "cut_at": [CUT_1, CUT_1, CUT_2, CUT_2, CUT_2],
        }
    )
    cuts = pd.DataFrame({"site_id": ["metro", "o'hare"], "cut_at": [CUT_1, CUT_2]})
    con = duckdb.connect()
    con.register("cut_rows", rows)
    kept = con.sql("select * from cut_rows where " + cut_filter_sql(cuts)).df()
    assert sorted(zip(kept["site_id"], kept["cut_at"], strict=True)) == [("metro", CUT_1), ("o'hare", CUT_2)]


def test_python_models_read_their_inputs_in_batches_of_whole_cut_times() -> None:
    t1, t2, t3 = (pd.Timestamp("2024-03-01 10:00") + pd.Timedelta(hours=2 * i) for i in range(3))
    cuts = pd.DataFrame({"site_id": ["herald", "metro", "herald", "herald"], "cut_at": [t1, t1, t2, t3]})
    seen: list[tuple[list, str]] = []

    def lists_of(batch: pd.DataFrame, cut_filter: str) -> pa.Table:
        seen.append((sorted(zip(batch["site_id"], batch["cut_at"], strict=True)), cut_filter))
        return pa.table({"site_id": pa.array(batch["site_id"], pa.string())})

    rows = pd.Series([t1] * 6 + [t2] * 5 + [t3] * 1)  # the largest input's cut_at, one per row
    out = in_cut_batches(cuts, lists_of, rows, batch_rows=6)
    assert [batch for batch, _ in seen] == [
        [("herald", t1), ("metro", t1)],  # 6 rows: a batch of its own
        [("herald", t2), ("herald", t3)],  # 5 + 1 rows
    ]
    assert seen[1][1] == cut_filter_sql(cuts.iloc[2:])
    assert out.num_rows == 4
    seen.clear()
    assert in_cut_batches(cuts, lists_of, rows).num_rows == 4 and len(seen) == 1  # small: one read
    seen.clear()
    assert in_cut_batches(cuts.iloc[0:0], lists_of, rows).num_rows == 0 and seen == [([], "false")]


def test_a_python_model_computes_the_cuts_its_table_lacks_reading_only_their_rows(two_cuts) -> None:
    """new_cut_lists over DuckDB relations, as dbt-duckdb hands them to a model: on an incremental run the
    cuts already in the model's table are neither computed nor read; on a full build every cut is."""
    con = duckdb.connect()
    con.register("cuts_frame", two_cuts[0])
    con.execute("create table built as select 'herald' as site_id, timestamp '2024-03-01 10:00' as cut_at")
    reads = two_cuts[3]
    con.register("reads_frame", reads)
    seen: list[tuple[list, int]] = []

    def lists_of(batch: pd.DataFrame, cut_filter: str) -> pa.Table:
        read = con.sql("select * from reads_frame").filter(cut_filter).df()
        seen.append((sorted(zip(batch["site_id"], batch["cut_at"], strict=True)), len(read)))
        return pa.table({"site_id": pa.array(batch["site_id"], pa.string())})

    class Dbt:
        this = "built"
        is_incremental = True

    def run() -> pa.Table:
        cuts, largest_input = con.sql("select * from cuts_frame"), con.sql("select * from reads_frame")
        return new_cut_lists(Dbt(), con, cuts, largest_input, lists_of)

    out = run()
    new = reads[reads["cut_at"] == CUT_2]
    assert out.num_rows == 2 and seen == [([("herald", CUT_2), ("metro", CUT_2)], len(new))]
    seen.clear()
    Dbt.is_incremental = False
    assert run().num_rows == 3
    assert seen == [([("herald", CUT_1), ("herald", CUT_2), ("metro", CUT_2)], len(reads))]


def test_a_run_with_nothing_left_to_build_keeps_the_columns(two_cuts) -> None:
    """Every cut built: the model still gets its (empty) batch, with the columns it reads."""
    cuts = two_cuts[0]
    assert list(cuts_to_build(cuts.iloc[0:0], cuts).columns) == list(cuts.columns)


def test_oracle_lists_are_empty_without_ground_truth(two_cuts) -> None:
    out = eval_oracle_lists_table(None, two_cuts[0], None, None, None, None)
    assert out.empty and list(out.columns) == ORACLE_LIST_COLUMNS
    assert np.issubdtype(out["cut_at"].dtype, np.datetime64)

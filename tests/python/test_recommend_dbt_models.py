"""The recommender Python models run under dbt-duckdb on a tiny throwaway project.

The project (built in a temp dir) has seeds standing in for the marts (page_views, articles) and the cuts
(recommender_cuts), small SQL models for the per-cut inputs, and copies python_models/ and the cut macros from
the repository, so the real model files and their YAML (vars wired through meta, incremental by cut) are what
runs.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

REPO = Path(__file__).resolve().parents[2]
AS_OF = pd.Timestamp("2024-03-10 12:00:00")

PROJECT_YML = """
name: recs_fixture
version: "0.1.0"
config-version: 2
profile: recs_fixture
model-paths: ["models", "python_models"]
vars:
  article_recs__as_of: null
  article_recs__ground_truth_path: ''
  article_recs__training_window_days: 28
  article_recs__max_article_age_days: 365
  article_recs__decay_half_life_days: 60
  article_recs__recs_per_source: 5
  article_recs__popularity_window_days: 7
  article_recs__popularity_half_life_days: 10
  article_recs__popularity_top_n: 50
  article_recs__als_factors: 8
  article_recs__als_regularization: 0.05
  article_recs__als_iterations: 5
  article_recs__als_alpha: 8
  article_recs__als_seed: 42
  article_recs__als_threads: 1
  article_recs__holdout_hours: 24
  article_recs__eval_k: 5
  article_recs__content_window_days: 7
  article_recs__ranker_iterations: 100
  article_recs__ranker_depth: 4
  article_recs__ranker_learning_rate: 0.1
  article_recs__ranker_seed: 42
  article_recs__ranker_threads: 1
  article_recs__ranker_min_training_groups: 20
  article_recs__ranker_pool_sites: true
  article_recs__ranker_training_hours: 24
  article_recs__ranker_refit_hours: 2
  article_recs__ranker_permutations: 3
  article_recs__ranker_loss: YetiRank
seeds:
  recs_fixture:
    page_views:
      +column_types: {start_tstamp: timestamp, article_id: varchar, engaged_time_in_s: double}
    articles:
      +column_types: {article_id: varchar, first_seen_at: timestamp, published_at: timestamp}
    recommender_cuts:
      +column_types: {cut_at: timestamp, eval_window_end: timestamp, as_of: timestamp}
flags:
  send_anonymous_usage_stats: false
  partial_parse: false
"""

PROFILES_YML = """
recs_fixture:
  target: dev
  outputs:
    dev:
      type: duckdb
      path: "{path}"
      threads: 1
"""

SQL_MODELS = {
    "recommender_cut_reads": """
select c.site_id, c.cut_at, p.domain_userid, p.article_id, sum(p.engaged_time_in_s) as dwell_s,
       count(*) as reads, min(p.start_tstamp) as first_read_at, max(p.start_tstamp) as last_read_at,
       true as is_dwell_in_range, true as is_article_in_age
from {{ ref('page_views') }} as p
inner join {{ ref('recommender_cuts') }} as c on p.site_id = c.site_id
where p.article_id is not null and p.start_tstamp < c.cut_at
group by all
""",
    "recommender_training_interactions": """
select * from {{ ref('recommender_cut_reads') }}
""",
    "recommender_candidates": """
select c.site_id, c.cut_at, a.article_id, 0.0 as age_days, 1.0 as decay
from {{ ref('articles') }} as a
inner join {{ ref('recommender_cuts') }} as c on a.site_id = c.site_id
where a.first_seen_at < c.cut_at
""",
    "eval_related_cases": """
with seq as (
    select p.site_id, p.page_view_id as case_id, p.domain_userid, p.domain_sessionid,
           p.article_id as source_article_id, p.start_tstamp as source_read_at,
           lead(p.article_id) over (partition by p.domain_sessionid order by p.start_tstamp)
               as target_article_id,
           lead(p.start_tstamp) over (partition by p.domain_sessionid order by p.start_tstamp)
               as target_read_at
    from {{ ref('page_views') }} as p
)
select c.cut_at, seq.*, false as is_cold_start
from seq inner join {{ ref('recommender_cuts') }} as c
    on seq.site_id = c.site_id and seq.source_read_at >= c.cut_at and seq.source_read_at < c.eval_window_end
where c.is_scored and target_article_id is not null and target_article_id <> source_article_id
""",
    "eval_reader_cases": """
select distinct c.site_id, c.cut_at, p.domain_userid, p.article_id, false as is_cold_start
from {{ ref('page_views') }} as p
inner join {{ ref('recommender_cuts') }} as c
    on p.site_id = c.site_id and p.start_tstamp >= c.cut_at and p.start_tstamp < c.eval_window_end
where c.is_scored
""",
}


def fixture_frames(seed: int = 7) -> dict[str, pd.DataFrame]:
    """A few hundred page views on two sites over ten days, readers with topic preferences."""
    rng = np.random.default_rng(seed)
    rows, articles = [], []
    for site in ("herald", "metro"):
        n_articles = 24
        published = [AS_OF - pd.Timedelta(hours=float(h)) for h in rng.uniform(2, 240, n_articles)]
        for j in range(n_articles):
            articles.append(
                {
                    "site_id": site,
                    "article_id": f"{j}",
                    "canonical_path": f"/a/{j}",
                    "title": f"{('Storm', 'Budget', 'Derby')[j % 3]} story {j} | The {site.title()}",
                    "section": f"s{j % 3}",
                    "author": "x",
                    "first_seen_at": published[j],
                    "published_at": published[j],
                    "published_at_source": "metadata",
                    "page_views": 0,
                    "readers": 0,
                }
            )
        for u in range(30):
            topic = u % 3
            for s in range(int(rng.integers(1, 4))):
                start = AS_OF - pd.Timedelta(hours=float(rng.uniform(0.5, 220)))
                picks = [j for j in rng.permutation(n_articles) if j % 3 == topic or rng.random() < 0.2][:4]
                for i, j in enumerate(picks):
                    at = max(start + pd.Timedelta(minutes=3 * i), published[j] + pd.Timedelta(minutes=1))
                    if at > AS_OF:
                        continue
                    rows.append(
                        {
                            "page_view_id": f"{site}-{u}-{s}-{i}",
                            "site_id": site,
                            "domain_userid": f"{site}-u{u}",
                            "domain_sessionid": f"{site}-u{u}-s{s}",
                            "article_id": f"{j}",
                            "start_tstamp": at,
                            "engaged_time_in_s": int(rng.integers(5, 300)),
                        }
                    )
    page_views = pd.DataFrame(rows).sort_values("start_tstamp")
    knobs = {
        "training_window_days": 28,
        "decay_half_life_days": 60,
        "max_article_age_days": 365,
        "popularity_window_days": 7,
        "popularity_half_life_days": 10,
        "popularity_top_n": 50,
        "min_dwell_s": 0,
        "max_dwell_s": 10000,
        "recs_per_source": 5,
        "knn_max_reads_per_reader": 50,
        "knn_reader_neighbours": 20,
    }
    return {
        "page_views": page_views,
        "articles": pd.DataFrame(articles),
        "recommender_cuts": cuts_frame(knobs, [AS_OF - pd.Timedelta(hours=24), AS_OF]),
    }


def cuts_frame(knobs: dict, cut_times: list[pd.Timestamp]) -> pd.DataFrame:
    """recommender_cuts rows for both sites at ``cut_times`` (the last one is the serving cut)."""
    rows = []
    for site in ("herald", "metro"):
        for at in cut_times:
            serving = at == cut_times[-1]
            rows.append({
                "site_id": site, "app_id": f"{site}-web", "cut_at": at, "is_serving": serving,
                "eval_window_end": None if serving else at + pd.Timedelta(hours=2), "is_scored": not serving,
                "as_of": cut_times[-1], **knobs,
            })
    return pd.DataFrame(rows)


def write_project(root: Path) -> Path:
    """Write the throwaway dbt project under ``root`` (python_models linked from the repository)."""
    (root / "models").mkdir(parents=True, exist_ok=True)
    (root / "seeds").mkdir(exist_ok=True)
    (root / "python_models").mkdir(exist_ok=True)
    # copied, not linked: dbt does not follow symlinked folders. ranked_lists re-ranks the SQL strategies'
    # candidates (ranker_candidates), which this project does not have: tests/python/test_recommend_ranker.py
    shutil.copytree(
        REPO / "python_models",
        root / "python_models",
        dirs_exist_ok=True,
        ignore=shutil.ignore_patterns("ranked_lists.py"),
    )
    # the generic data tests the models' YAML uses, the cut-keyed incremental config (retire_cuts), and the
    # project's get_where_subquery (snowplow_incremental.sql), which reads their `where` configs
    (root / "macros").mkdir(exist_ok=True)
    for macro in ("recommender_tests.sql", "recommender_cuts.sql", "snowplow_incremental.sql"):
        shutil.copyfile(REPO / "macros" / macro, root / "macros" / macro)
    (root / "dbt_project.yml").write_text(PROJECT_YML)
    (root / "profiles.yml").write_text(PROFILES_YML.format(path=root / "fixture.duckdb"))
    # the data tests of the Python models' YAML name recommender_sites: the cuts stand in for it here
    (root / "models" / "recommender_sites.sql").write_text("select * from {{ ref('recommender_cuts') }}")
    for name, sql in SQL_MODELS.items():
        (root / "models" / f"{name}.sql").write_text(sql)
    for name, frame in fixture_frames().items():
        frame.to_csv(root / "seeds" / f"{name}.csv", index=False)
    return root


def run_dbt(root: Path, args: list[str]) -> None:
    from dbt.cli.main import dbtRunner

    cwd = os.getcwd()
    os.chdir(root)
    try:
        result = dbtRunner().invoke(
            [*args, "--project-dir", str(root), "--profiles-dir", str(root), "--quiet"]
        )
    finally:
        os.chdir(cwd)
    assert result.success, result.exception


def read_tables(root: Path, *names: str) -> list[pd.DataFrame]:
    con = duckdb.connect(str(root / "fixture.duckdb"))
    schemas = dict(con.sql("select table_name, table_schema from information_schema.tables").fetchall())
    frames = [con.sql(f"select * from {schemas[name]}.{name}").df() for name in names]
    con.close()
    return frames


@pytest.mark.slow
def test_python_models_build_on_duckdb_per_cut_and_incrementally(tmp_path: Path) -> None:
    root = write_project(tmp_path / "proj")
    run_dbt(root, ["build"])
    als, cut_reads, oracle = read_tables(root, "als_lists", "recommender_cut_reads", "eval_oracle_lists")

    assert set(als["source_entity_type"]) == {"article", "reader"}
    assert als.groupby("site_id")["cut_at"].nunique().to_dict() == {"herald": 2, "metro": 2}
    assert als["score"].between(0, 1, inclusive="right").all()
    sizes = als.groupby(["site_id", "cut_at", "source_entity_type", "source_entity_id"]).size()
    assert sizes.between(1, 5).all() and (sizes == 5).mean() > 0.5  # unpadded: the model's own items only
    assert not (als["source_entity_id"] == als["recommended_article_id"]).any()
    readers = als[als["source_entity_type"] == "reader"]
    read_back = readers.merge(
        cut_reads, left_on=["site_id", "cut_at", "source_entity_id", "recommended_article_id"],
        right_on=["site_id", "cut_at", "domain_userid", "article_id"],
    )
    assert len(readers) and read_back.empty
    assert als["n_interactions"].gt(0).all() and als["train_seconds"].ge(0).all()
    assert oracle.empty and {"domain_userid", "task", "cut_at"} <= set(oracle.columns)

    # content: related lists for every candidate of each cut, reader lists without the reader's reads
    content, candidates = read_tables(root, "content_lists", "recommender_candidates")
    assert set(content["source_entity_type"]) == {"article", "reader"}
    assert content.groupby("site_id")["cut_at"].nunique().to_dict() == {"herald": 2, "metro": 2}
    assert content["score"].between(0, 1, inclusive="right").all()
    assert not (content["source_entity_id"] == content["recommended_article_id"]).any()
    keys = ["site_id", "cut_at", "article_id"]
    related = content[content["source_entity_type"] == "article"]
    sources = set(related[["site_id", "cut_at", "source_entity_id"]].itertuples(index=False, name=None))
    assert sources == set(candidates[keys].itertuples(index=False, name=None))
    recommended = content[["site_id", "cut_at", "recommended_article_id"]]
    recommended = set(recommended.itertuples(index=False, name=None))
    assert recommended <= set(candidates[keys].itertuples(index=False, name=None))
    readers = content[content["source_entity_type"] == "reader"]
    read_back = readers.merge(
        cut_reads, left_on=["site_id", "cut_at", "source_entity_id", "recommended_article_id"],
        right_on=["site_id", "cut_at", "domain_userid", "article_id"],
    )
    assert len(readers) and read_back.empty
    assert content.groupby(["site_id", "cut_at", "source_entity_type", "source_entity_id"]).size().max() == 5

    # the next run: a new serving cut two hours later; the earlier cut stays as it was (not refitted), the
    # old serving cut is retired, only the new cut is fitted
    not_knobs = {"site_id", "app_id", "cut_at", "is_serving", "eval_window_end", "is_scored", "as_of"}
    knobs = {k: v for k, v in fixture_frames()["recommender_cuts"].iloc[0].items() if k not in not_knobs}
    later = AS_OF + pd.Timedelta(hours=2)
    cuts_frame(knobs, [AS_OF - pd.Timedelta(hours=24), later]).to_csv(
        root / "seeds" / "recommender_cuts.csv", index=False
    )
    run_dbt(root, ["build"])
    (after,) = read_tables(root, "als_lists")
    assert sorted(after["cut_at"].unique()) == [AS_OF - pd.Timedelta(hours=24), later]
    kept_before = als[als["cut_at"] == AS_OF - pd.Timedelta(hours=24)]
    kept_after = after[after["cut_at"] == AS_OF - pd.Timedelta(hours=24)]
    assert kept_after["trained_at"].unique().tolist() == kept_before["trained_at"].unique().tolist()
    assert len(kept_after) == len(kept_before)
    (content_after,) = read_tables(root, "content_lists")
    assert sorted(content_after["cut_at"].unique()) == [AS_OF - pd.Timedelta(hours=24), later]
    kept_before = content[content["cut_at"] == AS_OF - pd.Timedelta(hours=24)]
    kept_after = content_after[content_after["cut_at"] == AS_OF - pd.Timedelta(hours=24)]
    assert kept_after["trained_at"].unique().tolist() == kept_before["trained_at"].unique().tolist()
    assert len(kept_after) == len(kept_before)


if __name__ == "__main__":  # build the fixture project to poke at it: python this_file.py DIR
    import subprocess
    import sys

    target = write_project(Path(sys.argv[1]))
    subprocess.run(["dbt", "build", "--profiles-dir", "."], cwd=target, check=False)

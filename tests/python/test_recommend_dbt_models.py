"""The recommender Python models run under dbt-duckdb on a tiny throwaway project.

The project (built in a temp dir) has seeds standing in for the marts (page_views, articles,
recommender_sites, eval_sites) and small SQL models for the rest, and copies python_models/recommender/ from
the repository, so the real model files and their YAML (vars wired through meta) are what runs.
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
seeds:
  recs_fixture:
    page_views:
      +column_types: {start_tstamp: timestamp, article_id: varchar, engaged_time_in_s: double}
    articles:
      +column_types: {article_id: varchar, first_seen_at: timestamp, published_at: timestamp}
    recommender_sites:
      +column_types: {as_of: timestamp}
    eval_sites:
      +column_types: {as_of: timestamp, holdout_start: timestamp, holdout_end: timestamp}
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
    "interactions": """
select site_id, domain_userid, article_id, sum(engaged_time_in_s) as dwell_s, count(*) as reads,
       min(start_tstamp) as first_read_at, max(start_tstamp) as last_read_at
from {{ ref('page_views') }} where article_id is not null
group by all
""",
    "recommender_training_interactions": """
select i.* from {{ ref('interactions') }} as i
inner join {{ ref('recommender_sites') }} as s on i.site_id = s.site_id
where i.last_read_at <= s.as_of
""",
    "recommender_window_reads": """
select p.site_id, p.domain_userid, p.article_id, sum(p.engaged_time_in_s) as dwell_s, count(*) as reads
from {{ ref('page_views') }} as p
inner join {{ ref('recommender_sites') }} as s on p.site_id = s.site_id
where p.article_id is not null and p.start_tstamp <= s.as_of
    and p.start_tstamp > s.as_of - to_days(cast(s.training_window_days as integer))
group by all
""",
    "eval_train_interactions": """
select p.site_id, p.domain_userid, p.article_id, sum(p.engaged_time_in_s) as dwell_s, count(*) as reads,
       min(p.start_tstamp) as first_read_at, max(p.start_tstamp) as last_read_at
from {{ ref('page_views') }} as p
inner join {{ ref('eval_sites') }} as s on p.site_id = s.site_id
where p.article_id is not null and p.start_tstamp <= s.holdout_start
group by all
""",
    "eval_next_in_session_pairs": """
with held as (
    select p.* from {{ ref('page_views') }} as p
    inner join {{ ref('eval_sites') }} as s on p.site_id = s.site_id
    where p.article_id is not null and p.start_tstamp > s.holdout_start and p.start_tstamp <= s.holdout_end
),
seq as (
    select site_id, domain_userid, domain_sessionid, article_id as source_article_id,
           lead(article_id) over (partition by domain_sessionid order by start_tstamp) as next_article_id,
           lead(start_tstamp) over (partition by domain_sessionid order by start_tstamp) as next_read_at
    from held
)
select * from seq where next_article_id is not null and next_article_id <> source_article_id
""",
    "eval_reader_holdout": """
with held as (
    select distinct p.site_id, p.domain_userid, p.article_id from {{ ref('page_views') }} as p
    inner join {{ ref('eval_sites') }} as s on p.site_id = s.site_id
    where p.article_id is not null and p.start_tstamp > s.holdout_start and p.start_tstamp <= s.holdout_end
)
select held.* from held
inner join (select distinct site_id, domain_userid from {{ ref('eval_train_interactions') }}) as known
    using (site_id, domain_userid)
anti join {{ ref('eval_train_interactions') }} as t using (site_id, domain_userid, article_id)
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
                    "title": f"A{j}",
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
    }
    sites = pd.DataFrame(
        [{"site_id": s, "app_id": f"{s}-web", "as_of": AS_OF, **knobs} for s in ("herald", "metro")]
    )
    cut = AS_OF - pd.Timedelta(hours=24)
    eval_sites = sites.assign(as_of=cut, holdout_start=cut, holdout_end=AS_OF)
    return {
        "page_views": page_views,
        "articles": pd.DataFrame(articles),
        "recommender_sites": sites,
        "eval_sites": eval_sites,
    }


def write_project(root: Path) -> Path:
    """Write the throwaway dbt project under ``root`` (python_models linked from the repository)."""
    (root / "models").mkdir(parents=True, exist_ok=True)
    (root / "seeds").mkdir(exist_ok=True)
    (root / "python_models").mkdir(exist_ok=True)
    # copied, not linked: dbt does not follow symlinked folders
    shutil.copytree(
        REPO / "python_models" / "recommender", root / "python_models" / "recommender", dirs_exist_ok=True
    )
    # the generic data tests the models' YAML uses
    (root / "macros").mkdir(exist_ok=True)
    shutil.copyfile(REPO / "macros" / "recommender_tests.sql", root / "macros" / "recommender_tests.sql")
    (root / "dbt_project.yml").write_text(PROJECT_YML)
    (root / "profiles.yml").write_text(PROFILES_YML.format(path=root / "fixture.duckdb"))
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


@pytest.mark.slow
def test_python_models_build_on_duckdb(tmp_path: Path) -> None:
    root = write_project(tmp_path / "proj")
    run_dbt(root, ["build"])
    con = duckdb.connect(str(root / "fixture.duckdb"))
    schemas = dict(
        con.sql("select table_name, table_schema from information_schema.tables").fetchall()
    )  # the eval models go to their own schema (main_evaluation here)
    als = con.sql(f"select * from {schemas['als_lists']}.als_lists").df()
    window = con.sql(f"select * from {schemas['recommender_window_reads']}.recommender_window_reads").df()
    eval_als = con.sql(f"select * from {schemas['eval_als_recommendations']}.eval_als_recommendations").df()
    oracle_table = f"{schemas['eval_oracle_recommendations']}.eval_oracle_recommendations"
    oracle = con.sql(f"select * from {oracle_table}").df()
    oracle_cols = [r[0] for r in con.sql(f"describe {oracle_table}").fetchall()]
    con.close()

    assert set(als["source_entity_type"]) == {"article", "reader"}
    assert als["score"].between(0, 1, inclusive="right").all()
    sizes = als.groupby(["site_id", "source_entity_type", "source_entity_id"]).size()
    assert sizes.between(1, 5).all() and (sizes == 5).mean() > 0.5  # unpadded: the model's own items only
    assert not (als["source_entity_id"] == als["recommended_article_id"]).any()
    readers = als[als["source_entity_type"] == "reader"]
    read_back = readers.merge(
        window, left_on=["site_id", "source_entity_id", "recommended_article_id"],
        right_on=["site_id", "domain_userid", "article_id"],
    )
    assert len(readers) and read_back.empty
    assert als["n_interactions"].gt(0).all() and als["train_seconds"].ge(0).all()
    assert set(eval_als["task"]) == {"related", "reader"}
    assert oracle.empty and "domain_userid" in oracle_cols and "task" in oracle_cols


if __name__ == "__main__":  # build the fixture project to poke at it: python this_file.py DIR
    import subprocess
    import sys

    target = write_project(Path(sys.argv[1]))
    subprocess.run(["dbt", "build", "--profiles-dir", "."], cwd=target, check=False)

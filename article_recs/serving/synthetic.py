"""Synthetic recommender outputs in a DuckDB file, shaped as docs/DESIGN.md says
(``recommender.model_registry`` and ``recommender.recommendations``): for publish tests and the read-path
benchmark, without a dbt build."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class SyntheticModel:
    model_id: str
    site_id: str
    strategy: str = "item_knn"  # item_knn: article rows; popularity: one 'default' list
    n_articles: int = 100
    recs_per_article: int = 10
    seed: int = 0  # changes which articles are recommended (so two versions differ)

    @property
    def n_rows(self) -> int:
        if self.strategy == "popularity":
            return min(self.recs_per_article, self.n_articles)
        return self.n_articles * self.recs_per_article


def write_models(
    duckdb_path: Path | str, models: Sequence[SyntheticModel], *, current: Sequence[str] = ()
) -> None:
    """(Re)write the models into the DuckDB file: registry rows (status current for ``current`` ids, else
    stale) and their recommendations. Models already in the file under the same id are replaced."""
    import duckdb

    con = duckdb.connect(str(duckdb_path))
    try:
        con.execute("create schema if not exists recommender")
        con.execute(
            """
            create table if not exists recommender.model_registry (
                model_id varchar, run_id varchar, site_id varchar, strategy varchar, trained_at timestamp,
                params varchar, train_window_start timestamp, train_window_end timestamp,
                n_interactions bigint, n_readers bigint, n_articles bigint, status varchar,
                ndcg_at_10 double
            )
            """
        )
        con.execute(
            """
            create table if not exists recommender.recommendations (
                model_id varchar, site_id varchar, strategy varchar, source_entity_type varchar,
                source_entity_id varchar, recommended_article_id varchar, rank integer, score double
            )
            """
        )
        for i, m in enumerate(models):
            con.execute("delete from recommender.recommendations where model_id = ?", [m.model_id])
            con.execute("delete from recommender.model_registry where model_id = ?", [m.model_id])
            con.execute(
                """
                insert into recommender.model_registry values (
                    ?, ?, ?, ?, timestamp '2024-03-01 00:00:00' + to_seconds(?), ?,
                    timestamp '2024-02-01', timestamp '2024-03-01', ?, ?, ?, ?, ?
                )
                """,
                [
                    m.model_id,
                    f"run-{m.model_id}",
                    m.site_id,
                    m.strategy,
                    i,
                    json.dumps({"seed": m.seed}),
                    m.n_articles * 7,
                    m.n_articles * 3,
                    m.n_articles,
                    "current" if m.model_id in current else "stale",
                    0.1 + 0.01 * (m.seed % 10),
                ],
            )
            if m.strategy == "popularity":
                con.execute(
                    """
                    insert into recommender.recommendations
                    select ?, ?, ?, 'default', 'default',
                        cast((r * 7 + ?) % ? as varchar), cast(r + 1 as integer), 1.0 / (r + 1)
                    from range(?) as t(r)
                    """,
                    [m.model_id, m.site_id, m.strategy, m.seed, m.n_articles, m.n_rows],
                )
            else:
                con.execute(
                    """
                    insert into recommender.recommendations
                    select ?, ?, ?, 'article', cast(a as varchar),
                        cast((a + 1 + (r * 37 + ?) % (? - 1)) % ? as varchar),
                        cast(r + 1 as integer), 1.0 / (r + 1)
                    from range(?) as s(a), range(?) as t(r)
                    """,
                    [
                        m.model_id,
                        m.site_id,
                        m.strategy,
                        m.seed,
                        m.n_articles,
                        m.n_articles,
                        m.n_articles,
                        m.recs_per_article,
                    ],
                )
        con.execute(
            "update recommender.model_registry set status = case when model_id in (select unnest(?)) "
            "then 'current' else 'stale' end",
            [list(current)],
        )
    finally:
        con.close()


def set_current(duckdb_path: Path | str, current: Sequence[str]) -> None:
    """Make exactly these model ids current in the DuckDB registry (as a new training run would)."""
    import duckdb

    con = duckdb.connect(str(duckdb_path))
    try:
        con.execute(
            "update recommender.model_registry set status = case when model_id in (select unnest(?)) "
            "then 'current' else 'stale' end",
            [list(current)],
        )
    finally:
        con.close()

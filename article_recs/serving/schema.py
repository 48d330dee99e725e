"""The Postgres serving schema: the models a widget may read from, and their recommendations.

A widget reads recommendations only through a model whose status is ``current`` (see :mod:`.read`). Publishing
(:mod:`.publish`) writes a new model's rows under status ``pending``, then one transaction turns the new model
``current`` and the one it replaces ``stale``: a reader's statement sees one snapshot, so it gets the old
model or the new one, never a mix and never nothing. Stale models beyond the last K per (site, strategy)
are deleted with their rows.

There is deliberately no foreign key from recommendations to models: a bulk copy would pay a lookup per row,
and the publisher deletes a model's rows itself, in the transaction that deletes the model.
"""

from __future__ import annotations

SCHEMA = "serving"

#: Idempotent DDL (create ... if not exists), run by every publish.
DDL = f"""
create schema if not exists {SCHEMA};

create table if not exists {SCHEMA}.models (
    model_id text primary key,
    site_id text not null,
    strategy text not null,
    status text not null check (status in ('pending', 'current', 'stale')),
    run_id text,
    trained_at timestamp,
    train_window_start timestamp,
    train_window_end timestamp,
    n_interactions bigint,
    n_readers bigint,
    n_articles bigint,
    n_recommendations bigint,
    params jsonb,
    registry jsonb,
    published_at timestamptz not null default now(),
    activated_at timestamptz
);

comment on table {SCHEMA}.models is
    'One row per published model. Widgets read only models with status = current (one per site, strategy).';
comment on column {SCHEMA}.models.status is
    'pending: rows being copied (invisible); current: served; stale: replaced, kept for rollback (last K)';
comment on column {SCHEMA}.models.registry is
    'The whole recommender.model_registry row from DuckDB, headline metrics included';

-- at most one current model per (site, strategy): the flip marks the old one stale first
create unique index if not exists models_one_current
    on {SCHEMA}.models (site_id, strategy) where status = 'current';

create table if not exists {SCHEMA}.recommendations (
    model_id text not null,
    source_entity_type text not null,
    source_entity_id text not null,
    rank integer not null,
    recommended_article_id text not null,
    score double precision,
    constraint recommendations_pkey primary key (model_id, source_entity_type, source_entity_id, rank)
);

comment on table {SCHEMA}.recommendations is
    'Recommendations of every published model; read them joined to models where status = current';
comment on index {SCHEMA}.recommendations_pkey is
    'Serves the widget read path: one model, one source article, ranks in order (no sort, no scan)';

create or replace view {SCHEMA}.current_recommendations as
select
    models.site_id,
    models.strategy,
    models.model_id,
    recommendations.source_entity_type,
    recommendations.source_entity_id,
    recommendations.rank,
    recommendations.recommended_article_id,
    recommendations.score
from {SCHEMA}.models as models
inner join {SCHEMA}.recommendations as recommendations
    on models.model_id = recommendations.model_id
where models.status = 'current';

comment on view {SCHEMA}.current_recommendations is
    'What widgets see: the recommendations of the current model of each (site, strategy)';
"""


def ensure_schema(conn) -> None:  # noqa: ANN001 - a psycopg2 connection
    """Create the serving schema, tables, index and view when missing (one transaction)."""
    with conn.cursor() as cur:
        cur.execute(DDL)
    conn.commit()

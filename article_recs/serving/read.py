"""The read path a widget API runs: the current related articles for a site and an article, top N.

One statement joins ``serving.models`` (status = 'current', found through the partial unique index
``models_one_current``) to ``serving.recommendations`` (its primary key ``(model_id, source_entity_type,
source_entity_id, rank)`` returns the ranks already in order). A statement sees one snapshot, so it reads the
old current model or the new one, never a mix. When the preferred strategy has no row for the article (a new
article, or no model for the site), the site's popularity list is the fallback.
"""

from __future__ import annotations

from dataclasses import dataclass

from article_recs.serving.schema import SCHEMA

#: The widget query. Parameters: site_id, strategy, source_entity_type, source_entity_id, n.
RELATED_SQL = f"""
select
    recommendations.rank,
    recommendations.recommended_article_id,
    recommendations.score,
    models.model_id,
    models.strategy
from {SCHEMA}.models as models
inner join {SCHEMA}.recommendations as recommendations
    on recommendations.model_id = models.model_id
where
    models.site_id = %(site_id)s
    and models.strategy = %(strategy)s
    and models.status = 'current'
    and recommendations.source_entity_type = %(source_entity_type)s
    and recommendations.source_entity_id = %(source_entity_id)s
order by recommendations.rank
limit %(n)s
"""


@dataclass(frozen=True)
class Recommendation:
    rank: int
    article_id: str
    score: float | None
    model_id: str
    strategy: str


def _query(
    cur, site_id: str, strategy: str, entity_type: str, entity_id: str, n: int
) -> list[Recommendation]:  # noqa: ANN001
    cur.execute(
        RELATED_SQL,
        {
            "site_id": site_id,
            "strategy": strategy,
            "source_entity_type": entity_type,
            "source_entity_id": entity_id,
            "n": n,
        },
    )
    return [Recommendation(*row) for row in cur.fetchall()]


def related_articles(
    conn,  # noqa: ANN001 - a psycopg2 connection (autocommit recommended: no idle transaction)
    site_id: str,
    article_id: str,
    n: int = 10,
    *,
    strategy: str = "item_knn",
    fallback: str | None = "popularity",
) -> list[Recommendation]:
    """Top ``n`` related articles of ``article_id`` on ``site_id`` from the current ``strategy`` model; the
    current ``fallback`` model's default list when that has none. Excludes the article itself."""
    with conn.cursor() as cur:
        recs = _query(cur, site_id, strategy, "article", article_id, n)
        if not recs and fallback:
            recs = [
                r
                for r in _query(cur, site_id, fallback, "default", "default", n + 1)
                if r.article_id != article_id
            ][:n]
    return recs


def explain_related(conn, site_id: str, article_id: str, n: int = 10, strategy: str = "item_knn") -> str:  # noqa: ANN001
    """EXPLAIN (ANALYZE) of the widget query: shows the index scans serving it."""
    with conn.cursor() as cur:
        cur.execute(
            "explain (analyze, costs off, timing off, summary off) " + RELATED_SQL,
            {
                "site_id": site_id,
                "strategy": strategy,
                "source_entity_type": "article",
                "source_entity_id": article_id,
                "n": n,
            },
        )
        return "\n".join(row[0] for row in cur.fetchall())

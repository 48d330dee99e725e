"""Assets: the dbt project (models, seeds, Python models; dbt tests as checks) and the Great Expectations
suites as checks on the models they validate."""

from orchestration.assets.dbt import BUILD_RETRY_POLICY, WAREHOUSE_POOL, article_recs_dbt, dbt_project
from orchestration.assets.quality import build_quality_checks

quality_checks = build_quality_checks(article_recs_dbt)

__all__ = [
    "BUILD_RETRY_POLICY",
    "WAREHOUSE_POOL",
    "article_recs_dbt",
    "dbt_project",
    "quality_checks",
]

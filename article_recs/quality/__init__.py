"""Data quality: Great Expectations (GX Core 1.x) suites over the warehouse, with Data Docs.

``SUITES`` maps each suite to the relation it validates, ``SUITE_MODELS`` to the dbt model that builds it.
``run_suite(name)`` validates one (the Dagster asset checks call it), ``run_all()`` all of them with Data Docs
(the ``article-recs quality`` verb). Importing this package is cheap: GX loads on the first run.
"""

from __future__ import annotations

from typing import Any

from article_recs.quality.suites import CRITICAL_SUITES, SUITE_MODELS, SUITES

__all__ = ["CRITICAL_SUITES", "SUITES", "SUITE_MODELS", "WarehouseError", "run_all", "run_suite"]


def __getattr__(name: str) -> Any:
    # the runner imports pandas and (when it runs) GX: keep `from article_recs.quality import SUITES` light
    if name in ("run_suite", "run_all", "WarehouseError", "QualityReport", "SuiteResult"):
        from article_recs.quality import runner

        return getattr(runner, name)
    raise AttributeError(f"module 'article_recs.quality' has no attribute {name!r}")

"""The recommender's Python side, only where SQL cannot go: called by the dbt-duckdb Python models.

Every rule that SQL can state (candidates and decay, popularity, item-kNN, padding, the metrics) is a dbt
model in models/marts/recommender and models/marts/evaluation, pinned by the models' `unit_tests:`.

- ``params``: ``RecommenderParams`` (dbt vars ``article_recs__*`` and per-site overrides)
- ``als``: implicit ALS, related articles and per-reader lists
- ``oracle``: the ceiling on generated data, from ``article_recs.events.truth.GroundTruth``
- ``pipeline`` / ``dbt_models``: per-(site, cut) orchestration and the entry points of the dbt Python models
- ``synthetic``: synthetic interactions for tests and benchmarks
"""

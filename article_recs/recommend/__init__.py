"""The Python recommender: pure functions over pandas frames, called by the dbt-duckdb Python models.

- ``params``: ``RecommenderParams`` (dbt vars ``article_recs__*`` and per-site overrides)
- ``decay``: publish-date decay ``0.5 ** (age_days / half_life_days)`` relative to ``as_of``
- ``candidates``: candidate rules and gap filling shared by every strategy
- ``popularity``: the newsroom popularity job (reference for the SQL model, and the gap filler)
- ``als``: implicit ALS, related articles and per-reader lists
- ``metrics`` / ``evaluation``: offline evaluation (splits, cases, HR/NDCG/MRR, recall, coverage, age)
- ``oracle``: the ceiling on generated data, from ``article_recs.events.truth.GroundTruth``
- ``pipeline`` / ``dbt_models``: per-site orchestration and the entry points of the dbt Python models
- ``synthetic`` / ``benchmark``: synthetic interactions and ``make bench``
"""

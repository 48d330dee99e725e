"""Benchmarks (issue 8): how cost grows with events, history and model size, against DuckDB's own floor.

``python -m article_recs.bench [--quick]`` (``make bench`` / ``make bench-quick``) generates events at tiers
(:mod:`.tiers`), then measures, each as the median of several runs, with wall time, CPU time (user + sys of
the measured process) and peak memory (:mod:`.measure`):

- a full ``dbt build`` on DuckDB, DuckDB's plain scan of the same files (the floor) and their ratio;
- an incremental two-hour run on top of 7 and of 60 days of history, and their ratio;
- the ALS dbt Python model against bare ``implicit`` on the same matrices (:mod:`.probe`);
- the peak memory of the full build;
- the serving read path's p50 / p95 (``article_recs.serving.bench``, when PostgreSQL is up).

Results go to ``bench/results-<timestamp>.json`` and ``bench/latest.json``, a Markdown table to stdout
(:mod:`.report`); dbt's per-model timings and DuckDB's profile of the slowest model name the bottleneck.
"""

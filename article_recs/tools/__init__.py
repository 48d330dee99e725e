"""Tools beside the runtime: the synthetic Snowplow event generator (:mod:`.generate`) and the replay of
a real interaction log as Snowplow events (:mod:`.replay`). Nothing the scheduled build, the quality run or
the serving path imports pulls these in (tests/python/test_runtime_imports.py); the benchmark harness is the
other tool package, :mod:`article_recs.bench`.

- :mod:`.sites`      site templates (app_id, host, article URL regex, excluded prefixes) and URL paths
- :mod:`.profiles`   browsers, crawlers, referrers, topics and headline words
- :mod:`.tables`     readers / sessions / page views as columns, and their text blocks
- :mod:`.writer`     line building and hourly files (plain or gzip), malformed-line injection
- :mod:`.widget`     the recommendation widget's impression and click events
"""

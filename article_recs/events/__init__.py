"""Snowplow enriched events: synthetic (:mod:`.generate`, with the hidden truth in :mod:`.truth`) or replayed
from a real interaction log (:mod:`.replay`).

- :mod:`.fields`     the 131 enriched fields in file order
- :mod:`.sites`      site templates (app_id, host, article URL regex, excluded prefixes) and URL paths
- :mod:`.behaviour`  how simulated readers choose, read and scroll: shared by the generator and the oracle
- :mod:`.profiles`   browsers, crawlers, referrers, topics and headline words
- :mod:`.tables`     readers / sessions / page views as columns, and their text blocks
- :mod:`.writer`     line building and hourly files (plain or gzip), malformed-line injection
- :mod:`.errors`     errors the CLI reports as one line with exit status 2
"""

"""PostgreSQL for article-recs: the local server (scripts/pg.sh, :mod:`.pg_server`), loading enriched events
into Snowplow's atomic layout (:mod:`.load_postgres`), publishing models from DuckDB with an atomic switch
(:mod:`.publish`, :mod:`.schema`), the widget read path (:mod:`.read`) and its benchmark (:mod:`.bench`)."""

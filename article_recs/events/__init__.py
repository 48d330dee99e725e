"""What the runtime and the tools share about Snowplow enriched events.

- :mod:`.fields`     the 131 enriched fields in file order
- :mod:`.errors`     errors the CLI reports as one line with exit status 2
- :mod:`.truth`      the generator's hidden truth, read by the oracle (evaluation on generated data)
- :mod:`.behaviour`  how simulated readers choose, read and scroll: shared by the generator and the oracle

The generator and the replay are tools: :mod:`article_recs.tools`.
"""

"""The offline-evaluation report (`article-recs report`)."""

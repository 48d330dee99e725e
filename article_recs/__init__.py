"""article-recs: news-article recommendations from Snowplow clickstream, built as a dbt project."""

__version__ = "0.1.0"

"""Dagster orchestration of the article-recs dbt project: `orchestration.definitions:defs`."""

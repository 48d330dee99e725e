# article-recs: every command the README mentions. `make help` lists them.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export DBT_PROFILES_DIR := $(CURDIR)
export DBT_PROJECT_DIR := $(CURDIR)
export GX_ANALYTICS_ENABLED := false
export DO_NOT_TRACK := 1

# demo data: about 200k events, 2 sites, 14 days
DEMO_DIR := data/demo
DEMO_ARGS := --users 3000 --articles 600 --days 14 --sites 2 --seed 7

.PHONY: help install system-deps spark-deps demo generate build docs test lint quality dagster pg-up pg-down publish serve bench bench-quick report mind clean

help: ## list the commands
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | column -t -s $$'\t'

$(STAMP): pyproject.toml requirements.lock
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps -e .
	@touch $(STAMP)

install: $(STAMP) ## create .venv and install the pinned dependencies

system-deps: ## install PostgreSQL and Chromium from Debian's packages when missing (needs root)
	@bash scripts/system-deps.sh

SPARK_STAMP := $(VENV)/.installed-spark

$(SPARK_STAMP): $(STAMP) requirements-spark.lock
	$(BIN)/pip install --quiet --disable-pip-version-check -c requirements.lock -r requirements-spark.lock
	@touch $(SPARK_STAMP)

spark-deps: $(SPARK_STAMP) ## add local Apache Spark: pyspark + dbt-spark (requirements-spark.lock) and Java 17 (Debian)
	@bash scripts/system-deps.sh spark

generate: $(STAMP) ## generate the demo Snowplow events into data/demo
	$(BIN)/article-recs generate --out $(DEMO_DIR) $(DEMO_ARGS)

# ARTICLE_RECS_TARGET=spark make demo: the same build on local Spark (make spark-deps first, automatically)
demo: $(STAMP) $(if $(filter spark%,$(ARTICLE_RECS_TARGET)),spark-deps) ## generate demo events, build everything on DuckDB (or ARTICLE_RECS_TARGET=spark), print a summary
	$(BIN)/article-recs demo --out $(DEMO_DIR) $(DEMO_ARGS)

build: $(STAMP) ## dbt build on the default target (DuckDB)
	$(BIN)/dbt build

docs: $(STAMP) ## generate and serve the dbt docs site on localhost:8080
	$(BIN)/dbt docs generate && $(BIN)/dbt docs serve --host 127.0.0.1 --port 8080 --no-browser

# Test files run in parallel (pytest-xdist), one file per worker at a time (--dist loadfile: a file's module
# fixtures, e.g. one dbt build shared by its tests, are built once). Run alone, a test file keeps less than one
# core busy (test_killed_runs.py: 87 s of CPU in 105 s), so two workers use both. TEST_WORKERS=0: one process.
TEST_WORKERS ?= 2

test: $(STAMP) system-deps spark-deps lint ## lint, then the test suite (pytest, with dbt builds on generated data)
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile

lint: $(STAMP) ## ruff on Python, sqlfluff (dbt templater) on the SQL models
	$(BIN)/ruff check article_recs orchestration python_models tests
	ARTICLE_RECS_DUCKDB_PATH=$$(mktemp -d)/lint.duckdb DBT_TARGET_PATH=target/lint $(BIN)/sqlfluff lint models analyses --processes 2

quality: $(STAMP) ## Great Expectations suites on the DuckDB warehouse; Data Docs in reports/data_docs
	$(BIN)/article-recs quality

pg-up: system-deps ## start the local PostgreSQL (.pg/, 127.0.0.1, port ARTICLE_RECS_PG_PORT or 55432)
	@bash scripts/pg.sh up

pg-down: ## stop the local PostgreSQL (data kept in .pg/)
	@bash scripts/pg.sh down

publish: $(STAMP) pg-up ## copy the current models from DuckDB to the Postgres serving schema
	$(BIN)/article-recs publish

serve: $(STAMP) pg-up ## the serving API on http://127.0.0.1:8000 (ARTICLE_RECS_API_PORT): /docs, /demo; run make publish first
	$(BIN)/python -m article_recs.serving.api

report: $(STAMP) ## write the offline-evaluation report (reports/evaluation/index.html)
	$(BIN)/article-recs report

# the real news-click sample (MIND, Microsoft Research licence: evaluation only) replayed through the pipeline
MIND_DIR ?= ../shared/datasets/mind_small_subset

mind: $(STAMP) ## replay the MIND sample as Snowplow events, build it (warehouse/mind.duckdb), print the evaluation
	$(BIN)/article-recs replay --mind --input $(MIND_DIR)/behaviors.tsv --out data/mind --quiet
	ARTICLE_RECS_DUCKDB_PATH=warehouse/mind.duckdb $(BIN)/dbt build --full-refresh --vars \
	  '{article_recs__events_path: "data/mind/events/**/*.tsv*", article_recs__article_metadata_path: "data/mind/articles/articles.csv", article_recs__ground_truth_path: ""}'
	$(BIN)/article-recs summary --duckdb warehouse/mind.duckdb

bench: $(STAMP) pg-up ## benchmarks at 1M and 10M events (long): build vs raw scan, incremental, ALS, memory, serving
	$(BIN)/python -m article_recs.bench

bench-quick: $(STAMP) pg-up ## the small benchmark tier, one run of each measurement (under 2 minutes)
	$(BIN)/python -m article_recs.bench --quick

DAGSTER_HOME_DIR := $(CURDIR)/.dagster
DAGSTER_PORT ?= 3000

dagster: $(STAMP) ## Dagster (UI, two-hourly schedule, failure alerts) on http://127.0.0.1:3000 with the dbt project loaded
	@mkdir -p $(DAGSTER_HOME_DIR) && cp orchestration/dagster.yaml $(DAGSTER_HOME_DIR)/dagster.yaml
	@# `dg dev` (Dagster's command for a project, pyproject.toml [tool.dg]); exec: Ctrl-C reaches it directly and
	@# it stops the webserver, the daemon and the code server. .venv/bin first on PATH: dagster-dbt's
	@# prepare_if_dev() parses the project with the `dbt` it finds there.
	@DAGSTER_HOME=$(DAGSTER_HOME_DIR) PATH="$(CURDIR)/$(BIN):$$PATH" exec $(BIN)/dg dev --host 127.0.0.1 --port $(DAGSTER_PORT)

clean: ## remove generated data, warehouses, dbt target, reports
	rm -rf data warehouse target logs reports bench

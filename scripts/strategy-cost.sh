#!/usr/bin/env bash
# Each strategy's time in a two-hourly run (issue #14's cost table in the README's Benchmarks section).
#
# On the bench's 1M-tier events (`python -m article_recs.bench --tiers 1m` generates them into
# bench/data/1m/gen/chunk-0; DATA=... points elsewhere), the last ~30 days (February and March of the tier's
# 2026 dates): a full `dbt build` with as_of fixed, then RUNS (default 2) two-hourly runs (as_of + 2 h, + 4 h,
# ...: one new cut per site each, the Snowplow models with no new files). Prints each run's wall / CPU time and the slowest
# models of the last run, from its run_results.json. Work files in WORK (default /tmp/strategy-cost).
set -euo pipefail
cd "$(dirname "$0")/.."
DATA="${DATA:-bench/data/1m/gen/chunk-0}"
WORK="${WORK:-/tmp/strategy-cost}"
AS_OF="${AS_OF:-2026-03-01 10:00:00}"
RUNS="${RUNS:-2}"
[ -d "$DATA/events" ] || { echo "no events in $DATA/events: run python -m article_recs.bench --tiers 1m first" >&2; exit 2; }
rm -rf "$WORK"; mkdir -p "$WORK"
export ARTICLE_RECS_DUCKDB_PATH="$WORK/warehouse.duckdb"
base="article_recs__events_path: \"$DATA/events/2026/0[23]/**/*.tsv*\", article_recs__article_metadata_path: \"$DATA/articles/articles.csv\", article_recs__ground_truth_path: \"\""

run() {  # run NAME HOURS_AFTER_AS_OF
    local as_of
    as_of=$(date -u -d "$AS_OF UTC + $2 hours" '+%Y-%m-%d %H:%M:%S')
    echo "== $1 (as_of $as_of) start $(date -u +%T), load $(cut -d' ' -f1-3 /proc/loadavg)"
    /usr/bin/time -f "   wall %e s, CPU %U s user + %S s sys, peak RSS %M KiB" \
        env DBT_TARGET_PATH="$WORK/target-$1" .venv/bin/dbt build --exclude-resource-type unit_test \
        --vars "{$base, article_recs__as_of: '$as_of'}" > "$WORK/$1.log" 2>&1 \
        || { tail -20 "$WORK/$1.log"; exit 1; }
    echo "   end $(date -u +%T), load $(cut -d' ' -f1-3 /proc/loadavg)"
}

run full 0
for i in $(seq 1 "$RUNS"); do run "two-hourly-$i" $((2 * i)); done
.venv/bin/python - "$WORK/target-two-hourly-$RUNS/run_results.json" <<'PY'
import json
import sys

results = json.load(open(sys.argv[1]))["results"]
models = sorted(
    ((r["unique_id"].split(".")[-1], r["execution_time"]) for r in results if r["unique_id"].startswith("model.")),
    key=lambda row: -row[1],
)
tests = sum(r["execution_time"] for r in results if r["unique_id"].startswith("test."))
print(f"last two-hourly run: models {sum(t for _, t in models):.1f} s, data tests {tests:.1f} s, {len(results)} nodes")
for name, seconds in models[:20]:
    print(f"   {name:40s} {seconds:7.2f} s")
PY

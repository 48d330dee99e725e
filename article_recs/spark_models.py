"""The dbt build on Apache Spark, with the project's Python models.

dbt-spark runs dbt Python models only on Databricks. On local Spark (and any cluster reached over Thrift) the
Python models (python_models/: the ALS, content and ranked strategies, the oracle) run here instead, in this
process, between dbt builds: each model file's own ``model(dbt, session)`` is called - the same file DuckDB
runs, no second copy - with a small stand-in for dbt's Python-model API whose ``ref()`` reads the Spark table
(``filter`` / ``project`` / ``distinct`` / ``df`` / ``to_arrow_table`` as dbt-duckdb's relations), and what
it returns is written back as the model's table. The SQL models downstream (recommendation_lists,
ranker_candidates, the evaluation, the registry) then read those tables exactly as they read the DuckDB ones.

The build is layered by the Python models' place in the DAG: dbt builds everything that needs no Python
model; then each layer of Python models whose inputs are built runs here, and dbt builds what they unlock.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import yaml
from jinja2 import Environment

from article_recs.dbt_runner import PROJECT_DIR, dbt_env, run_dbt

SPARK_TARGETS = ("spark", "spark_cluster")


def spark_conf(target: str = "spark") -> dict[str, str]:
    """The Spark settings of a profiles.yml target (server_side_parameters, rendered with this environment):
    the session here is configured exactly as dbt's."""
    profiles = Path(os.environ.get("DBT_PROFILES_DIR", PROJECT_DIR)) / "profiles.yml"
    raw = yaml.safe_load(profiles.read_text())["article_recs"]["outputs"][target]
    env = Environment()
    env.globals["env_var"] = lambda name, default=None: os.environ.get(name, default)
    return {k: env.from_string(str(v)).render() for k, v in raw.get("server_side_parameters", {}).items()}


def spark_session(target: str = "spark"):  # noqa: ANN201 - pyspark is optional (make spark-deps)
    """A SparkSession on the warehouse dbt builds (the same catalog; run from the project directory)."""
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.enableHiveSupport()
    for key, value in spark_conf(target).items():
        builder = builder.config(key, value)
    return builder.config("spark.sql.execution.arrow.pyspark.enabled", "true").getOrCreate()


class _Relation:
    """The part of dbt-duckdb's relation API the Python models use, over a Spark DataFrame."""

    def __init__(self, frame) -> None:  # noqa: ANN001 - pyspark DataFrame
        self._frame = frame

    def filter(self, condition: str) -> _Relation:
        return _Relation(self._frame.filter(condition))

    def project(self, columns: str) -> _Relation:
        return _Relation(self._frame.selectExpr(*[c.strip() for c in columns.split(",")]))

    def distinct(self) -> _Relation:
        return _Relation(self._frame.distinct())

    def df(self) -> pd.DataFrame:
        return self._frame.toPandas()

    def to_arrow_table(self) -> pa.Table:
        return self._frame.toArrow()


class _Config:
    def __init__(self, meta: Mapping[str, Any]) -> None:
        self._meta = meta

    def __call__(self, **_: Any) -> None:
        """The model's config() call: its config is already in the manifest."""

    def meta_get(self, key: str) -> Any:
        return self._meta.get(key)


class _Dbt:
    """What a dbt Python model's ``dbt`` argument offers, for a full build (every Spark run is one)."""

    is_incremental = False

    def __init__(self, spark, node: Mapping[str, Any], relations: Mapping[str, str]) -> None:  # noqa: ANN001
        self._spark = spark
        self._relations = relations
        self.config = _Config(node["config"].get("meta") or {})
        self.this = relations[node["name"]]

    def ref(self, name: str) -> _Relation:
        return _Relation(self._spark.table(self._relations[name]))


def _load_model_function(path: Path):  # noqa: ANN202
    spec = importlib.util.spec_from_file_location(f"article_recs_python_model_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.model


def _to_spark(spark, result: pa.Table | pd.DataFrame):  # noqa: ANN001, ANN202
    table = result if isinstance(result, pa.Table) else pa.Table.from_pandas(result, preserve_index=False)
    # an all-NULL column has Arrow's null type, which Parquet cannot store: make it text; a dictionary-encoded
    # column (a per-cut text stored once) becomes its values' type, which Spark knows
    fields = [
        pa.field(f.name, pa.string())
        if pa.types.is_null(f.type)
        else pa.field(f.name, f.type.value_type)
        if pa.types.is_dictionary(f.type)
        else f
        for f in table.schema
    ]
    table = table.cast(pa.schema(fields))
    return spark.createDataFrame(table.to_pandas(), schema=_spark_schema(table.schema))


def _spark_schema(schema: pa.Schema):  # noqa: ANN202
    from pyspark.sql.pandas.types import from_arrow_schema

    return from_arrow_schema(schema)


def run_python_models(spark, manifest: Mapping[str, Any], names: Sequence[str]) -> dict[str, int]:  # noqa: ANN001
    """Run the named Python models of the manifest against Spark, each written as its table (replaced).
    Returns the rows written per model."""
    nodes = {n["name"]: n for n in manifest["nodes"].values() if n["resource_type"] in ("model", "seed")}
    relations = {name: f"{n['schema']}.{n['alias']}" for name, n in nodes.items()}
    written = {}
    for name in names:
        node = nodes[name]
        started = time.monotonic()
        model = _load_model_function(PROJECT_DIR / node["original_file_path"])
        frame = _to_spark(spark, model(_Dbt(spark, node, relations), spark))
        spark.sql(f"create schema if not exists {node['schema']}")
        frame.write.mode("overwrite").format("parquet").saveAsTable(relations[name])
        written[name] = spark.table(relations[name]).count()
        print(
            f"spark python model {relations[name]}: {written[name]:,} rows in "
            f"{time.monotonic() - started:.1f} s",
            flush=True,
        )
    return written


def python_model_layers(manifest: Mapping[str, Any]) -> list[list[str]]:
    """The enabled Python models, in layers: a model's layer is one more than the deepest Python model
    upstream of it (0: none)."""
    nodes = manifest["nodes"]
    python = {
        uid: n for uid, n in nodes.items() if n["resource_type"] == "model" and n["language"] == "python"
    }
    depth: dict[str, int] = {}

    def python_depth(uid: str, seen: frozenset = frozenset()) -> int:
        """1 + the layer of the deepest Python model among uid's ancestors (0 when there is none)."""
        best = 0
        for parent in nodes.get(uid, {}).get("depends_on", {}).get("nodes", []):
            if parent in seen or parent not in nodes:
                continue
            if parent in python:
                best = max(best, layer(parent) + 1)
            else:
                best = max(best, python_depth(parent, seen | {parent}))
        return best

    def layer(uid: str) -> int:
        if uid not in depth:
            depth[uid] = python_depth(uid)
        return depth[uid]

    layers: dict[int, list[str]] = {}
    for uid in python:
        layers.setdefault(layer(uid), []).append(python[uid]["name"])
    return [sorted(layers[k]) for k in sorted(layers)]


def build(
    dbt_args: Sequence[str] = ("build",),
    *,
    dbt_vars: Mapping[str, object] | None = None,
    target: str = "spark",
    target_path: str | os.PathLike[str] | None = None,
    env: Mapping[str, str] | None = None,
    stream: bool = False,
    python_models: bool = True,
) -> None:
    """`dbt <dbt_args>` (a command and options, no selection) on a Spark target, with the Python models run
    here: dbt builds what needs no Python model, then each layer of Python models runs and dbt builds what it
    unlocks (python_models=False: only the first step). Each layer runs in a process of its own: the local
    metastore (Derby) admits one Spark at a time."""
    run = {"dbt_vars": dbt_vars, "target": target, "target_path": target_path, "env": env, "stream": stream}
    run_dbt(["parse"], **{**run, "stream": False})
    manifest_path = Path(target_path or os.environ.get("DBT_TARGET_PATH") or "target")
    if not manifest_path.is_absolute():
        manifest_path = PROJECT_DIR / manifest_path
    manifest_path = manifest_path / "manifest.json"
    layers = python_model_layers(json.loads(manifest_path.read_text()))
    python_names = [name for layer in layers for name in layer]
    run_dbt([*dbt_args, "--exclude", *[f"{n}+" for n in python_names]], **run)
    for i, layer in enumerate(layers if python_models else []):
        subprocess.run(
            [sys.executable, "-m", "article_recs.spark_models", "--target", target, str(manifest_path)]
            + layer,
            cwd=PROJECT_DIR,
            env=dbt_env(target=target, extra=env),
            check=True,
        )
        later = [n for later_layer in layers[i + 1 :] for n in later_layer]
        step = [*dbt_args, "--select", *[f"{n}+" for n in layer]]
        step += ["--exclude", *layer, *[f"{n}+" for n in later]]
        # the Python models' own data tests run here too: they are children of the models
        run_dbt(step, **run)


def add_arguments(parser) -> None:  # noqa: ANN001 - argparse parser
    parser.add_argument("--target", default="spark", choices=SPARK_TARGETS, help="profiles.yml target")
    parser.add_argument("--vars", default=None, help="dbt --vars (YAML / JSON), as for dbt")
    parser.add_argument("--sql-only", action="store_true", help="skip the Python models, what needs them")


def run(args) -> int:  # noqa: ANN001 - argparse namespace
    """article-recs spark-build: dbt build on Spark with the Python models run between the dbt steps."""
    from article_recs.dbt_runner import DbtError

    dbt_vars = yaml.safe_load(args.vars) if args.vars else None
    try:
        build(["build"], dbt_vars=dbt_vars, target=args.target, stream=True, python_models=not args.sql_only)
    except (DbtError, subprocess.CalledProcessError) as error:
        print(f"spark-build failed - see the lines above. {str(error).splitlines()[0]}", file=sys.stderr)
        return 1
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """python -m article_recs.spark_models [--target T] MANIFEST MODEL...: run these Python models on
    Spark."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m article_recs.spark_models", description=main.__doc__)
    parser.add_argument("--target", default="spark", choices=SPARK_TARGETS)
    parser.add_argument("manifest", type=Path)
    parser.add_argument("models", nargs="+")
    args = parser.parse_args(argv)
    spark = spark_session(args.target)
    try:
        run_python_models(spark, json.loads(args.manifest.read_text()), args.models)
    finally:
        spark.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""The local Spark warehouse (dbt target ``spark``, ``method: session``) seen from the rest of the project.

dbt-spark's local session keeps each table as Parquet files under ``<warehouse>/tables/<schema>.db/<table>/``
(an embedded Derby metastore beside them holds the catalog, one Spark process at a time). The summary, the
comparison with DuckDB in the tests and ``article-recs summary`` read those files through DuckDB views
(``read_parquet``): no second JVM, and the same SQL that reads the DuckDB warehouse.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import duckdb

DEFAULT_WAREHOUSE = "warehouse/spark"


def warehouse_dir(project_dir: Path) -> Path:
    """The Spark warehouse of this project: $ARTICLE_RECS_SPARK_WAREHOUSE (relative to the project) or
    warehouse/spark - the folder profiles.yml gives the session."""
    path = Path(os.environ.get("ARTICLE_RECS_SPARK_WAREHOUSE", DEFAULT_WAREHOUSE))
    return path if path.is_absolute() else project_dir / path


def java_available() -> bool:
    """Local Spark needs a Java runtime (Java 17: make spark-deps installs openjdk-17-jre-headless)."""
    return shutil.which("java") is not None or bool(os.environ.get("JAVA_HOME"))


def spark_tables(warehouse: Path) -> dict[tuple[str, str], Path]:
    """(schema, table) -> folder of every managed table the Spark warehouse holds (views have no folder)."""
    tables: dict[tuple[str, str], Path] = {}
    root = warehouse / "tables"
    if not root.is_dir():
        return tables
    for schema_dir in sorted(root.glob("*.db")):
        for table_dir in sorted(p for p in schema_dir.iterdir() if p.is_dir()):
            tables[(schema_dir.name[: -len(".db")], table_dir.name)] = table_dir
    return tables


#: The types of the partition columns that are not text (macros/spark.sql): the cut of the tables partitioned
#: by cut (site_id, cut_at), the run of the Snowplow tables partitioned by the run that wrote the row. Spark
#: keeps a partition's value only in its folder name (``cut_at=2024-03-09 22%3A00%3A00``); any other
#: partition column is read as text.
PARTITION_TYPES = {
    "cut_at": "TIMESTAMP",
    "loaded_in_run": "BIGINT",
    "counted_in_run": "BIGINT",
    "updated_in_run": "BIGINT",
}


def _hive_options(folder: Path, files: list[Path]) -> str:
    """read_parquet's options for a table's files: its partition columns (the key=value folders between the
    table's folder and a file), typed by PARTITION_TYPES, else text."""
    columns = [part.split("=", 1)[0] for part in files[0].relative_to(folder).parts[:-1] if "=" in part]
    if not columns:
        return "hive_partitioning = false"
    types = ", ".join(f"'{c}': {PARTITION_TYPES.get(c, 'VARCHAR')}" for c in columns)
    return f"hive_partitioning = true, hive_types_autocast = false, hive_types = {{{types}}}"


def attach_views(con: duckdb.DuckDBPyConnection, warehouse: Path) -> list[str]:
    """Create, in `con`, one view per Spark table with its schema and name, over its Parquet files (partition
    folders read as columns). Returns the views' names."""
    names = []
    for (schema, table), folder in spark_tables(warehouse).items():
        files = list(folder.rglob("*.parquet"))
        if not files:
            continue
        pattern = str(folder / "**" / "*.parquet").replace("'", "''")
        con.execute(f'create schema if not exists "{schema}"')
        con.execute(
            f'create or replace view "{schema}"."{table}" as select * from read_parquet('
            f"'{pattern}', {_hive_options(folder, files)})"
        )
        names.append(f"{schema}.{table}")
    return names


def duckdb_of_spark(warehouse: Path, duckdb_path: Path) -> Path:
    """A DuckDB file of views over the Spark warehouse's tables (replaced if it exists): what
    ``article_recs.summary.read_summary`` and the other DuckDB readers open."""
    duckdb_path.parent.mkdir(parents=True, exist_ok=True)
    duckdb_path.unlink(missing_ok=True)
    con = duckdb.connect(str(duckdb_path))
    try:
        attach_views(con, warehouse)
    finally:
        con.close()
    return duckdb_path

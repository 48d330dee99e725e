"""Static checks that keep the dbt project buildable on PostgreSQL (no server needed)."""

from __future__ import annotations

from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
PG_MAX_IDENTIFIER = 63  # NAMEDATALEN - 1: dbt names unit-test relations and models after them


def _yaml_files() -> list[Path]:
    return sorted(p for folder in ("models", "python_models") for p in (REPO / folder).rglob("*.yml"))


def test_unit_test_and_model_names_fit_postgres_identifiers():
    too_long = []
    for path in _yaml_files():
        doc = yaml.safe_load(path.read_text()) or {}
        for key in ("unit_tests", "models"):
            for entry in doc.get(key) or []:
                name = str(entry.get("name", ""))
                if len(name) > PG_MAX_IDENTIFIER:
                    too_long.append(f"{path.relative_to(REPO)}: {key[:-1]} {name} ({len(name)} chars)")
    for path in (REPO / "models").rglob("*.sql"):
        if len(path.stem) > PG_MAX_IDENTIFIER:
            too_long.append(f"{path.relative_to(REPO)}: model name {len(path.stem)} chars")
    assert too_long == [], "Postgres truncates or rejects names over 63 characters:\n" + "\n".join(too_long)


def test_shared_sql_uses_no_postgres_16_only_syntax():
    """PostgreSQL 15 is the target (Debian's postgresql): `is json` and pg_input_is_valid are 16+; they may
    appear only behind a server-version check in macros."""
    offenders = []
    for path in (REPO / "models").rglob("*.sql"):
        text = path.read_text().lower()
        if " is json" in text or "pg_input_is_valid" in text:
            offenders.append(str(path.relative_to(REPO)))
    assert offenders == []

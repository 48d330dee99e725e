"""The 131 fields of a Snowplow enriched event, in file order, with the type staging casts each to.

The list is kept in one place, the var ``article_recs__enriched_fields`` of ``dbt_project.yml``, which the
staging models read through ``macros/snowplow_enriched_fields.sql``; this module reads the same list.
"""

from __future__ import annotations

from pathlib import Path

import yaml

_DBT_PROJECT = Path(__file__).resolve().parents[2] / "dbt_project.yml"


def _load_enriched_fields(path: Path = _DBT_PROJECT) -> tuple[tuple[str, str], ...]:
    project = yaml.safe_load(path.read_text(encoding="utf-8"))
    fields = project["vars"]["article_recs__enriched_fields"]
    return tuple((str(name), str(data_type)) for name, data_type in fields)


#: (name, type) of each field, in file order; type is one of text, timestamp, integer, double, boolean.
ENRICHED_FIELDS: tuple[tuple[str, str], ...] = _load_enriched_fields()

FIELDS: tuple[str, ...] = tuple(name for name, _ in ENRICHED_FIELDS)

#: type of each field (text for JSON fields and everything untyped).
FIELD_TYPES: dict[str, str] = dict(ENRICHED_FIELDS)

N_FIELDS = len(FIELDS)
if N_FIELDS != 131:
    raise ValueError(f"{_DBT_PROJECT}: article_recs__enriched_fields has {N_FIELDS} fields, not 131")

#: 0-based position of each field in a line.
FIELD_INDEX: dict[str, int] = {name: i for i, name in enumerate(FIELDS)}

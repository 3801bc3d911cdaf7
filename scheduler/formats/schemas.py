"""JSON Schemas of the problem and plan files, generated from their pydantic models.

``scripts/write_schemas.py`` writes them into ``schemas/``; a test fails when the committed
files differ from what the code generates.
"""

from __future__ import annotations

import json
from typing import Any

from scheduler.formats.plan_file import PlanFile
from scheduler.formats.problem_file import ProblemFile

__all__ = ["plan_json_schema", "problem_json_schema", "schema_files"]

_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"


def problem_json_schema() -> dict[str, Any]:
    """JSON Schema (draft 2020-12) of the problem file, generated from ``ProblemFile``."""
    return {"$schema": _SCHEMA_DIALECT, **ProblemFile.model_json_schema(by_alias=True)}


def plan_json_schema() -> dict[str, Any]:
    """JSON Schema (draft 2020-12) of the plan file ``plan_to_json`` writes."""
    schema = PlanFile.model_json_schema(by_alias=True, mode="serialization")
    return {"$schema": _SCHEMA_DIALECT, **schema}


def schema_files() -> dict[str, str]:
    """File name under ``schemas/`` -> exact text to commit there."""
    return {
        name: json.dumps(schema, indent=2, ensure_ascii=False) + "\n"
        for name, schema in (
            ("problem.schema.json", problem_json_schema()),
            ("plan.schema.json", plan_json_schema()),
        )
    }

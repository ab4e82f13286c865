"""The goshfile JSON schema, generated from the model (for editors and other tools)."""

from __future__ import annotations

import json
from typing import Any

from goshfile.spec.model import GOSHFILE

SCHEMA_ID = "https://goshfile.dev/schema/goshfile-v1.json"


def json_schema() -> dict[str, Any]:
    """The JSON schema of goshfile apiVersion 1 (fields starting with ``x-`` are allowed anywhere)."""
    defs: dict[str, Any] = {}
    GOSHFILE.schema(defs)
    schema: dict[str, Any] = defs.pop("Goshfile")
    schema["$defs"] = defs
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = SCHEMA_ID
    schema["title"] = "goshfile"
    for name in ("args", "sources"):  # their keys are names: only the pattern's keys are allowed
        schema["properties"][name]["additionalProperties"] = False

    def allow_extensions(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("additionalProperties") is False:
                node["patternProperties"] = {**node.get("patternProperties", {}), "^x-": {}}
            for value in node.values():
                allow_extensions(value)
        elif isinstance(node, list):
            for value in node:
                allow_extensions(value)

    allow_extensions(schema)
    return schema


def render() -> str:
    """The schema as stable, pretty JSON text."""
    return json.dumps(json_schema(), indent=2, sort_keys=True) + "\n"

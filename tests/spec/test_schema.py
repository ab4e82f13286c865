"""The JSON schema is generated from the model, is well-formed, allows x- keys and names every field."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
import yaml

from goshfile.spec.schema import SCHEMA_ID, json_schema, render
from tests.helpers import DESIGN_SEED, FULL

ANNOTATIONS = {"title", "description", "default", "$schema", "$id", "$defs"}
KEYWORDS = {
    "$ref",
    "type",
    "properties",
    "additionalProperties",
    "patternProperties",
    "propertyNames",
    "required",
    "anyOf",
    "oneOf",
    "const",
    "enum",
    "items",
    "minItems",
    "minLength",
    "pattern",
    "exclusiveMinimum",
    "minimum",
    "maximum",
}
TYPES = {"object", "array", "string", "integer", "number", "boolean", "null"}


def _is_type(value: Any, kind: str) -> bool:
    return {
        "object": isinstance(value, dict),
        "array": isinstance(value, list),
        "string": isinstance(value, str),
        "integer": isinstance(value, int) and not isinstance(value, bool),
        "number": isinstance(value, (int, float)) and not isinstance(value, bool),
        "boolean": isinstance(value, bool),
        "null": value is None,
    }[kind]


def validate(value: Any, node: dict[str, Any], root: dict[str, Any], path: str = "") -> list[str]:
    """A small validator for the subset of JSON Schema 2020-12 the goshfile schema uses."""
    if "$ref" in node:
        node = root["$defs"][node["$ref"].removeprefix("#/$defs/")]
    errors: list[str] = []
    if "type" in node and not _is_type(value, node["type"]):
        return [f"{path}: not {node['type']}"]
    if "const" in node and value != node["const"]:
        errors.append(f"{path}: not {node['const']!r}")
    if "enum" in node and value not in node["enum"]:
        errors.append(f"{path}: not one of {node['enum']}")
    for keyword in ("anyOf", "oneOf"):
        results = [validate(value, n, root, path) for n in node.get(keyword, [])]
        passed = sum(not r for r in results)
        if results and (passed == 0 or (keyword == "oneOf" and passed > 1)):
            errors.append(f"{path}: {passed} {keyword} members match")
            errors += [e for r in results for e in r]  # say why each member failed
    if isinstance(value, str):
        if len(value) < node.get("minLength", 0):
            errors.append(f"{path}: too short")
        if "pattern" in node and not re.search(node["pattern"], value):
            errors.append(f"{path}: does not match {node['pattern']}")
    if isinstance(value, int) and "exclusiveMinimum" in node and value <= node["exclusiveMinimum"]:
        errors.append(f"{path}: too small")
    if isinstance(value, int) and ("minimum" in node and value < node["minimum"]):
        errors.append(f"{path}: below the minimum")
    if isinstance(value, int) and ("maximum" in node and value > node["maximum"]):
        errors.append(f"{path}: above the maximum")
    if isinstance(value, list):
        if len(value) < node.get("minItems", 0):
            errors.append(f"{path}: too few items")
        for i, item in enumerate(value):
            errors += validate(item, node.get("items", {}), root, f"{path}[{i}]")
    if isinstance(value, dict):
        errors += [f"{path}.{k}: required" for k in node.get("required", []) if k not in value]
        for key, item in value.items():
            errors += validate(key, node.get("propertyNames", {}), root, f"{path}.{key}(name)")
            matched = [s for p, s in node.get("patternProperties", {}).items() if re.search(p, key)]
            if key in node.get("properties", {}):
                matched.append(node["properties"][key])
            for schema in matched:
                errors += validate(item, schema, root, f"{path}.{key}")
            extra = node.get("additionalProperties", True)
            if not matched and extra is False:
                errors.append(f"{path}.{key}: not allowed")
            elif not matched and isinstance(extra, dict):
                errors += validate(item, extra, root, f"{path}.{key}")
    return errors


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    return json_schema()


def nodes(value: Any) -> list[dict[str, Any]]:
    """Every schema object in ``value`` (not the maps of properties and definitions themselves)."""
    out: list[dict[str, Any]] = []
    if isinstance(value, dict):
        out.append(value)
        for key, item in value.items():
            children = item.values() if key in ("properties", "patternProperties", "$defs") else [item]
            for child in children:
                out += nodes(child) if isinstance(child, (dict, list)) else []
    elif isinstance(value, list):
        for item in value:
            out += nodes(item)
    return out


def test_the_schema_identifies_itself(schema: dict[str, Any]) -> None:
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"] == SCHEMA_ID
    assert (schema["title"], schema["type"]) == ("goshfile", "object")


def test_render_is_stable_sorted_json(schema: dict[str, Any]) -> None:
    text = render()
    assert text == render() and text.endswith("}\n")
    assert json.loads(text) == schema
    assert text == json.dumps(json.loads(text), indent=2, sort_keys=True) + "\n"


def test_only_known_keywords_types_and_resolvable_refs(schema: dict[str, Any]) -> None:
    for node in nodes(schema):
        assert set(node) <= KEYWORDS | ANNOTATIONS, set(node) - KEYWORDS - ANNOTATIONS
        if "type" in node:
            assert node["type"] in TYPES
        if "$ref" in node:
            assert node["$ref"].removeprefix("#/$defs/") in schema["$defs"], node["$ref"]
        for pattern in node.get("patternProperties", {}):
            re.compile(pattern)
        if "pattern" in node:
            re.compile(node["pattern"])


def test_every_closed_object_allows_x_keys(schema: dict[str, Any]) -> None:
    closed = [n for n in nodes(schema) if n.get("additionalProperties") is False]
    assert len(closed) >= 10  # the goshfile, args, sources and every model
    for node in closed:
        assert node["patternProperties"]["^x-"] == {}


def test_the_schema_names_the_fields(schema: dict[str, Any]) -> None:
    assert set(schema["properties"]) == {
        "apiVersion", "image", "entrypoint", "cmd", "env", "workdir", "user", "labels", "args", "sources", "steps",
    }  # fmt: skip
    assert sorted(schema["required"]) == ["apiVersion", "image"]
    defs = schema["$defs"]
    assert set(defs) == {
        "Step",
        "Run",
        "Copy",
        "CacheMount",
        "TmpfsMount",
        "BindMount",
        "GoshMount",
        "GoshSource",
        "SecretMount",
        "SshMount",
    }
    assert set(defs["Step"]["properties"]) == {"name", "run", "copy"}
    assert set(defs["Copy"]["properties"]) == {"src", "dst", "from", "gosh", "commit", "chown"}
    assert set(defs["BindMount"]["properties"]) == {"type", "dst", "from", "src", "readonly"}
    assert set(defs["Run"]["properties"]) == {"command", "args", "env", "workdir", "user", "network", "mounts"}
    assert defs["Run"]["properties"]["network"]["enum"] == ["none", "default"]
    assert defs["CacheMount"]["properties"]["sharing"]["enum"] == ["shared", "private", "locked"]
    assert schema["properties"]["image"]["description"].startswith("Base image")


@pytest.mark.parametrize("text", [DESIGN_SEED, FULL], ids=["seed", "full"])
def test_valid_goshfiles_satisfy_the_schema(schema: dict[str, Any], text: str) -> None:
    assert validate(yaml.safe_load(text), schema, schema) == []


@pytest.mark.parametrize(
    ("patch", "error"),
    [
        ({"bogus": 1}, ".bogus: not allowed"),
        ({"env": {"PORT": 8080}}, ".env.PORT: not string"),
        ({"apiVersion": 2}, ".apiVersion: not 1"),
        ({"args": {"bad-name": "x"}}, ".args.bad-name: not allowed"),
        ({"labels": {"": "x"}}, ".labels.(name): too short"),
        ({"steps": [{"run": {"command": ["x"]}}]}, ".steps[0].name: required"),
        ({"steps": [{"name": "s", "run": {"command": []}}]}, ".steps[0].run.command: too few items"),
        ({"steps": [{"name": "s", "run": {"command": ["x"], "mounts": [{"type": "weird", "dst": "/x"}]}}]}, "oneOf"),
        (
            {
                "steps": [
                    {"name": "s", "run": {"command": ["x"], "mounts": [{"type": "tmpfs", "dst": "/t", "size": 0}]}}
                ]
            },
            "too small",
        ),
    ],
)
def test_invalid_goshfiles_fail_the_schema(schema: dict[str, Any], patch: dict[str, Any], error: str) -> None:
    data = {**yaml.safe_load(DESIGN_SEED), **patch}
    found = validate(data, schema, schema)
    assert any(error in e for e in found), found

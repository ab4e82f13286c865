"""The model and the schema generated from it agree: whatever the loader accepts, the schema accepts.

(The other way round holds only in part: the schema cannot say "an absolute path" or "a step
needs exactly one of run or copy", so the loader refuses more.)
"""

from __future__ import annotations

import copy
from typing import Any

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from goshfile.errors import SpecError
from goshfile.spec.document import decode
from goshfile.spec.loader import load_document
from goshfile.spec.schema import json_schema
from tests.helpers import DESIGN_SEED, FULL, GOSH_URL
from tests.spec.test_schema import validate

SEEDS = [yaml.safe_load(DESIGN_SEED), yaml.safe_load(FULL)]
VALUES: list[Any] = [
    None, True, 0, 1, -1, 1.5, "", "x", "/abs", "rel", "abc\n", [], ["a"], [""], {}, {"a": "b"}, {"x-a": 1},
    GOSH_URL, GOSH_URL + "#main", "a" * 40, 4096, 2**32, {"type": "cache", "dst": "/c"}, {"type": "weird"},
    {"name": "s", "run": {"command": ["x"]}}, {"src": "a", "dst": "/b"}, "shared", "none", "secret",
]  # fmt: skip
KEYS = ["x-ext", "from_", "type", "from", "gosh", "commit", "dst", "src", "id", "mode", "size", "run", "copy", "mounts"]


def _nodes(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [path]
    if isinstance(value, dict):
        for k, v in value.items():
            found += _nodes(v, (*path, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            found += _nodes(v, (*path, i))
    return found


@st.composite
def mutated(draw: st.DrawFn) -> Any:
    doc = copy.deepcopy(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(_nodes(doc)[1:]))
        parent = doc
        for part in path[:-1]:
            parent = parent[part]
        op = draw(st.sampled_from(["set", "set", "delete", "add"]))
        if op == "set":
            parent[path[-1]] = copy.deepcopy(draw(st.sampled_from(VALUES)))
        elif op == "delete" and isinstance(parent, dict):
            del parent[path[-1]]
        elif op == "add" and isinstance(parent, dict):
            parent[draw(st.sampled_from(KEYS))] = copy.deepcopy(draw(st.sampled_from(VALUES)))
    return doc


SCHEMA = json_schema()


@settings(max_examples=400, deadline=None)
@given(mutated())
def test_what_the_loader_accepts_the_schema_accepts(data: Any) -> None:
    text = yaml.safe_dump(data, sort_keys=False)
    try:
        load_document(decode(text, "goshfile.yaml"))
    except SpecError:
        return
    assert validate(data, SCHEMA, SCHEMA) == []


def test_the_mutations_reach_both_outcomes() -> None:
    """The property above is not vacuous: its values make goshfiles that load and goshfiles that do not."""
    outcomes = set()
    for seed in SEEDS:
        for value in VALUES:
            data = {**seed, "image": value}
            try:
                load_document(decode(yaml.safe_dump(data), "goshfile.yaml"))
                outcomes.add("loaded")
            except SpecError:
                outcomes.add("refused")
    assert outcomes == {"loaded", "refused"}

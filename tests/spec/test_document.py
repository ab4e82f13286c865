"""Strict YAML decoding: 1-based positions of keys and values, and the YAML that is refused."""

from __future__ import annotations

import hashlib

import pytest

from goshfile.errors import Problem, SpecError
from goshfile.spec.document import Positions, decode, format_path


def errors(text: str) -> list[str]:
    with pytest.raises(SpecError) as info:
        decode(text, "f.yaml")
    return [str(p) for p in info.value.problems]


def test_values_and_keys_have_1_based_line_and_column() -> None:
    doc = decode("# syntax=teamgosh/goshfile\na: 1\nsteps:\n  - name: x\n    run: {command: [sh]}\n", "f.yaml")
    assert doc.data == {"a": 1, "steps": [{"name": "x", "run": {"command": ["sh"]}}]}
    pos = doc.positions
    assert pos.values[()] == (2, 1)
    assert pos.keys[("a",)] == (2, 1)
    assert pos.values[("a",)] == (2, 4)
    assert pos.values[("steps", 0)] == (4, 5)
    assert pos.keys[("steps", 0, "name")] == (4, 5)
    assert pos.values[("steps", 0, "name")] == (4, 11)
    assert pos.keys[("steps", 0, "run", "command")] == (5, 11)
    assert pos.values[("steps", 0, "run", "command")] == (5, 20)
    assert pos.values[("steps", 0, "run", "command", 0)] == (5, 21)


def test_an_explicit_document_start_is_allowed() -> None:
    doc = decode("---\na: 1\n", "f.yaml")
    assert doc.data == {"a": 1}
    assert doc.positions.keys[("a",)] == (2, 1)


def test_lookups_fall_back_to_the_nearest_known_position() -> None:
    pos = Positions(values={(): (1, 1), ("a",): (2, 3)}, keys={("a",): (2, 1)})
    assert pos.of_value(("a", "b", 0)) == (2, 3)
    assert pos.of_value(("zzz",)) == (1, 1)
    assert pos.of_key(("a",)) == (2, 1)
    assert pos.of_key(("a", "b")) == (2, 3)  # no key recorded: the value's (or its ancestor's) position
    assert Positions().of_value(("x",)) == (1, 1)


def test_problems_point_at_the_value_or_at_the_key() -> None:
    doc = decode("env:\n  A: x\n", "g.yaml")
    assert doc.problem(("env", "A"), "bad") == Problem("g.yaml", 2, 6, "env.A", "bad")
    assert str(doc.problem(("env", "A"), "bad", at_key=True)) == "g.yaml:2:3: env.A: bad"
    assert str(doc.problem((), "whole file")) == "g.yaml:1:1: whole file"


@pytest.mark.parametrize(
    ("path", "text"),
    [
        ((), ""),
        (("steps",), "steps"),
        (("steps", 0), "steps[0]"),
        (("steps", 0, "run", "mounts", 2, "dst"), "steps[0].run.mounts[2].dst"),
        (("labels", "a.b"), "labels.a.b"),
    ],
)
def test_paths_are_rendered_like_expressions(path: tuple[str | int, ...], text: str) -> None:
    assert format_path(path) == text


def test_the_document_digest_is_the_sha256_of_the_text() -> None:
    text = "a: 1\n"
    assert decode(text, "f.yaml").sha256 == "sha256:" + hashlib.sha256(text.encode()).hexdigest()
    assert decode("a: 2\n", "f.yaml").sha256 != decode(text, "f.yaml").sha256


def test_a_duplicate_key_is_an_error_at_the_second_one() -> None:
    assert errors("a: 1\nb: 2\na: 3\n") == ["f.yaml:3:1: a: duplicate key (first given on line 1)"]


def test_a_nested_duplicate_key_names_its_path() -> None:
    text = "steps:\n  - name: x\n    run: {command: [a]}\n    name: y\n"
    assert errors(text) == ["f.yaml:4:5: steps[0].name: duplicate key (first given on line 2)"]


def test_merge_keys_are_refused() -> None:
    text = "other:\n  <<: {x: 1}\n  y: 2\n"
    assert errors(text) == ["f.yaml:2:3: other: YAML merge keys (<<) are not supported; write the fields out"]
    text = "base: &b {x: 1}\nother:\n  <<: *b\n  y: 2\n"
    assert errors(text) == ["f.yaml:3:7: YAML aliases (*b) are not supported; write the value out"]


def test_an_anchor_alone_is_allowed_but_aliases_are_refused() -> None:
    assert decode("a: &v [1, 2]\n", "f.yaml").data == {"a": [1, 2]}
    assert errors("a: &v [1, 2]\nb: *v\n") == ["f.yaml:2:4: YAML aliases (*v) are not supported; write the value out"]


def test_keys_must_be_strings() -> None:
    assert errors("1: a\non: b\nnull: c\nenv:\n  2.5: x\n") == [
        "f.yaml:1:1: keys must be strings, got 1",
        "f.yaml:2:1: keys must be strings, got True",  # YAML 1.1: 'on' is a boolean
        "f.yaml:3:1: keys must be strings, got None",
        "f.yaml:5:3: env: keys must be strings, got 2.5",
    ]


def test_every_problem_of_a_file_is_reported_in_file_order() -> None:
    text = "b: {k: 1}\nsub:\n  <<: {k: 1}\na: 1\n5: z\na: 2\n"
    assert errors(text) == [
        "f.yaml:3:3: sub: YAML merge keys (<<) are not supported; write the fields out",
        "f.yaml:5:1: keys must be strings, got 5",
        "f.yaml:6:1: a: duplicate key (first given on line 4)",
    ]


def test_several_documents_are_refused() -> None:
    assert errors("a: 1\n---\nb: 2\n") == ["f.yaml:2:1: a goshfile holds exactly one YAML document"]


@pytest.mark.parametrize("text", ["", "\n\n", "# only a comment\n"])
def test_an_empty_file_is_an_error(text: str) -> None:
    assert errors(text) == ["f.yaml:1:1: the file is empty"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a: [1, 2\n", "f.yaml:2:1: invalid YAML: did not find expected ',' or ']'"),
        ("a: b: c\n", "f.yaml:1:5: invalid YAML: mapping values are not allowed in this context"),
        ("a:\n\t- b\n", "f.yaml:2:1: invalid YAML: found character that cannot start any token"),
        ('a: "open\n', "f.yaml:2:1: invalid YAML: found unexpected end of stream"),
    ],
)
def test_invalid_yaml_is_reported_with_its_position(text: str, expected: str) -> None:
    assert errors(text) == [expected]


def test_a_spec_error_sorts_its_problems_and_prints_one_per_line() -> None:
    late = Problem("f.yaml", 9, 1, "b", "late")
    early = Problem("f.yaml", 2, 5, "a", "early")
    error = SpecError([late, early])
    assert error.problems == [early, late]
    assert str(error) == "f.yaml:2:5: a: early\nf.yaml:9:1: b: late"

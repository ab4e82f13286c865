"""Each shape's checks and messages; the schema side is covered by test_schema (and the published file)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from goshfile.spec.shapes import BAD, Either, Failure, Flag, ListOf, MapOf, Maybe, Number, OneOf, Shape, Tagged, Text


def run(shape: Shape, value: Any) -> tuple[Any, list[Failure]]:
    out: list[Failure] = []
    return shape.check(value, ("f",), out), out


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (8080, "must be a string, not a number (quote it in YAML)"),
        (True, "must be a string, not a boolean (quote it in YAML)"),
        ([], "must be a string, not a list"),
        (None, "must be a string, not null"),
        ("", "must not be empty"),
        ("n0", "must be a name"),
        ("ab\n", "must be a name"),  # a trailing $ ends the text, as in JSON schema's ECMA regexps
        ("bad", "must not be bad"),
    ],
)
def test_text_refusals(value: Any, message: str) -> None:
    def not_bad(text: str) -> None:
        if text == "bad":
            raise ValueError("Must not be bad")

    result, out = run(Text(min_length=1, pattern=r"^[a-z]{2,3}$", invalid="must be a name", after=not_bad), value)
    assert result is BAD and out == [Failure(("f",), message)]


def test_text_keeps_a_good_value() -> None:
    assert run(Text(pattern=r"^[a-z]+$"), "abc") == ("abc", [])


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (True, "must be an integer"),
        (1.0, "must be an integer"),
        ("1", "must be an integer"),
        (0, "must be greater than 0"),
        (-1, "must be greater than 0"),
        (11, "must be at most 10"),
    ],
)
def test_number_refusals(value: Any, message: str) -> None:
    assert run(Number(gt=0, le=10), value) == (BAD, [Failure(("f",), message)])


def test_number_bounds_are_inclusive_where_they_say_so() -> None:
    assert run(Number(ge=0, le=10), 0) == (0, [])
    assert run(Number(ge=0, le=10), 10) == (10, [])
    assert run(Number(ge=1), 0)[1] == [Failure(("f",), "must be at least 1")]


def test_flag_and_one_of_are_strict_about_types() -> None:
    assert run(Flag(), 1)[1] == [Failure(("f",), "must be true or false")]
    assert run(OneOf(1), True)[1] == [Failure(("f",), "must be 1")]
    assert run(OneOf("a", "b", "c"), "d")[1] == [Failure(("f",), "must be 'a', 'b' or 'c'")]
    assert run(OneOf(1), 1) == (1, [])


def test_lists_collect_every_bad_item_with_its_index() -> None:
    result, out = run(ListOf(Text(min_length=1)), ["a", "", 3])
    assert result is BAD
    assert [f.path for f in out] == [("f", 1), ("f", 2)]
    assert run(ListOf(Text()), "a")[1] == [Failure(("f",), "must be a list of strings")]
    assert run(ListOf(Flag()), "a")[1] == [Failure(("f",), "must be a list")]
    assert run(ListOf(Text(), min_length=1), [])[1] == [Failure(("f",), "must not be empty")]


def test_a_bad_map_key_is_a_failure_on_the_key() -> None:
    result, out = run(MapOf(Text(pattern=r"^[A-Z]+$"), Text()), {"OK": "v", "no": 1})
    assert result is BAD
    assert out == [
        Failure(("f", "no"), "has an invalid format", at_key=True),
        Failure(("f", "no"), "must be a string, not a number (quote it in YAML)"),
    ]


def test_either_returns_the_first_fit_or_every_members_failures() -> None:
    shape = Either(Text(min_length=1), ListOf(Text(min_length=1)))
    assert run(shape, "a") == ("a", [])
    assert run(shape, ["a"]) == (["a"], [])
    result, out = run(shape, [""])
    assert result is BAD and [f.path for f in out] == [("f",), ("f", 0)]


def test_maybe_takes_null() -> None:
    assert run(Maybe(Text()), None) == (None, [])
    assert run(Maybe(Text()), 1)[0] is BAD


def test_tagged_names_the_missing_or_unknown_tag() -> None:
    shape = Tagged(
        lambda v: v.get("kind") if isinstance(v, dict) else None,
        {"a": Maybe(Text())},
        tag_key="kind",
        untagged="needs a kind",
        unknown="must be a",
    )
    assert run(shape, "x")[1] == [Failure(("f",), "needs a kind")]
    assert run(shape, {"kind": "b"})[1] == [Failure(("f", "kind"), "must be a")]


@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(), lambda c: st.lists(c) | st.dictionaries(st.text(), c)
    )
)
def test_a_check_either_keeps_the_value_or_says_why(value: Any) -> None:
    for shape in (Text(), Number(), Flag(), ListOf(Text()), MapOf(Text(), Maybe(Number()))):
        result, out = run(shape, value)
        assert (result is BAD) == bool(out)
        if result is not BAD:
            assert result == value

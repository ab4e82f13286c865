"""Records: keys by alias, required and unknown fields, the cross-field check, defaults not shared."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from goshfile.spec.records import UNKNOWN, Record, Ref, attr
from goshfile.spec.shapes import BAD, Failure, ListOf, Number, Text


@dataclass(frozen=True, kw_only=True)
class Pair(Record):
    """Two ends."""

    from_: str = attr(Text(min_length=1), alias="from")
    to: int = attr(Number(ge=0), default=0)
    tags: list[str] = attr(ListOf(Text()), default=[])

    def check(self) -> None:
        if self.from_ == "loop" and self.to == 0:
            raise ValueError("A loop needs a 'to'")


def run(value: Any) -> tuple[Any, list[Failure]]:
    out: list[Failure] = []
    return Ref(Pair).check(value, ("p",), out), out


def test_a_record_is_read_by_its_document_keys() -> None:
    assert run({"from": "a", "to": 2}) == (Pair(from_="a", to=2), [])


def test_the_python_name_is_not_a_document_key() -> None:
    assert run({"from_": "a"})[1] == [
        Failure(("p", "from"), "is required"),
        Failure(("p", "from_"), UNKNOWN, at_key=True),
    ]


def test_every_failure_is_collected_and_the_check_waits_for_them() -> None:
    result, out = run({"from": "loop", "to": -1, "x": 1})
    assert result is BAD
    assert out == [Failure(("p", "to"), "must be at least 0"), Failure(("p", "x"), UNKNOWN, at_key=True)]


def test_the_cross_field_check_speaks_lower_case_on_the_record() -> None:
    assert run({"from": "loop"}) == (BAD, [Failure(("p",), "a loop needs a 'to'")])


def test_mutable_defaults_are_fresh_per_record() -> None:
    first, second = run({"from": "a"})[0], run({"from": "b"})[0]
    assert first.tags == [] and first.tags is not second.tags


def test_not_a_mapping() -> None:
    assert run(["from", "a"]) == (BAD, [Failure(("p",), "must be a mapping")])


def test_the_schema_of_a_record() -> None:
    defs: dict[str, Any] = {}
    assert Ref(Pair).schema(defs) == {"$ref": "#/$defs/Pair"}
    assert defs["Pair"]["required"] == ["from"]
    assert defs["Pair"]["properties"]["to"] == {"default": 0, "minimum": 0, "title": "To", "type": "integer"}
    assert defs["Pair"]["description"] == "Two ends."

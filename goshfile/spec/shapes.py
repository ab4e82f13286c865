"""The shapes a goshfile's values take: each one checks a decoded value and describes itself as JSON schema.

The model (:mod:`goshfile.spec.model`) is built from these and from nothing else, so the
checks ``goshfile lint`` and the frontend make and the schema editors read come from one
declaration. Checking is strict, as YAML needs: ``8080`` is not a string and ``yes`` is not
a string either (no coercion); a mapping's unknown keys are errors. A failed check does not
stop the walk: every :class:`Failure` in the document is collected, with its path in the
data, so that one lint run names them all.

>>> out: list[Failure] = []
>>> Text(min_length=1).check(8080, ("image",), out) is BAD, out[0].message
(True, 'must be a string, not a number (quote it in YAML)')
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

Path = tuple[str | int, ...]
BAD: Final = object()
"""What a check returns for a value that failed (its failures are in ``out``)."""

_KINDS: dict[type, str] = {
    bool: "a boolean",
    int: "a number",
    float: "a number",
    type(None): "null",
    list: "a list",
    dict: "a mapping",
}


def kind(value: Any) -> str:
    """What a YAML author would call ``value``'s type."""
    return _KINDS.get(type(value), type(value).__name__)


@dataclass(frozen=True)
class Failure:
    """One value that does not fit: where (a path in the data), why, and whether it is the key that is wrong."""

    path: Path
    message: str
    at_key: bool = False


def reason(exc: ValueError) -> str:
    """A check's ValueError as a message: its text, starting lower-case (it follows a path and a colon)."""
    text = str(exc)
    return text[:1].lower() + text[1:]


class Shape:
    """One kind of value. ``check`` returns the value to keep (or :data:`BAD`); ``schema`` its JSON schema."""

    def check(self, value: Any, path: Path, out: list[Failure]) -> Any:
        raise NotImplementedError

    def schema(self, defs: dict[str, Any]) -> dict[str, Any]:
        raise NotImplementedError


def _search(pattern: str) -> re.Pattern[str]:
    # JSON schema patterns search; a trailing $ ends the text (as in ECMA and Rust), not a final line.
    return re.compile(pattern[:-1] + r"\Z" if pattern.endswith("$") else pattern)


class Text(Shape):
    """A string: at least ``min_length`` characters, matching ``pattern`` (with ``invalid`` as the message),
    then ``after`` (which raises ValueError with the message)."""

    def __init__(
        self,
        min_length: int = 0,
        pattern: str | None = None,
        invalid: str = "has an invalid format",
        after: Callable[[str], object] | None = None,
        doc: str | None = None,
    ) -> None:
        self.min_length, self.pattern, self.invalid, self.after, self.doc = min_length, pattern, invalid, after, doc
        self._compiled = _search(pattern) if pattern is not None else None

    def check(self, value: Any, path: Path, out: list[Failure]) -> Any:
        if not isinstance(value, str):
            hint = " (quote it in YAML)" if isinstance(value, (bool, int, float)) else ""
            out.append(Failure(path, f"must be a string, not {kind(value)}{hint}"))
            return BAD
        if len(value) < self.min_length:
            out.append(Failure(path, "must not be empty"))
            return BAD
        if self._compiled is not None and self._compiled.search(value) is None:
            out.append(Failure(path, self.invalid))
            return BAD
        if self.after is not None:
            try:
                self.after(value)
            except ValueError as exc:
                out.append(Failure(path, reason(exc)))
                return BAD
        return value

    def schema(self, defs: dict[str, Any]) -> dict[str, Any]:
        node: dict[str, Any] = {"type": "string"}
        if self.min_length:
            node["minLength"] = self.min_length
        if self.pattern is not None:
            node["pattern"] = self.pattern
        if self.doc is not None:
            node["description"] = self.doc
        return node


class Number(Shape):
    """An integer (not a boolean, not a float), within the bounds given."""

    def __init__(self, gt: int | None = None, ge: int | None = None, le: int | None = None, doc: str | None = None):
        self.gt, self.ge, self.le, self.doc = gt, ge, le, doc

    def check(self, value: Any, path: Path, out: list[Failure]) -> Any:
        if not isinstance(value, int) or isinstance(value, bool):
            out.append(Failure(path, "must be an integer"))
            return BAD
        if self.gt is not None and value <= self.gt:
            message = f"must be greater than {self.gt}"
        elif self.ge is not None and value < self.ge:
            message = f"must be at least {self.ge}"
        elif self.le is not None and value > self.le:
            message = f"must be at most {self.le}"
        else:
            return value
        out.append(Failure(path, message))
        return BAD

    def schema(self, defs: dict[str, Any]) -> dict[str, Any]:
        node: dict[str, Any] = {"type": "integer"}
        for key, bound in (("exclusiveMinimum", self.gt), ("minimum", self.ge), ("maximum", self.le)):
            if bound is not None:
                node[key] = bound
        if self.doc is not None:
            node["description"] = self.doc
        return node


class Flag(Shape):
    """``true`` or ``false``."""

    def check(self, value: Any, path: Path, out: list[Failure]) -> Any:
        if not isinstance(value, bool):
            out.append(Failure(path, "must be true or false"))
            return BAD
        return value

    def schema(self, defs: dict[str, Any]) -> dict[str, Any]:
        return {"type": "boolean"}


class OneOf(Shape):
    """One of a few fixed values, of the same type (``1`` is not ``true``)."""

    def __init__(self, *values: str | int) -> None:
        self.values = values

    def check(self, value: Any, path: Path, out: list[Failure]) -> Any:
        if not any(type(value) is type(v) and value == v for v in self.values):
            shown = [repr(v) for v in self.values]
            listed = shown[0] if len(shown) == 1 else f"{', '.join(shown[:-1])} or {shown[-1]}"
            out.append(Failure(path, f"must be {listed}"))
            return BAD
        return value

    def schema(self, defs: dict[str, Any]) -> dict[str, Any]:
        kind = "integer" if isinstance(self.values[0], int) else "string"
        if len(self.values) == 1:
            return {"const": self.values[0], "type": kind}
        return {"enum": list(self.values), "type": kind}


class Maybe(Shape):
    """``null`` or ``inner``."""

    def __init__(self, inner: Shape) -> None:
        self.inner = inner

    def check(self, value: Any, path: Path, out: list[Failure]) -> Any:
        return None if value is None else self.inner.check(value, path, out)

    def schema(self, defs: dict[str, Any]) -> dict[str, Any]:
        return {"anyOf": [self.inner.schema(defs), {"type": "null"}]}


class Either(Shape):
    """The first of ``members`` that fits; when none does, every member's failures (the loader merges them)."""

    def __init__(self, *members: Shape) -> None:
        self.members = members

    def check(self, value: Any, path: Path, out: list[Failure]) -> Any:
        failures: list[Failure] = []
        for member in self.members:
            mine: list[Failure] = []
            result = member.check(value, path, mine)
            if not mine:
                return result
            failures += mine
        out += failures
        return BAD

    def schema(self, defs: dict[str, Any]) -> dict[str, Any]:
        return {"anyOf": [m.schema(defs) for m in self.members]}


class ListOf(Shape):
    """A list of ``item``, at least ``min_length`` long."""

    def __init__(self, item: Shape, min_length: int = 0) -> None:
        self.item, self.min_length = item, min_length

    def check(self, value: Any, path: Path, out: list[Failure]) -> Any:
        if not isinstance(value, list):
            out.append(Failure(path, "must be a list of strings" if isinstance(self.item, Text) else "must be a list"))
            return BAD
        if len(value) < self.min_length:
            out.append(Failure(path, "must not be empty"))
            return BAD
        before = len(out)
        items = [self.item.check(v, (*path, i), out) for i, v in enumerate(value)]
        return BAD if len(out) > before else items

    def schema(self, defs: dict[str, Any]) -> dict[str, Any]:
        node: dict[str, Any] = {"items": self.item.schema(defs), "type": "array"}
        if self.min_length:
            node["minItems"] = self.min_length
        return node


class MapOf(Shape):
    """A mapping from keys of shape ``key`` (a failure there is on the key) to values of shape ``value``."""

    def __init__(self, key: Text, value: Shape) -> None:
        self.key, self.value = key, value

    def check(self, value: Any, path: Path, out: list[Failure]) -> Any:
        if not isinstance(value, dict):
            out.append(Failure(path, "must be a mapping"))
            return BAD
        before = len(out)
        result: dict[str, Any] = {}
        for k, v in value.items():
            keys: list[Failure] = []
            self.key.check(k, (*path, k), keys)
            out += [Failure(f.path, f.message, at_key=True) for f in keys]
            result[k] = self.value.check(v, (*path, k), out)
        return BAD if len(out) > before else result

    def schema(self, defs: dict[str, Any]) -> dict[str, Any]:
        value = self.value.schema(defs)
        if self.key.pattern is not None:
            return {"patternProperties": {self.key.pattern: value}, "type": "object"}
        node: dict[str, Any] = {"additionalProperties": value, "type": "object"}
        if self.key.min_length:
            node["propertyNames"] = {"minLength": self.key.min_length}
        return node


class Tagged(Shape):
    """One of several shapes chosen by ``select(value)`` (a mount's ``type``): the chosen one's failures only.

    ``untagged`` is the message when ``select`` finds no tag, ``unknown`` the one (on ``tag_key``) for a
    tag that names no member.
    """

    def __init__(
        self,
        select: Callable[[Any], str | None],
        members: Mapping[str, Shape],
        *,
        tag_key: str,
        untagged: str,
        unknown: str,
    ) -> None:
        self.select, self.members, self.tag_key = select, members, tag_key
        self.untagged, self.unknown = untagged, unknown

    def check(self, value: Any, path: Path, out: list[Failure]) -> Any:
        tag = self.select(value)
        if tag is None:
            out.append(Failure(path, self.untagged))
            return BAD
        member = self.members.get(tag)
        if member is None:
            out.append(Failure((*path, self.tag_key), self.unknown))
            return BAD
        return member.check(value, path, out)

    def schema(self, defs: dict[str, Any]) -> dict[str, Any]:
        return {"oneOf": [m.schema(defs) for m in self.members.values()]}

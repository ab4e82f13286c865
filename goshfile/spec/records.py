"""Records: the goshfile's mappings as frozen dataclasses whose fields carry their shape.

>>> @dataclass(frozen=True, kw_only=True)
... class Port(Record):
...     '''A port.'''
...     number: int = attr(Number(gt=0))
>>> Ref(Port).check({"number": 80}, (), [])
Port(number=80)

A field's key in the document is its ``alias`` or its name (``from_`` is written ``from``).
Unknown keys and missing fields are failures; :meth:`Record.check` runs the checks across
fields once every field fits, and raises ValueError with the message.
"""

from __future__ import annotations

import dataclasses
import inspect
from dataclasses import MISSING, dataclass
from typing import Any, ClassVar

from goshfile.spec.shapes import BAD, Failure, Maybe, Path, Shape, reason

UNKNOWN = "unknown field (extension fields must start with x-)"


def attr(shape: Shape, *, default: Any = MISSING, alias: str | None = None, doc: str | None = None) -> Any:
    """A record field of ``shape``, written ``alias`` in the document, optional when it has a ``default``."""
    meta = {"shape": shape, "alias": alias, "doc": doc}
    if isinstance(default, (list, dict)):
        return dataclasses.field(default_factory=type(default), metadata=meta)
    return dataclasses.field(default=default, metadata=meta)


@dataclass(frozen=True)
class _Field:
    name: str
    key: str
    shape: Shape
    required: bool
    default: Any
    doc: str | None


@dataclass(frozen=True, kw_only=True)
class Record:
    """A mapping of the goshfile."""

    _fields: ClassVar[tuple[_Field, ...] | None] = None

    def check(self) -> None:
        """Checks across fields; raise ValueError to refuse (none by default)."""

    @classmethod
    def layout(cls) -> tuple[_Field, ...]:
        """The fields as the document writes them, in order (computed once)."""
        found = cls.__dict__.get("_fields")
        if found is None:
            found = tuple(
                _Field(
                    f.name,
                    f.metadata["alias"] or f.name,
                    f.metadata["shape"],
                    f.default is MISSING and f.default_factory is MISSING,
                    f.default_factory() if f.default_factory is not MISSING else f.default,
                    f.metadata["doc"],
                )
                for f in dataclasses.fields(cls)
            )
            cls._fields = found
        return found


class Ref(Shape):
    """A mapping checked against record ``cls``, kept as an instance of it."""

    def __init__(self, cls: type[Record]) -> None:
        self.cls = cls

    def check(self, value: Any, path: Path, out: list[Failure]) -> Any:
        if not isinstance(value, dict):
            out.append(Failure(path, "must be a mapping"))
            return BAD
        before = len(out)
        kwargs: dict[str, Any] = {}
        layout = self.cls.layout()
        for field in layout:
            if field.key in value:
                kwargs[field.name] = field.shape.check(value[field.key], (*path, field.key), out)
            elif field.required:
                out.append(Failure((*path, field.key), "is required"))
        known = {f.key for f in layout}
        out += [Failure((*path, k), UNKNOWN, at_key=True) for k in value if k not in known]
        if len(out) > before:
            return BAD
        record = self.cls(**kwargs)
        try:
            record.check()
        except ValueError as exc:
            out.append(Failure(path, reason(exc)))
            return BAD
        return record

    def schema(self, defs: dict[str, Any]) -> dict[str, Any]:
        name = self.cls.__name__
        if name not in defs:
            defs[name] = {}  # claimed before the fields: a record may (indirectly) hold itself
            properties: dict[str, Any] = {}
            for field in self.cls.layout():
                node = field.shape.schema(defs)
                inner = field.shape.inner if isinstance(field.shape, Maybe) else field.shape
                if not isinstance(inner, Ref):  # as pydantic's schemas: a reference has no title
                    node["title"] = field.key.replace("_", " ").title()
                if not field.required:
                    node["default"] = field.default
                if field.doc is not None:
                    node["description"] = field.doc
                properties[field.key] = node
            required = [f.key for f in self.cls.layout() if f.required]
            defs[name] = {
                "additionalProperties": False,
                "description": inspect.cleandoc(self.cls.__doc__ or ""),
                "properties": properties,
                **({"required": required} if required else {}),
                "title": name,
                "type": "object",
            }
        return {"$ref": f"#/$defs/{name}"}

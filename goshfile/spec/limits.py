"""The bounds every goshfile is held to before it is decoded, so that any input ends quickly.

A goshfile is a small, hand-written file. Whatever bytes are given as one, the loader
ends with a valid model or a :class:`~goshfile.errors.SpecError` whose problems carry
a line and column, in time and memory linear in the (bounded) file size:

- :data:`MAX_FILE_BYTES`: the file is at most 1 MiB;
- UTF-8 only, and no character that YAML forbids (raw control characters, surrogates, U+FFFE/U+FFFF);
- :data:`MAX_DEPTH`: mappings and lists nest at most 32 levels deep (the model needs 7);
- no YAML aliases (``*name``): an anchor may be written, but not used, so no alias bomb or
  self-referencing alias exists; write the value out (merge keys ``<<`` are refused as well);
- no YAML tags (``!foo``, ``!!int``, ``!!python/name:…``) on scalars, mappings or lists:
  the model decides each field's type (quote a value to make it a string);
- :data:`MAX_SCALAR_CHARS`: a key or value is at most 65,536 characters;
- integers are signed 64-bit (:data:`MIN_INT` .. :data:`MAX_INT`), as BuildKit stores them.

:func:`scan` checks these on the YAML event stream, before any node is composed
(composing a deeply nested document would otherwise recurse without bound).
"""

from __future__ import annotations

import re
from typing import Any, Final

import yaml

from goshfile.errors import Problem

MAX_FILE_BYTES: Final = 1 << 20
MAX_DEPTH: Final = 32
MAX_SCALAR_CHARS: Final = 1 << 16
MAX_INT: Final = (1 << 63) - 1
MIN_INT: Final = -(1 << 63)
MAX_PROBLEMS: Final = 50
"""At most this many problems are reported for one file (the first ones, in file order)."""

# What YAML 1.1 does not allow in a stream: C0 controls but TAB, LF and CR; DEL; C1 controls but NEL;
# surrogates; U+FFFE and U+FFFF.
_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f\ud800-\udfff\ufffe\uffff]")

try:  # libyaml is much faster; fall back to the pure-Python loader.
    Loader: type[yaml.SafeLoader] = yaml.CSafeLoader  # type: ignore[assignment,unused-ignore]
except AttributeError:  # pragma: no cover - depends on the PyYAML build
    Loader = yaml.SafeLoader


def position(text: str, index: int) -> tuple[int, int]:
    """1-based (line, column) of character ``index`` in ``text``."""
    line = text.count("\n", 0, index) + 1
    start = text.rfind("\n", 0, index) + 1
    return line, index - start + 1


def byte_position(data: bytes, index: int) -> tuple[int, int]:
    """1-based (line, column in characters) of byte ``index`` in UTF-8 ``data``."""
    line = data.count(b"\n", 0, index) + 1
    start = data.rfind(b"\n", 0, index) + 1
    return line, len(data[start:index].decode("utf-8", errors="replace")) + 1


def forbidden_character(text: str, filename: str) -> Problem | None:
    """The first character YAML does not allow, as a problem; None when there is none."""
    found = _FORBIDDEN.search(text)
    if found is None:
        return None
    line, col = position(text, found.start())
    code = ord(found.group())
    return Problem(
        filename, line, col, "", f"character U+{code:04X} is not allowed in a goshfile (write it as an escape)"
    )


def _mark(filename: str, mark: Any, message: str) -> Problem:
    line, col = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
    return Problem(filename, line, col, "", message)


def _tag_name(tag: str) -> str:
    return "!!" + tag.removeprefix("tag:yaml.org,2002:") if tag.startswith("tag:yaml.org,2002:") else tag


def scan(text: str, filename: str) -> list[Problem]:
    """Problems with the YAML events of ``text``: depth, aliases, tags and scalar length.

    Raises :class:`yaml.YAMLError` for text that is not YAML (the caller reports it).
    Stops at the first level too deep, or after :data:`MAX_PROBLEMS` problems.
    """
    problems: list[Problem] = []
    loader = Loader(text)
    depth = 0
    aliases: set[str] = set()
    try:
        while len(problems) < MAX_PROBLEMS:
            event = loader.get_event()  # type: ignore[no-untyped-call]
            if event is None or isinstance(event, yaml.StreamEndEvent):
                break
            if isinstance(event, yaml.AliasEvent):
                if event.anchor in aliases:  # one problem per anchor is enough
                    continue
                aliases.add(event.anchor or "")
                problems.append(
                    _mark(
                        filename,
                        event.start_mark,
                        f"YAML aliases (*{event.anchor}) are not supported; write the value out",
                    )
                )
                continue
            tag = getattr(event, "tag", None)
            if isinstance(event, yaml.NodeEvent) and tag is not None:
                problems.append(
                    _mark(
                        filename,
                        event.start_mark,
                        f"YAML tags ({_tag_name(tag)}) are not supported; the field decides the type "
                        "(quote a value to make it a string)",
                    )
                )
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > MAX_DEPTH:
                    problems.append(_mark(filename, event.start_mark, f"nested more than {MAX_DEPTH} levels deep"))
                    break
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
            elif isinstance(event, yaml.ScalarEvent) and len(event.value) > MAX_SCALAR_CHARS:
                problems.append(
                    _mark(
                        filename,
                        event.start_mark,
                        f"a value of {len(event.value):,} characters; at most {MAX_SCALAR_CHARS:,} are allowed",
                    )
                )
    finally:
        loader.dispose()
    return problems

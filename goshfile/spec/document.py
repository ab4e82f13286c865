"""Strict YAML decoding that keeps the position of every key and value.

The first step of loading a goshfile: YAML text becomes plain Python data
(dicts, lists, str, int, float, bool, None) plus a :class:`Positions` table
that maps a field path such as ``("steps", 0, "run", "command")`` to its
line and column. Duplicate keys, merge keys, non-string keys and multiple
documents are errors here, because PyYAML's default loader would silently
keep the last duplicate and lose input.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

import yaml

from goshfile.errors import Problem, SpecError

Path = tuple[str | int, ...]

try:  # libyaml is much faster; fall back to the pure-Python loader.
    _Loader: type[yaml.SafeLoader] = yaml.CSafeLoader  # type: ignore[assignment,unused-ignore]
except AttributeError:  # pragma: no cover - depends on the PyYAML build
    _Loader = yaml.SafeLoader


def format_path(path: Path) -> str:
    """Render a field path the way error messages show it: ``steps[0].run.command``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else part
    return out


@dataclass
class Positions:
    """1-based (line, column) of each value, and of each mapping key, by path."""

    values: dict[Path, tuple[int, int]] = field(default_factory=dict)
    keys: dict[Path, tuple[int, int]] = field(default_factory=dict)

    def of_value(self, path: Path) -> tuple[int, int]:
        """Position of the value at ``path``, or of its nearest recorded ancestor."""
        for n in range(len(path), -1, -1):
            pos = self.values.get(path[:n])
            if pos is not None:
                return pos
        return (1, 1)

    def of_key(self, path: Path) -> tuple[int, int]:
        """Position of the key that introduces ``path`` (falls back to the value)."""
        return self.keys.get(path) or self.of_value(path)


@dataclass
class Document:
    """Decoded YAML data with the positions of its parts."""

    filename: str
    data: Any
    positions: Positions
    sha256: str = ""

    def problem(self, path: Path, message: str, *, at_key: bool = False) -> Problem:
        """A :class:`Problem` located at ``path`` in this document."""
        line, col = self.positions.of_key(path) if at_key else self.positions.of_value(path)
        return Problem(self.filename, line, col, format_path(path), message)


def _pos(node: yaml.Node) -> tuple[int, int]:
    return (node.start_mark.line + 1, node.start_mark.column + 1)


class _Decoder:
    def __init__(self, filename: str, loader: yaml.SafeLoader) -> None:
        self.filename = filename
        self.loader = loader
        self.positions = Positions()
        self.problems: list[Problem] = []

    def fail(self, node: yaml.Node, path: Path, message: str) -> None:
        line, col = _pos(node)
        self.problems.append(Problem(self.filename, line, col, format_path(path), message))

    def decode(self, node: yaml.Node, path: Path) -> Any:
        self.positions.values[path] = _pos(node)
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, path)
        if isinstance(node, yaml.SequenceNode):
            return [self.decode(item, (*path, i)) for i, item in enumerate(node.value)]
        return self.loader.construct_object(node, deep=True)

    def _mapping(self, node: yaml.MappingNode, path: Path) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                self.fail(key_node, path, "YAML merge keys (<<) are not supported; write the fields out")
                continue
            key = self.loader.construct_object(key_node, deep=True)
            if not isinstance(key, str):
                self.fail(key_node, path, f"keys must be strings, got {key!r}")
                continue
            child = (*path, key)
            if key in out:
                line = self.positions.keys[child][0]
                self.fail(key_node, child, f"duplicate key (first given on line {line})")
                continue
            self.positions.keys[child] = _pos(key_node)
            out[key] = self.decode(value_node, child)
        return out


def decode(text: str, filename: str) -> Document:
    """Decode YAML ``text`` strictly, raising :class:`SpecError` with every problem found."""
    loader = _Loader(text)
    try:
        try:
            root = loader.get_single_node()
        except yaml.composer.ComposerError as exc:
            mark = exc.problem_mark or exc.context_mark
            line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
            raise SpecError([Problem(filename, line, col, "", "a goshfile holds exactly one YAML document")]) from None
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark
            line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
            reason = exc.problem or "invalid YAML"
            raise SpecError([Problem(filename, line, col, "", f"invalid YAML: {reason}")]) from None
        if root is None:
            raise SpecError([Problem(filename, 1, 1, "", "the file is empty")])
        decoder = _Decoder(filename, loader)
        data = decoder.decode(root, ())
    finally:
        loader.dispose()
    if decoder.problems:
        raise SpecError(decoder.problems)
    return Document(filename, data, decoder.positions, "sha256:" + hashlib.sha256(text.encode()).hexdigest())

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
from goshfile.spec import limits

Path = tuple[str | int, ...]
_INT_TAG = "tag:yaml.org,2002:int"
_MAX_INT_TEXT = 80  # characters of an integer scalar (digits, signs, '_', base-60 ':'); more is out of range


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
        return self.scalar(node, path)

    def scalar(self, node: yaml.Node, path: Path) -> Any:
        """The value of a scalar node; a problem (and None) when it cannot be one."""
        if node.tag == _INT_TAG and len(node.value) > _MAX_INT_TEXT:
            self.fail(node, path, _INT_RANGE)
            return None
        try:
            value = self.loader.construct_object(node, deep=True)
        except (ValueError, OverflowError, yaml.YAMLError) as exc:  # a date like 2024-13-45, an odd tag
            reason = getattr(exc, "problem", None) or str(exc)
            self.fail(node, path, f"invalid value {_short(node.value)}: {reason}")
            return None
        if isinstance(value, int) and not isinstance(value, bool) and not limits.MIN_INT <= value <= limits.MAX_INT:
            self.fail(node, path, _INT_RANGE)
            return None
        if isinstance(value, str) and ("\x00" in value or any("\ud800" <= c <= "\udfff" for c in value)):
            self.fail(node, path, "a NUL character or an unpaired surrogate (\\0, \\ud800) cannot be used")
            return None
        return value

    def _mapping(self, node: yaml.MappingNode, path: Path) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                self.fail(key_node, path, "YAML merge keys (<<) are not supported; write the fields out")
                continue
            if not isinstance(key_node, yaml.ScalarNode):
                self.fail(key_node, path, "keys must be strings, not a mapping or a list")
                continue
            before = len(self.problems)
            key = self.scalar(key_node, path)
            if not isinstance(key, str):
                if len(self.problems) == before:
                    self.fail(key_node, path, f"keys must be strings, got {_short(key)}")
                continue
            child = (*path, key)
            if key in out:
                line = self.positions.keys[child][0]
                self.fail(key_node, child, f"duplicate key (first given on line {line})")
                continue
            self.positions.keys[child] = _pos(key_node)
            out[key] = self.decode(value_node, child)
        return out


_INT_RANGE = f"integer out of range (a goshfile number is between {limits.MIN_INT} and {limits.MAX_INT})"


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def decode_bytes(data: bytes, filename: str) -> str:
    """``data`` as text: UTF-8 (an initial byte order mark is allowed) of at most :data:`limits.MAX_FILE_BYTES`."""
    if len(data) > limits.MAX_FILE_BYTES:
        raise SpecError([Problem(filename, 1, 1, "", _too_large(len(data)))])
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line, col = limits.byte_position(data, exc.start)
        problem = Problem(
            filename, line, col, "", f"not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start})"
        )
        raise SpecError([problem]) from None


def _too_large(size: int) -> str:
    return f"the file is {size:,} bytes; a goshfile is at most {limits.MAX_FILE_BYTES:,} bytes"


def _compose(text: str, filename: str) -> tuple[yaml.SafeLoader, yaml.Node | None]:
    """The root node of ``text`` (checked by :func:`limits.scan` first); SpecError for anything else."""
    if len(text) > limits.MAX_FILE_BYTES or len(text.encode("utf-8")) > limits.MAX_FILE_BYTES:
        raise SpecError([Problem(filename, 1, 1, "", _too_large(len(text.encode("utf-8"))))])
    bad = limits.forbidden_character(text, filename)
    if bad is not None:
        raise SpecError([bad])
    try:
        problems = limits.scan(text, filename)
        if problems:
            raise SpecError(problems)
        loader = limits.Loader(text)
        try:
            return loader, loader.get_single_node()
        except BaseException:
            loader.dispose()
            raise
    except yaml.composer.ComposerError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        raise SpecError([Problem(filename, line, col, "", "a goshfile holds exactly one YAML document")]) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        reason = exc.problem or "invalid YAML"
        raise SpecError([Problem(filename, line, col, "", f"invalid YAML: {reason}")]) from None
    except yaml.reader.ReaderError as exc:
        line, col = limits.position(text, exc.position)
        raise SpecError([Problem(filename, line, col, "", f"invalid YAML: {exc.reason}")]) from None
    except yaml.YAMLError as exc:
        raise SpecError([Problem(filename, 1, 1, "", f"invalid YAML: {exc}")]) from None


def decode(text: str, filename: str) -> Document:
    """Decode YAML ``text`` strictly, raising :class:`SpecError` with every problem found.

    The bounds of :mod:`goshfile.spec.limits` are checked first.
    """
    loader, root = _compose(text, filename)
    try:
        if root is None:
            raise SpecError([Problem(filename, 1, 1, "", "the file is empty")])
        decoder = _Decoder(filename, loader)
        data = decoder.decode(root, ())
    finally:
        loader.dispose()
    if decoder.problems:
        raise SpecError(decoder.problems[: limits.MAX_PROBLEMS])
    return Document(filename, data, decoder.positions, "sha256:" + hashlib.sha256(text.encode()).hexdigest())

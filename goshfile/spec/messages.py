"""Turn pydantic's validation errors into short messages a goshfile author understands."""

from __future__ import annotations

from typing import Any

from pydantic_core import ErrorDetails

from goshfile.spec.document import Path

_LISTS_OF_STRINGS = {"command", "args", "entrypoint", "cmd", "src"}
_PATTERNS = {
    "gosh": "must be a gosh:// URL: gosh://0:<64 hex>/<dao>/<repo>",
    "commit": "must be a full commit id (40 lowercase hex characters)",
    "args": "must be a name of letters, digits and _ (not starting with a digit)",
}


_KINDS: dict[type, str] = {
    bool: "a boolean",
    int: "a number",
    float: "a number",
    type(None): "null",
    list: "a list",
    dict: "a mapping",
}


def _kind(value: Any) -> str:
    return _KINDS.get(type(value), type(value).__name__)


def describe(err: ErrorDetails, path: Path) -> str:
    """A one-line message for one pydantic error at ``path``."""
    kind = err["type"]
    last = next((p for p in reversed(path) if isinstance(p, str)), "")
    value = err.get("input")
    if kind == "missing":
        return "is required"
    if kind == "extra_forbidden":
        return "unknown field (extension fields must start with x-)"
    if kind == "string_type":
        hint = " (quote it in YAML)" if isinstance(value, (bool, int, float)) else ""
        return f"must be a string, not {_kind(value)}{hint}"
    if kind == "list_type":
        return "must be a list of strings" if last in _LISTS_OF_STRINGS else "must be a list"
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return "must be a mapping"
    if kind == "bool_type":
        return "must be true or false"
    if kind == "int_type":
        return "must be an integer"
    if kind in ("too_short", "string_too_short"):
        return "must not be empty"
    if kind == "greater_than":
        return f"must be greater than {(err.get('ctx') or {}).get('gt', 0)}"
    if kind == "string_pattern_mismatch":
        key = "args" if path[:1] == ("args",) else last
        return _PATTERNS.get(key, "has an invalid format")
    if kind == "mount_kind":
        return "a mount needs 'type: cache', 'type: tmpfs' or 'type: bind', or a 'gosh' URL"
    if kind == "union_tag_invalid":
        return "type must be one of: cache, tmpfs, bind, gosh"
    if kind == "literal_error":
        return "must be " + err["msg"].removeprefix("Input should be ")
    message = err["msg"].removeprefix("Value error, ").removeprefix("Assertion failed, ")
    return message[0].lower() + message[1:] if message else kind

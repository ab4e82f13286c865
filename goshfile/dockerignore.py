"""``.dockerignore``: its one parser and matcher, as Docker and BuildKit read the file.

Each line is a pattern (``#`` lines and blank lines are skipped); ``!`` before a pattern makes it an
exception. Patterns are cleaned paths relative to the context (a leading ``/`` is dropped); ``*``
matches within one path segment, ``?`` one character of a segment, ``[...]`` a class, ``**`` any
number of segments. The last pattern that matches a path, or one of its parent folders, decides.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the frontend parses patterns only: it need not load pathlib
    from pathlib import Path

FILE = ".dockerignore"


def parse(text: str) -> list[str]:
    """The patterns of a ``.dockerignore`` text, in order (exceptions keep their ``!``)."""
    out: list[str] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        negate = line.startswith("!")
        body = line[1:].strip() if negate else line
        body = posixpath.normpath(body).lstrip("/") if body else body
        if body in ("", "."):
            continue
        out.append(("!" if negate else "") + body)
    return out


def _regex(pattern: str) -> re.Pattern[str]:
    out, i = "", 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "*":
            if pattern[i + 1 : i + 2] == "*":  # ** : any number of segments
                i += 2
                if pattern[i : i + 1] == "/":
                    i += 1
                out += ".*" if i >= len(pattern) else "(?:.*/)?"
                continue
            out += "[^/]*"
        elif ch == "?":
            out += "[^/]"
        elif ch == "[":
            end = pattern.find("]", i + 1)
            if end < 0:
                out += re.escape(ch)
            else:
                body = pattern[i + 1 : end]
                out += "[" + ("^" + body[1:] if body.startswith("^") else body).replace("\\", "\\\\") + "]"
                i = end
        elif ch == "\\" and i + 1 < len(pattern):
            i += 1
            out += re.escape(pattern[i])
        else:
            out += re.escape(ch)
        i += 1
    return re.compile(f"^{out}$")


@dataclass(frozen=True)
class Matcher:
    """Which context paths a list of patterns excludes."""

    rules: tuple[tuple[bool, re.Pattern[str]], ...]  # (exception, pattern)

    @classmethod
    def of(cls, patterns: list[str]) -> Matcher:
        """A matcher for :func:`parse`'s patterns."""
        return cls(tuple((p.startswith("!"), _regex(p.removeprefix("!"))) for p in patterns))

    @classmethod
    def for_context(cls, context: Path) -> Matcher:
        """The matcher of ``context``'s ``.dockerignore`` (excluding nothing when there is none)."""
        try:
            text = (context / FILE).read_text(encoding="utf-8", errors="replace")
        except OSError:
            return cls(())
        return cls.of(parse(text))

    @property
    def has_exceptions(self) -> bool:
        """Whether a ``!`` pattern may bring back something inside an excluded folder."""
        return any(exception for exception, _ in self.rules)

    def excluded(self, path: str) -> bool:
        """Whether the context-relative ``path`` (``/``-separated) is left out of the context."""
        parts = path.strip("/").split("/")
        candidates = ["/".join(parts[: n + 1]) for n in range(len(parts))]
        result = False
        for exception, regex in self.rules:
            if any(regex.match(candidate) for candidate in candidates):
                result = not exception
        return result

"""The package's exceptions: one base, split by cause.

- :class:`InputError`: the user's input is wrong (a goshfile, an option, a reference);
  :class:`SpecError` for a goshfile, with every problem and its position.
- :class:`VerificationError`: something was checked and did not hold.
- :class:`EngineError`: BuildKit, Docker, a node, a registry or another external system
  failed or could not be reached, so nothing could be checked.

The CLI's one handler (:mod:`goshfile.cli.main`) maps them to exit codes (README, "CLI contract"):
``VerificationError`` 1, ``InputError`` 2, ``EngineError`` 3, any other ``GoshfileError`` 1.
Raise with ``from exc`` so that ``--verbose`` shows the root cause. Messages never contain secret values.
"""

from __future__ import annotations

from typing import NamedTuple


class GoshfileError(Exception):
    """Base of every error goshfile raises on purpose."""


class InputError(GoshfileError):
    """Bad input: a goshfile, an option or a value given by the user."""


class Problem(NamedTuple):
    """One problem found in a file, with its position (1-based line and column).

    A named tuple, not a frozen dataclass: this module is on every command's start-up path, and a
    dataclass's generated methods take about 0.5 ms to compile there.
    """

    file: str
    line: int
    column: int
    path: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:{self.column}"
        return f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"


class SpecError(InputError):
    """A goshfile is invalid; carries every problem found, in file order."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(problems, key=lambda p: (p.line, p.column, p.path))
        super().__init__("\n".join(str(p) for p in self.problems))


class VerificationError(GoshfileError):
    """A verification ran and failed (signature, digest, content)."""


class EngineError(GoshfileError):
    """BuildKit, Docker or another external system failed or could not be reached."""

"""``goshfile lint``: check a goshfile without building, and say what a build would still need."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from goshfile.errors import Problem, SpecError
from goshfile.spec import load_text
from goshfile.spec.loader import read_goshfile as read_bounded_goshfile

SYNTAX_LINE = re.compile(r"^#\s*syntax\s*=\s*(docker\.io/)?teamgosh/goshfile(:[\w.-]+)?(@sha256:[0-9a-f]{64})?\s*$")


@dataclass(frozen=True)
class LintReport:
    """What lint found: ``problems`` make the file unusable, ``warnings`` are worth a look."""

    file: str
    steps: int
    problems: list[Problem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Whether the file has no problems."""
        return not self.problems


def read_goshfile(path: str) -> str:
    """The text of the goshfile ``path``, bounded in size and kind (InputError); SpecError for bytes not UTF-8."""
    return read_bounded_goshfile(Path(path), path)


def lint(path: str, build_args: dict[str, str] | None = None) -> LintReport:
    """Check ``path``; with ``build_args`` also their substitution (required args must then be given).

    Without build args, each required arg (declared ``null``) is a warning: a build needs it.
    """
    try:
        text = read_goshfile(path)
        loaded = load_text(text, path, build_args)
    except SpecError as exc:
        return LintReport(path, 0, exc.problems)
    warnings = list(loaded.warnings)
    if build_args is None:
        for name, default in loaded.spec.args.items():
            if default is None:
                where = loaded.document.problem(("args", name), "", at_key=True)
                warnings.append(
                    f"{where.file}:{where.line}:{where.column}: build arg {name} has no default: "
                    f"a build needs --build-arg {name}=..."
                )
    first = text.splitlines()[0].strip() if text.strip() else ""
    if not SYNTAX_LINE.match(first):
        warnings.append(
            f"{path}:1: the first line is not '# syntax=teamgosh/goshfile': plain 'docker buildx build' "
            "will read the file as a Dockerfile (goshfile build works either way)"
        )
    return LintReport(path, len(loaded.spec.steps), [], warnings)

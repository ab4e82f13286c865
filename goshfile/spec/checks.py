"""Checks of field values that the build relies on, so that a goshfile that lints also converts.

The model checks types and shapes; these check what BuildKit will make of a value
(the base image must be a valid reference; a ``chown`` owner becomes a 32-bit id or
a name looked up in the image's ``/etc/passwd``). Each problem is positioned on the field.
"""

from __future__ import annotations

import re

from goshfile.errors import InputError, Problem
from goshfile.images import reference
from goshfile.spec.document import Document
from goshfile.spec.model import MAX_ID, Goshfile

_ID = re.compile(r"[0-9]+")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]{0,255}\$?")


def owner_problem(part: str, kind: str) -> str | None:
    """Why ``part`` cannot be a user or group (``kind``) of ``chown``; None when it can."""
    if not part:
        return f"the {kind} is empty"
    if _ID.fullmatch(part):
        return None if int(part) <= MAX_ID else f"{kind} id {part} is out of range (0 to {MAX_ID})"
    if part.isdigit() or any(c.isdigit() and not c.isascii() for c in part):
        return f"{kind} {part!r} has digits other than 0-9"
    if not _NAME.fullmatch(part):
        return (
            f"{kind} {part!r} is neither an id (0 to {MAX_ID}) nor a name of letters, digits, "
            "'_', '.' and '-' starting with a letter or '_'"
        )
    return None


def check_values(doc: Document, spec: Goshfile, problems: list[Problem]) -> None:
    """Append a problem for each value the build could not use."""
    if spec.image != "scratch" and "${" not in spec.image:  # a build arg left for the build to fill in
        try:
            reference.parse(spec.image)
        except InputError as exc:
            problems.append(doc.problem(("image",), str(exc)))
    for i, step in enumerate(spec.steps):
        copy = step.copy_
        if copy is None or copy.chown is None:
            continue
        user, sep, group = copy.chown.partition(":")
        for part, kind in ((user, "user"), *(((group, "group"),) if sep else ())):
            message = owner_problem(part, kind)
            if message is not None:
                problems.append(doc.problem(("steps", i, "copy", "chown"), f"{message} (chown is USER[:GROUP])"))
                break

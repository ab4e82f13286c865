"""Keep secret keys out of the CLI's messages.

A wallet secret is 64 hex characters, like a public key. Typed in the wrong place it
must not be printed back: click's usage errors ("Got unexpected extra argument (...)")
are shown with every 64-hex run hidden, and the one error handler hides, in every
error line, each 64-hex value that was typed on this command line (a digest written
``sha256:<hex>`` is not hidden). While a command runs, standard error is filtered the same
way (notes such as "wrote a key pair to PATH" repeat what was typed), and standard output
hides each typed value that is the secret of a key this machine knows (a result line naming
the image typed); binary output (LLB) is passed as it is.
"""

from __future__ import annotations

import contextlib
import io
import sys
from collections.abc import Iterator
from typing import TextIO

import click

from goshfile.secrets import hex_tokens, redact


def typed_tokens(argv: list[str]) -> set[str]:
    """The 64-hex values anywhere in the command line (``--opt=VALUE``, ``0:<hex>``, ``K=V`` included)."""
    found: set[str] = set()
    for arg in argv:
        found |= hex_tokens(arg)
    return found


def usage_error(exc: click.ClickException) -> str:
    """What click would print for ``exc`` (usage line, hint, message), with every 64-hex run hidden."""
    buffer = io.StringIO()
    exc.show(file=buffer)
    return redact(buffer.getvalue())


def error_line(text: str, typed: set[str]) -> str:
    """``text`` with the 64-hex values typed on the command line hidden."""
    return redact(text, typed) if typed else text


class _Hiding(io.TextIOBase):
    """A text stream that writes to ``target`` with the ``typed`` values hidden."""

    def __init__(self, target: TextIO, typed: set[str]) -> None:
        self._target = target
        self._typed = typed

    def write(self, text: str) -> int:
        self._target.write(error_line(text, self._typed))
        return len(text)

    def flush(self) -> None:
        self._target.flush()

    def isatty(self) -> bool:
        return self._target.isatty()

    @property
    def buffer(self) -> object:
        """The binary stream underneath (binary output, such as LLB, is not filtered)."""
        return self._target.buffer

    def fileno(self) -> int:
        return self._target.fileno()

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return getattr(self._target, "encoding", "utf-8")


@contextlib.contextmanager
def hiding(typed: set[str]) -> Iterator[None]:
    """Filter text while the block runs: on stderr every 64-hex value typed, on stdout (results) only
    those that are the secret of a key this machine knows (a public key typed may be a result)."""
    if not typed:
        yield
        return
    from goshfile.keys.sources import secret_of_known_key  # only when 64 hex was typed: keeps start-up light

    secrets = {t for t in typed if len(t) == 64 and secret_of_known_key(t) is not None}
    out, err = sys.stdout, sys.stderr
    sys.stderr = _Hiding(err, typed)
    if secrets:
        sys.stdout = _Hiding(out, secrets)
    try:
        yield
    finally:
        sys.stdout, sys.stderr = out, err

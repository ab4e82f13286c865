"""Names that look like secrets, which goshfile refuses to carry into an image.

Build args, labels and environment values are stored in the image config and
its history, where anyone who pulls the image can read them. A wallet secret
passed that way would be published; goshfile refuses such names outright.
"""

from __future__ import annotations

import re

# Patterns used by some commands only are kept as text: re compiles (and caches) them on first use.
_SECRET_NAME = r"secret|passw(or)?d|private[_.-]?key|(^|[_.-])token($|[_.-])"


def looks_secret(name: str) -> bool:
    """True when ``name`` (a build arg, opt or label key) looks like it holds a secret."""
    return bool(re.search(_SECRET_NAME, name, re.IGNORECASE))


REFUSAL = (
    "looks like a secret; goshfile refuses secrets as build args, opts or labels because "
    "they would be stored in the image where anyone can read them "
    "(sign images with 'goshfile sign' instead)"
)


HEX64 = re.compile(r"(?<![0-9A-Fa-f])(?<!sha256:)[0-9a-fA-F]{64,}(?![0-9A-Fa-f])")
"""A run of 64 or more hex digits (a wallet secret, maybe mistyped), unless written as a ``sha256:`` digest."""
HIDDEN = "<64 hex, not shown>"


def hex_tokens(text: str) -> set[str]:
    """The runs of 64 or more hex digits in ``text``, in lower case."""
    return {m.group().lower() for m in HEX64.finditer(text)}


def redact(text: str, only: set[str] | None = None) -> str:
    """``text`` with every :data:`HEX64` run (or only those in ``only``, in lower case) replaced by a marker."""
    return HEX64.sub(lambda m: HIDDEN if only is None or m.group().lower() in only else m.group(), text)

"""Names that look like secrets, which goshfile refuses to carry into an image.

Build args, labels and environment values are stored in the image config and
its history, where anyone who pulls the image can read them. A wallet secret
passed that way would be published; goshfile refuses such names outright.
"""

from __future__ import annotations

import re

_SECRET_NAME = re.compile(r"secret|passw(or)?d|private[_.-]?key|(^|[_.-])token($|[_.-])", re.IGNORECASE)


def looks_secret(name: str) -> bool:
    """True when ``name`` (a build arg, opt or label key) looks like it holds a secret."""
    return bool(_SECRET_NAME.search(name))


REFUSAL = (
    "looks like a secret; goshfile refuses secrets as build args, opts or labels because "
    "they would be stored in the image where anyone can read them "
    "(sign images with 'goshfile sign' instead)"
)

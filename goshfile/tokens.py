"""The node token: the shared secret that authorizes writes to a node (git pushes, and deployments when required).

The node reads it from a file (``goshfile node serve --token-file``) or ``$GOSHFILE_NODE_TOKEN``;
clients (``sign -n http://…``, ``git push`` through git-remote-gosh) from ``$GOSHFILE_NODE_TOKEN``
or the file named by ``$GOSHFILE_NODE_TOKEN_FILE``. It travels only in the ``Authorization``
header, never in a URL, a log line or an error message. ``goshfile node new-token FILE`` makes one.
"""

from __future__ import annotations

import os
import re
import secrets
import stat
from pathlib import Path

from goshfile.errors import InputError

ENV_TOKEN = "GOSHFILE_NODE_TOKEN"
ENV_TOKEN_FILE = "GOSHFILE_NODE_TOKEN_FILE"
MIN_LENGTH = 16
MAX_FILE_BYTES = 4096
_TOKEN = re.compile(r"[\x21-\x7e]+")  # visible ASCII: fits a header, no spaces


def check_token(text: str, origin: str) -> str:
    """``text`` stripped, when it can be a token (16 to 1024 visible ASCII characters); InputError otherwise."""
    value = text.strip()
    if not _TOKEN.fullmatch(value) or not MIN_LENGTH <= len(value) <= 1024:
        raise InputError(
            f"the node token from {origin} must be {MIN_LENGTH} to 1024 visible ASCII characters without spaces "
            "(make one with 'goshfile node new-token FILE')"
        )
    return value


def read_token_file(path: Path) -> str:
    """The token in ``path`` (a regular file of at most 4 KiB)."""
    try:
        info = path.stat()
    except OSError as exc:
        raise InputError(f"cannot read the token file {path}: {exc.strerror or exc}") from None
    if not stat.S_ISREG(info.st_mode):
        raise InputError(f"the token file {path} is not a regular file")
    if info.st_size > MAX_FILE_BYTES:
        raise InputError(f"the token file {path} is {info.st_size} bytes; a token file holds one short line")
    try:
        text = path.read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or "it is not ASCII"
        raise InputError(f"cannot read the token file {path}: {reason}") from None
    return check_token(text, str(path))


def token_from_env() -> str | None:
    """The client's token: ``$GOSHFILE_NODE_TOKEN``, else the file ``$GOSHFILE_NODE_TOKEN_FILE``, else None."""
    value = os.environ.get(ENV_TOKEN, "")
    if value.strip():
        return check_token(value, f"${ENV_TOKEN}")
    path = os.environ.get(ENV_TOKEN_FILE, "")
    return read_token_file(Path(path).expanduser()) if path.strip() else None


def write_new_token(path: Path) -> None:
    """Write a fresh random token (256 bits, hex) to a new file readable only by its owner."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise InputError(f"{path} exists; a new token goes to a new file") from None
    except OSError as exc:
        raise InputError(f"cannot create {path}: {exc.strerror or exc}") from None
    with os.fdopen(fd, "w", encoding="ascii") as out:
        out.write(secrets.token_hex(32) + "\n")

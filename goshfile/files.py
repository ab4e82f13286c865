"""Read a small input file (a goshfile, a key file) with bounds on its size and kind.

A path given by the user may name a folder, a device (``/dev/zero`` never ends), a FIFO
(reading blocks until someone writes) or a socket. :func:`read_small_file` names each in
one :class:`~goshfile.errors.InputError` instead of reading without limit or hanging.

>>> data, info = read_small_file(Path("wallet.json"), limit=1 << 16, what="key file")
"""

from __future__ import annotations

import os
import stat
from typing import TYPE_CHECKING

from goshfile.errors import InputError

if TYPE_CHECKING:  # paths are only passed to os: the frontend need not load pathlib
    from pathlib import Path

_KINDS = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISSOCK, "a socket"),
)


def kind_of(mode: int) -> str:
    """What a file mode names, in words: ``a folder``, ``a FIFO (named pipe)``, ``a regular file``..."""
    for test, name in _KINDS:
        if test(mode):
            return name
    return "a regular file" if stat.S_ISREG(mode) else "not a regular file"


def read_small_file(path: Path, *, limit: int, what: str) -> tuple[bytes, os.stat_result]:
    """The bytes of regular file ``path`` (at most ``limit``) and its status; InputError otherwise.

    ``what`` names the input in messages (``key file``; empty: the path alone). The file is opened
    without blocking (a FIFO is refused, not waited on) and read at most ``limit + 1`` bytes
    far, so a file that grows or never ends is refused as too large.
    """
    where = f"{what} {path}" if what else str(path)
    try:
        info = os.stat(path)
        if not stat.S_ISREG(info.st_mode):
            raise InputError(f"{where}: is {kind_of(info.st_mode)}, not a regular file")
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError as exc:
        raise InputError(f"{where}: no such file") from exc
    except NotADirectoryError as exc:
        raise InputError(f"{where}: a part of the path is not a folder") from exc
    except PermissionError as exc:
        raise InputError(f"{where}: permission denied") from exc
    except OSError as exc:
        raise InputError(f"{where}: {exc.strerror or exc}") from exc
    try:
        info = os.fstat(fd)  # the file opened, not what the path named a moment before
        if not stat.S_ISREG(info.st_mode):
            raise InputError(f"{where}: is {kind_of(info.st_mode)}, not a regular file")
        chunks: list[bytes] = []
        total = 0
        while total <= limit:
            chunk = os.read(fd, min(1 << 16, limit + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
    except OSError as exc:
        raise InputError(f"{where}: {exc.strerror or exc}") from exc
    finally:
        os.close(fd)
    if total > limit:
        raise InputError(
            f"{where}: larger than {limit:,} bytes (the most {'a ' + what if what else 'such a file'} may be)"
        )
    return b"".join(chunks), info

"""Run a command on a pseudo-terminal: show what it draws, and keep the end of it as text.

On a terminal, buildx draws its progress in place (cursor moves, colours), which it does
only when its stderr is a terminal. Passing our own terminal through would leave nothing to
read back, so a build that failed on a known race (:mod:`goshfile.engine.races`) could not
be told from any other failure. Here the command gets a pseudo-terminal of the same size as
ours, and everything it writes there is copied to our terminal as it comes and kept (its
last ``tail`` bytes), with the terminal's control sequences taken out of the kept copy.
"""

from __future__ import annotations

import fcntl
import os
import re
import signal
import subprocess
import termios
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_CHUNK = 1 << 16
# CSI (colours, cursor moves, erasing), OSC (titles), and two-character escapes
_CONTROL = r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]"


def plain(drawn: str) -> str:
    """What a terminal's output says, as lines: control sequences removed, CR-LF and lone CRs as newlines."""
    return re.sub(_CONTROL, "", drawn).replace("\r\n", "\n").replace("\r", "\n")


def run_on_terminal(cmd: list[str], terminal_fd: int, tail: int) -> tuple[int, str]:
    """Run ``cmd`` with stdin from /dev/null, stdout discarded, stderr on a pseudo-terminal.

    What it draws is copied to ``terminal_fd`` as it comes. Returns its exit status and the
    last ``tail`` bytes it drew, as :func:`plain` text.
    """
    leader, follower = os.openpty()
    kept = bytearray()
    try:
        _copy_size(terminal_fd, leader)  # the size set on the leader side is the follower's
        _pass_output_through(follower)
        null = subprocess.DEVNULL
        with (
            _following_size(terminal_fd, leader),
            subprocess.Popen(cmd, stdin=null, stdout=null, stderr=follower) as proc,
        ):
            os.close(follower)
            follower = -1
            while chunk := _read(leader):
                _write_all(terminal_fd, chunk)
                kept += chunk
                del kept[: max(0, len(kept) - tail)]
    finally:
        os.close(leader)
        if follower >= 0:
            os.close(follower)
    return proc.returncode, plain(kept.decode(errors="replace"))


def _read(fd: int) -> bytes:
    """The next chunk, or b"" once every writer has closed the terminal (Linux says so with EIO)."""
    try:
        return os.read(fd, _CHUNK)
    except OSError:
        return b""


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        try:
            view = view[os.write(fd, view) :]
        except OSError:  # our terminal went away: keep reading, so the command is not blocked on a full buffer
            return


def _pass_output_through(fd: int) -> None:
    """No output processing on this terminal (no LF to CR LF): our own terminal does it once."""
    attributes = termios.tcgetattr(fd)
    attributes[1] &= ~termios.OPOST
    termios.tcsetattr(fd, termios.TCSANOW, attributes)


def _copy_size(source_fd: int, target_fd: int) -> None:
    """Give ``target_fd``'s terminal the rows and columns of ``source_fd``'s (nothing when that is not one)."""
    try:
        size = fcntl.ioctl(source_fd, termios.TIOCGWINSZ, b"\0" * 8)
        fcntl.ioctl(target_fd, termios.TIOCSWINSZ, size)
    except OSError:
        pass


@contextmanager
def _following_size(source_fd: int, target_fd: int) -> Iterator[None]:
    """While the block runs, give the pseudo-terminal our terminal's new size when ours is resized.

    Only the main thread can take a signal; elsewhere the size stays the one copied at the start.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGWINCH, lambda signum, frame: _copy_size(source_fd, target_fd))
    try:
        yield
    finally:
        signal.signal(signal.SIGWINCH, previous if previous is not None else signal.SIG_DFL)

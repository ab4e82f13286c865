"""Run a command on a pseudo-terminal: show what it draws, and keep the end of it as text.

On a terminal, buildx draws its progress in place (cursor moves, colours), which it does
only when its stderr is a terminal. Passing our own terminal through would leave nothing to
read back, so a build that failed on a known race (:mod:`goshfile.engine.races`) could not
be told from any other failure. Here the command gets a pseudo-terminal of the same size as
ours (resized with ours), and everything it writes there is copied to our terminal as it
comes and kept (its last ``tail`` bytes), with the terminal's control sequences taken out of
the kept copy.

Ctrl-C reaches the command as before (it is in our process group on our terminal). What it
draws while it stops is still copied, for up to :data:`INTERRUPTED_GRACE` seconds (a second
Ctrl-C stops at once); then the command is killed if it still runs, and the terminal's
colours and cursor are reset in case a frame was cut.
"""

from __future__ import annotations

import errno
import fcntl
import os
import re
import select
import signal
import subprocess
import termios
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress

INTERRUPTED_GRACE = 2.0  # seconds to keep copying what the command draws after Ctrl-C
_CHUNK = 1 << 16
_AFTER_EXIT = 0.1  # once the command has exited: how long a quiet terminal is waited on (a child of it may hold it)
_RESET = b"\x1b[0m\x1b[?25h"  # default colours, cursor shown
# CSI (colours, cursor moves, erasing), OSC (titles), then any other escape (ESC 7, ESC ( B, ESC =)
_CONTROL = r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[ -/]*[0-~]"
_Show = Callable[[bytes], None]  # copies a chunk to our terminal and keeps it


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

    def show(chunk: bytes) -> None:
        _write_all(terminal_fd, chunk)
        kept.extend(chunk)
        del kept[: max(0, len(kept) - tail)]

    try:
        _copy_size(terminal_fd, leader)  # the size set on the leader side is the follower's
        _pass_output_through(follower)
        null = subprocess.DEVNULL
        with (
            _following_size(terminal_fd, leader),
            subprocess.Popen(cmd, stdin=null, stdout=null, stderr=follower) as proc,
        ):
            fd, follower = follower, -1
            os.close(fd)
            try:
                _copy_until_done(leader, proc, show, deadline=None)
            except KeyboardInterrupt:
                _stop(leader, proc, show, terminal_fd)
                raise
    finally:
        os.close(leader)
        if follower >= 0:
            os.close(follower)
    return proc.returncode, plain(kept.decode(errors="replace"))


def _copy_until_done(leader: int, proc: subprocess.Popen[bytes], show: _Show, deadline: float | None) -> None:
    """Copy until every writer has closed the terminal, or the command has exited and it stays quiet."""
    while deadline is None or time.monotonic() < deadline:
        if select.select([leader], [], [], _AFTER_EXIT)[0]:
            chunk = _read(leader)
            if not chunk:
                return
            show(chunk)
        elif proc.poll() is not None:
            return


def _stop(leader: int, proc: subprocess.Popen[bytes], show: _Show, terminal_fd: int) -> None:
    """After Ctrl-C: show what the command draws while it stops, for a while; kill it if it still runs."""
    with suppress(KeyboardInterrupt):  # a second Ctrl-C: stop copying at once
        _copy_until_done(leader, proc, show, deadline=time.monotonic() + INTERRUPTED_GRACE)
    if proc.poll() is None:
        proc.kill()
    _write_all(terminal_fd, _RESET)


def _read(fd: int) -> bytes:
    """The next chunk, or b"" once every writer has closed the terminal (Linux says so with EIO)."""
    try:
        return os.read(fd, _CHUNK)
    except OSError as exc:
        if exc.errno == errno.EIO:
            return b""
        raise


def _write_all(fd: int, data: bytes) -> None:
    """Write all of ``data``, waiting while ``fd`` is full; drop it if ``fd`` is gone (the command is not stalled)."""
    view = memoryview(data)
    while view:
        try:
            view = view[os.write(fd, view) :]
        except BlockingIOError:
            select.select([], [fd], [])
        except OSError:  # our terminal went away (EIO, EPIPE, EBADF): keep reading, show nothing
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

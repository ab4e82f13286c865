"""A command run on a pseudo-terminal: it sees a terminal of our size, we see what it draws and keep its end."""

from __future__ import annotations

import fcntl
import os
import signal
import struct
import sys
import termios
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from goshfile.engine.terminal import plain, run_on_terminal


@pytest.fixture
def terminal() -> Iterator[tuple[int, int]]:
    """A pseudo-terminal standing for ours, 33 rows by 111 columns: (the side we write to, the side to read)."""
    leader, follower = os.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 33, 111, 0, 0))
    yield follower, leader
    os.close(leader)
    os.close(follower)


def shown(leader: int) -> str:
    """What was drawn on the test's terminal so far."""
    os.set_blocking(leader, False)
    out = bytearray()
    while True:
        try:
            chunk = os.read(leader, 1 << 16)
        except (BlockingIOError, OSError):
            break
        if not chunk:
            break
        out += chunk
    return out.decode(errors="replace")


def test_plain_text_of_what_a_terminal_drew() -> None:
    drawn = "\x1b]0;title\x07\x1b[2K\x1b[1A\x1b[31mERROR:\x1b[0m failed\r\n#1 step 0.1s\r#1 step 0.2s\r\nend"
    assert plain(drawn) == "ERROR: failed\n#1 step 0.1s\n#1 step 0.2s\nend"


def test_the_command_draws_on_a_terminal_of_our_size(terminal: tuple[int, int]) -> None:
    ours, leader = terminal
    code = (
        "import os, sys\n"
        "size = os.get_terminal_size(2)\n"
        "sys.stderr.write(f'tty={os.isatty(2)} stdin-tty={os.isatty(0)} {size.lines}x{size.columns}\\n')\n"
        "sys.stderr.write('\\x1b[32mgreen\\x1b[0m\\n')\n"
        "print('to stdout')\n"
        "sys.exit(3)\n"
    )
    status, kept = run_on_terminal([sys.executable, "-c", code], ours, tail=4096)
    assert status == 3
    assert kept == "tty=True stdin-tty=False 33x111\ngreen\n"  # stdout is not the terminal's
    drawn = shown(leader)
    assert "\x1b[32mgreen\x1b[0m" in drawn and "to stdout" not in drawn  # drawn as written, colours and all


def test_the_command_follows_when_our_terminal_is_resized(terminal: tuple[int, int]) -> None:
    ours, _ = terminal
    code = (
        "import os, sys, time\n"
        "deadline = time.monotonic() + 10\n"
        "while os.get_terminal_size(2).columns == 111 and time.monotonic() < deadline:\n"
        "    time.sleep(0.02)\n"
        "size = os.get_terminal_size(2)\n"
        "sys.stderr.write(f'{size.lines}x{size.columns}\\n')\n"
    )

    def resize() -> None:  # as a terminal does: new size, then SIGWINCH to us
        fcntl.ioctl(ours, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 90, 0, 0))
        os.kill(os.getpid(), signal.SIGWINCH)

    timer = threading.Timer(0.2, resize)
    timer.start()
    status, kept = run_on_terminal([sys.executable, "-c", code], ours, tail=4096)
    timer.join()
    assert (status, kept) == (0, "40x90\n")
    assert signal.getsignal(signal.SIGWINCH) in (signal.SIG_DFL, None)  # our handler is gone afterwards


def test_all_is_shown_and_only_the_tail_kept(tmp_path: Path) -> None:
    # shown to a file here (not a terminal: its size is not copied), which holds all 2,000 lines
    code = "import sys\nfor i in range(2000):\n    sys.stderr.write(f'line {i}\\n')\n"
    with (tmp_path / "shown").open("wb") as out:
        status, kept = run_on_terminal([sys.executable, "-c", code], out.fileno(), tail=100)
    assert status == 0
    assert kept.endswith("line 1999\n") and "line 0\n" not in kept and len(kept) <= 100
    lines = (tmp_path / "shown").read_bytes().split(b"\n")  # as written: our own terminal adds the CRs
    assert lines[0] == b"line 0" and lines[1999] == b"line 1999" and lines[2000:] == [b""]


def test_a_command_that_cannot_start_leaves_no_descriptor_open(terminal: tuple[int, int]) -> None:
    ours, _ = terminal
    before = set(os.listdir("/proc/self/fd"))
    with pytest.raises(FileNotFoundError):
        run_on_terminal(["/nonexistent/docker"], ours, tail=100)
    assert set(os.listdir("/proc/self/fd")) == before

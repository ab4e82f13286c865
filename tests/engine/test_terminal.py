"""A command run on a pseudo-terminal: it sees a terminal of our size, we see what it draws and keep its end."""

from __future__ import annotations

import fcntl
import os
import signal
import struct
import sys
import termios
import threading
import time
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


def test_the_command_follows_when_our_terminal_is_resized(terminal: tuple[int, int], tmp_path: Path) -> None:
    ours, _ = terminal
    ready = tmp_path / "ready"
    code = (
        "import os, sys, time\n"
        f"open({str(ready)!r}, 'w').close()\n"
        "deadline = time.monotonic() + 20\n"
        "while os.get_terminal_size(2).columns == 111 and time.monotonic() < deadline:\n"
        "    time.sleep(0.02)\n"
        "size = os.get_terminal_size(2)\n"
        "sys.stderr.write(f'{size.lines}x{size.columns}\\n')\n"
    )

    def resize() -> None:  # once the command runs, as a terminal does: new size, then SIGWINCH to us
        deadline = time.monotonic() + 20
        while not ready.exists() and time.monotonic() < deadline:
            time.sleep(0.02)
        fcntl.ioctl(ours, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 90, 0, 0))
        os.kill(os.getpid(), signal.SIGWINCH)

    resizer = threading.Thread(target=resize)
    resizer.start()
    try:
        status, kept = run_on_terminal([sys.executable, "-c", code], ours, tail=4096)
    finally:
        resizer.join()
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


def test_ctrl_c_shows_the_command_stopping_then_kills_it(tmp_path: Path) -> None:
    ready, shown_file = tmp_path / "ready", tmp_path / "shown"
    code = (
        "import os, sys, time\n"
        f"open({str(ready)!r}, 'w').write(str(os.getpid()))\n"
        "for i in range(400):\n"
        "    sys.stderr.write(f'tick {i}\\n'); sys.stderr.flush(); time.sleep(0.05)\n"
    )

    def interrupt() -> None:  # as Ctrl-C does to us (the command, not in our test's group here, goes on)
        while not ready.exists() or not ready.read_text():
            time.sleep(0.02)
        time.sleep(0.2)
        os.kill(os.getpid(), signal.SIGINT)

    interrupter = threading.Thread(target=interrupt)
    interrupter.start()
    try:
        with shown_file.open("wb") as out, pytest.raises(KeyboardInterrupt):
            run_on_terminal([sys.executable, "-c", code], out.fileno(), tail=4096)
    finally:
        interrupter.join()
    with pytest.raises(ProcessLookupError):  # killed after the grace period, and reaped
        os.kill(int(ready.read_text()), 0)
    shown = shown_file.read_bytes()
    assert shown.endswith(b"\x1b[0m\x1b[?25h")  # colours and cursor reset, in case a frame was cut
    ticks = shown.count(b"tick ")
    assert 5 < ticks < 400  # what it drew after Ctrl-C was still shown, until it was killed


def test_a_child_left_behind_does_not_hold_the_command_open(tmp_path: Path) -> None:
    pid_file = tmp_path / "pid"
    cmd = ["/bin/sh", "-c", f"sleep 30 & echo $! > {pid_file}; echo done >&2"]
    with (tmp_path / "shown").open("wb") as out:
        status, kept = run_on_terminal(cmd, out.fileno(), tail=4096)
    pid = int(pid_file.read_text())
    try:  # still running (not a zombie), still holding the terminal: it was not waited for
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        assert state != "Z"
    finally:
        os.kill(pid, signal.SIGKILL)
    assert (status, kept) == (0, "done\n")


def test_a_slow_non_blocking_terminal_gets_everything(tmp_path: Path) -> None:
    reader, writer = os.pipe()
    os.set_blocking(writer, False)
    received = bytearray()

    def drain() -> None:
        while chunk := os.read(reader, 4096):
            received.extend(chunk)
            time.sleep(0.001)

    drainer = threading.Thread(target=drain)
    drainer.start()
    code = "import sys\nfor i in range(20000):\n    sys.stderr.write(f'line {i}\\n')\n"
    try:
        status, _ = run_on_terminal([sys.executable, "-c", code], writer, tail=100)
    finally:
        os.close(writer)
        drainer.join()
        os.close(reader)
    assert status == 0
    assert bytes(received) == b"".join(f"line {i}\n".encode() for i in range(20000))

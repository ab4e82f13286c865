"""``goshfile build`` drives docker buildx with the goshfile frontend."""

from __future__ import annotations

import fcntl
import os
import struct
import subprocess
import sys
import termios
import threading
from pathlib import Path

import docker
import pytest

from goshfile.cli.main import main
from goshfile.engine.terminal import plain
from tests.e2e.helpers import Images, image_run, write

GOSHFILE = str(Path(sys.executable).parent / "goshfile")

pytestmark = pytest.mark.docker


def test_goshfile_build_works_without_a_syntax_line(
    tmp_path: Path, images: Images, capsys: pytest.CaptureFixture[str]
) -> None:
    write(
        tmp_path,
        {
            "build.yaml": """apiVersion: 1
image: bash:latest
args: {WHO: nobody}
steps:
  - name: greet
    run: {command: [/usr/local/bin/bash, -c, "echo hi ${WHO} > /greeting.txt"]}
"""
        },
    )
    image = images.name("cli")
    key = "ab" * 32
    status = main(
        [
            "build",
            str(tmp_path),
            "-f",
            str(tmp_path / "build.yaml"),
            "-t",
            image,
            "--build-arg",
            "WHO=there",
            "--wallet-public",
            key,
            "--frontend-image",
            "teamgosh/goshfile:latest",
        ]
    )
    out = capsys.readouterr().out
    assert status == 0
    image_id = docker.from_env().images.get(image).id
    assert out.strip() == image_id
    assert image_run(image, "cat", "/greeting.txt") == "hi there\n"
    assert docker.from_env().images.get(image).attrs["Config"]["Labels"]["WALLET_PUBLIC"] == key


def test_goshfile_build_checks_the_goshfile_before_building(
    tmp_path: Path, images: Images, capsys: pytest.CaptureFixture[str]
) -> None:
    write(tmp_path, {"goshfile.yaml": "apiVersion: 2\nimage: bash:latest\n"})
    status = main(
        ["build", str(tmp_path), "-t", images.name("cli-bad"), "--frontend-image", "teamgosh/goshfile:latest"]
    )
    err = capsys.readouterr().err
    assert status == 2  # bad input
    assert f"{tmp_path / 'goshfile.yaml'}:1:13: apiVersion: must be 1" in err


def test_goshfile_build_reports_a_failed_build_as_one_line(
    tmp_path: Path, images: Images, capsys: pytest.CaptureFixture[str]
) -> None:
    write(
        tmp_path,
        {
            "goshfile.yaml": "apiVersion: 1\nimage: bash:latest\n"
            "steps:\n  - name: fail\n    run: {command: [/bin/false]}\n"
        },
    )
    status = main(
        ["build", str(tmp_path), "-t", images.name("cli-fail"), "--frontend-image", "teamgosh/goshfile:latest"]
    )
    err = capsys.readouterr().err
    assert status == 3  # the engine answered an error
    assert (
        err.strip().splitlines()[-1]
        == "goshfile: error: docker buildx build failed (exit status 1); see its output above"
    )


def test_quiet_prints_the_image_id_and_nothing_else(
    tmp_path: Path, images: Images, capsys: pytest.CaptureFixture[str]
) -> None:
    text = "apiVersion: 1\nimage: bash:latest\nsteps:\n  - name: s\n"
    write(tmp_path, {"goshfile.yaml": text + "    run: {command: [/usr/local/bin/bash, -c, 'echo x > /x']}\n"})
    image = images.name("quiet")
    argv = ["build", str(tmp_path), "-t", image, "--progress", "quiet", "--frontend-image", "teamgosh/goshfile:latest"]
    assert main(argv) == 0
    out, err = capsys.readouterr()
    assert out == docker.from_env().images.get(image).id + "\n"  # the final image, after the rewrite
    assert err == ""


def test_goshfile_build_on_a_terminal_shows_buildx_drawing_in_place(tmp_path: Path, images: Images) -> None:
    # goshfile's stderr is a terminal: buildx draws its progress in place, through goshfile's pseudo-terminal
    # (which reads the end back for the races: tests/engine/test_races.py)
    steps = 'steps:\n  - name: greet\n    run: {command: [/usr/local/bin/bash, -c, "echo hi"]}\n'
    write(tmp_path, {"goshfile.yaml": "apiVersion: 1\nimage: bash:latest\n" + steps})
    image = images.name("tty")
    leader, follower = os.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 123, 0, 0))
    drawn = bytearray()

    def read() -> None:
        while True:
            try:
                chunk = os.read(leader, 1 << 16)
            except OSError:
                return
            if not chunk:
                return
            drawn.extend(chunk)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    cmd = [GOSHFILE, "build", str(tmp_path), "-t", image, "--frontend-image", "teamgosh/goshfile:latest"]
    try:
        done = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=follower, timeout=300)
    finally:
        os.close(follower)
    reader.join(timeout=10)
    os.close(leader)
    text = drawn.decode(errors="replace")
    assert done.returncode == 0, text
    assert done.stdout.decode().strip() == docker.from_env().images.get(image).id
    assert "[+] Building" in text and "\x1b[" in text  # buildx's terminal display, cursor moves and all
    assert "[1/1] greet" in plain(text)
    # drawn for our terminal's width: buildx pads its header to one column less (80 columns would give 79)
    assert {len(line) for line in plain(text).splitlines() if line.startswith("[+] Building")} == {122}

"""README command 1's main job (scripts/demo.sh) end to end, in a private home."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.e2e.helpers import Images

pytestmark = pytest.mark.docker
ROOT = Path(__file__).resolve().parents[2]


def test_the_demo_builds_signs_and_verifies_by_rebuilding(tmp_path: Path, images: Images, registry: str) -> None:
    home = tmp_path / "home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WALLET_", "GOSH", "GIT_", "XDG_"))}
    env.update(
        HOME=str(home),
        GOSHFILE_HOME=str(home / "goshfile"),
        GOSHFILE_DEMO_IMAGE=images.name("demo-seed", registry),
        GOSHFILE_DEMO_APP_IMAGE=images.name("demo-app", registry),
    )
    done = subprocess.run(
        ["bash", "scripts/demo.sh"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=False
    )
    out = done.stdout + done.stderr
    assert done.returncode == 0, out
    assert "Hi there" in done.stdout  # the seed image's /message.txt
    assert "\ntrue\n" in done.stdout  # goshfile check
    assert done.stdout.count("verified: ") == 2
    assert "Hello from goshfile, built from GOSH with no network." in done.stdout
    assert "rebuild: reproduced bit for bit: the same image ID" in done.stdout
    assert (home / "goshfile").is_dir()  # the demo's key and ledger stayed in the private home

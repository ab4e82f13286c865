"""Helpers shared by the key, ledger and ledger-CLI tests: an isolated home, keys, worker processes."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from goshfile.keys import KeyPair

REPO = Path(__file__).resolve().parents[2]
# RFC 8032 section 7.1, TEST 1 and TEST 2: (secret, public)
ALICE = KeyPair.from_secret_hex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
BOB = KeyPair.from_secret_hex("4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb")
DIGEST = "sha256:" + "ab" * 32
OTHER_DIGEST = "sha256:" + "cd" * 32
ENV_NAMES = ("GOSH_NETWORK", "GOSH_CONFIG_PATH", "WALLET_SECRET", "WALLET_PUBLIC", "XDG_DATA_HOME", "XDG_CACHE_HOME")


def isolate(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """HOME and GOSHFILE_HOME in ``tmp_path``; no key, network or GOSH config from the outside."""
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("GOSHFILE_HOME", str(home / "goshfile"))
    for name in ENV_NAMES:
        monkeypatch.delenv(name, raising=False)
    return home


def digest(n: int) -> str:
    """A distinct, well-formed digest for ``n``."""
    return f"sha256:{n:064x}"


# A worker process: imports the library, says "ready", waits for "go" on stdin, then signs each
# content given in argv (or listed in the file @FILE) with the key in WORKER_SECRET (never on argv)
# against WORKER_TARGET, printing each address as soon as sign returns.
WORKER = """
import os, sys
from goshfile.keys import KeyPair
from goshfile.ledger import open_ledger
key = KeyPair.from_secret_hex(os.environ["WORKER_SECRET"])
ledger = open_ledger(os.environ["WORKER_TARGET"])
print("ready", flush=True)
sys.stdin.readline()
contents = sys.argv[1:]
if contents and contents[0].startswith("@"):  # @FILE: one content per line
    contents = open(contents[0][1:]).read().split()
for content in contents:
    print(ledger.sign(key, content).address, flush=True)
"""


@dataclass
class Worker:
    """A running worker process."""

    process: subprocess.Popen[str]

    def ready(self) -> None:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        assert line == "ready\n", f"worker did not start: {line!r} {self.stderr()}"

    def go(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write("go\n")
        self.process.stdin.flush()

    def addresses(self) -> list[str]:
        out, err = self.process.communicate(timeout=120)
        assert self.process.returncode == 0, f"worker failed: {err}"
        return out.split()

    def stderr(self) -> str:
        return self.process.stderr.read() if self.process.stderr and self.process.poll() is not None else ""


def start_worker(target: str, key: KeyPair, contents: list[str]) -> Worker:
    """Start a worker (see :data:`WORKER`) signing ``contents`` with ``key`` against ``target``."""
    env = {**os.environ, "WORKER_SECRET": key.reveal_secret(), "WORKER_TARGET": target}
    process = subprocess.Popen(
        [sys.executable, "-c", WORKER, *contents],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=REPO,
    )
    return Worker(process)


def run_concurrently(target: str, jobs: list[tuple[KeyPair, list[str]]]) -> list[list[str]]:
    """Run one worker per job, all released at once; return each worker's printed addresses."""
    workers = [start_worker(target, key, contents) for key, contents in jobs]
    for worker in workers:
        worker.ready()
    for worker in workers:
        worker.go()
    return [worker.addresses() for worker in workers]

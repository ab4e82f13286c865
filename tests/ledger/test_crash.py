"""A signer killed with SIGKILL in the middle of writing leaves the ledger consistent and usable."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from goshfile.keys import KeyPair
from goshfile.ledger import SqliteLedger, address
from tests.ledger.helpers import ALICE, REPO, digest, start_worker

ROUNDS = 3
ACKNOWLEDGED = 15  # proofs a round waits for before killing the signer
CONTENTS = 20_000  # far more than a signer writes before it is killed (seconds of work)


def test_kill_9_mid_write_keeps_the_ledger_consistent(tmp_path: Path) -> None:
    ledger = SqliteLedger(tmp_path / "ledger.db")
    acknowledged: list[str] = []
    for round_ in range(ROUNDS):
        contents = [digest(round_ * 10**7 + i) for i in range(CONTENTS)]
        listing = tmp_path / f"contents-{round_}"
        listing.write_text("\n".join(contents))
        worker = start_worker(str(ledger.path), ALICE, [f"@{listing}"])
        worker.ready()
        worker.go()
        stdout = worker.process.stdout
        assert stdout is not None
        lines = [stdout.readline().strip() for _ in range(ACKNOWLEDGED)]
        os.kill(worker.process.pid, signal.SIGKILL)  # while it is busy writing the next one
        worker.process.wait(timeout=30)
        assert worker.process.returncode == -signal.SIGKILL
        lines += stdout.read().split()  # what it printed before it died, unread so far
        assert lines == [address(ALICE.public_hex, c) for c in contents[: len(lines)]]
        acknowledged += lines

        report = ledger.verify_log()
        assert report.ok, report.broken
        stored = [r.proof.address for r in ledger.records()]
        assert set(acknowledged) <= set(stored)  # every proof a signer was told about is there
        assert len(stored) == len(set(stored))
        assert len(stored) - len(acknowledged) <= round_ + 1  # at most the one in flight per kill
        assert all(ledger.check(ALICE.public_hex, c) for c in contents[:ACKNOWLEDGED])

    # the killed writers left no lock behind: another signer writes at once
    fresh = KeyPair.generate()
    proof = ledger.sign(fresh, "after the crashes")
    assert proof.seq == ledger.head().seq and ledger.check(fresh.public_hex, "after the crashes")
    assert ledger.verify_log().ok


# A signer that stops inside its write transaction, after inserting the record and before the commit:
# HEAD_UPDATE (the statement after the INSERT) calls stall(), which says so and sleeps.
STALLING_SIGNER = """
import os, sys, time
from pathlib import Path
import goshfile.ledger.sqlite as store
from goshfile.keys import KeyPair

def stall():
    print("mid-write", flush=True)
    time.sleep(120)
    return 1

original = store.SqliteLedger._open
def _open(self):
    conn = original(self)
    conn.create_function("stall", 0, stall)
    return conn

store.SqliteLedger._open = _open
store.HEAD_UPDATE = "UPDATE meta SET value = ? WHERE key = ? AND stall()"
store.SqliteLedger(Path(sys.argv[1])).sign(KeyPair.from_secret_hex(os.environ["WORKER_SECRET"]), sys.argv[2])
"""


def test_kill_9_inside_the_write_transaction(tmp_path: Path) -> None:
    ledger = SqliteLedger(tmp_path / "ledger.db")
    before = [ledger.sign(ALICE, digest(i)).address for i in range(3)]
    ledger.close()
    env = {**os.environ, "WORKER_SECRET": ALICE.reveal_secret()}
    content = digest(99)
    process = subprocess.Popen(
        [sys.executable, "-c", STALLING_SIGNER, str(ledger.path), content],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=REPO,
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    assert line == "mid-write\n", process.stderr.read() if process.stderr else ""
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=30)

    assert [r.proof.address for r in ledger.records()] == before  # the half-written record is gone
    assert not ledger.check(ALICE.public_hex, content)
    assert ledger.verify_log().ok
    proof = ledger.sign(ALICE, content)  # the lock died with the process
    assert proof.seq == 4 and ledger.verify_log().ok

"""``goshfile node serve`` and ``goshfile node verify-log``."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from goshfile.cli.main import main
from goshfile.ledger import SqliteLedger, address, default_ledger_path
from goshfile.ledger.server import serving
from tests.ledger.helpers import ALICE, BOB, DIGEST, REPO, digest, isolate

SECRET = ALICE.reveal_secret()


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return isolate(tmp_path, monkeypatch)


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """``goshfile node serve`` on 127.0.0.1, a free port; yields the process and its URL."""
    process = subprocess.Popen(
        [sys.executable, "-m", "goshfile.cli.main", "node", "serve", "--listen", "127.0.0.1:0",
         "--node", str(tmp_path / "node")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO,
    )  # fmt: skip
    assert process.stdout is not None
    url = process.stdout.readline().strip()
    assert url.startswith("http://127.0.0.1:"), process.stderr.read() if process.stderr else ""
    yield process, url
    if process.poll() is None:
        process.kill()
        process.wait()


def test_serve_signs_checks_and_stops_on_sigterm(
    served: tuple[subprocess.Popen[str], str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    process, url = served
    assert run(capsys, "sign", "-n", url, SECRET, DIGEST) == (0, address(ALICE.public_hex, DIGEST) + "\n", "")
    assert run(capsys, "check", "-n", url, ALICE.public_hex, DIGEST)[:2] == (0, "true\n")
    code, out, _ = run(capsys, "node", "verify-log", "-n", url)
    assert code == 0 and out.startswith(f"node {url}: ok, 1 record, head ")
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=30)
    assert process.returncode == 0
    assert "goshfile node: serving" in err and "goshfile node: stopped" in err
    assert '"POST /v1/proofs HTTP/1.1" 201' in err  # requests are logged (without -q)
    assert "Traceback" not in err
    assert SqliteLedger(tmp_path / "node" / "ledger.db").check(ALICE.public_hex, DIGEST)


def test_serve_refuses_a_bad_listen_address(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "node", "serve", "--listen", "localhost")
    assert (code, out) == (2, "")  # bad input
    assert err == "goshfile: error: --listen 'localhost': expected HOST:PORT, e.g. 127.0.0.1:8750\n"


def test_serve_on_a_port_in_use(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with serving(tmp_path / "other.db") as other:
        port = other.server_address[1]
        code, _, err = run(capsys, "node", "serve", "--listen", f"127.0.0.1:{port}", "--ledger", str(tmp_path / "x.db"))
    assert code == 3 and err.startswith(f"goshfile: error: cannot listen on 127.0.0.1:{port}: ")


def test_verify_log_of_the_default_ledger(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "node", "verify-log")
    assert code == 0 and out == f"ledger {default_ledger_path()}: ok, 0 records, head {'0' * 64}\n"
    ledger = SqliteLedger(default_ledger_path())
    for i in range(3):
        ledger.sign(ALICE, digest(i))
    code, out, _ = run(capsys, "node", "verify-log")
    assert code == 0 and out == f"ledger {default_ledger_path()}: ok, 3 records, head {ledger.head().hash}\n"


def test_verify_log_reports_the_first_broken_record(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good, bad = SqliteLedger(tmp_path / "good.db"), SqliteLedger(tmp_path / "bad.db")
    for i in range(4):
        good.sign(BOB, digest(i))
        bad.sign(ALICE, digest(i))
    bad.close()
    with sqlite3.connect(bad.path, isolation_level=None) as conn:
        conn.execute("DROP TRIGGER proofs_no_update")
        conn.execute("UPDATE proofs SET content = 'other' WHERE seq IN (2, 3)")
    conn.close()
    code, out, err = run(capsys, "node", "verify-log", "-n", f"{good.path},{bad.path}")
    assert code == 1
    assert out.startswith(f"ledger {good.path}: ok, 4 records")
    assert err == (
        f"goshfile: error: ledger {bad.path}: record 2: its hash does not match its contents "
        "(it was changed after it was written)\n"
    )


def test_verify_log_of_an_unreachable_node(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "node", "verify-log", "-n", "http://127.0.0.1:1")
    assert (code, out) == (3, "") and "cannot reach the node http://127.0.0.1:1" in err  # could not check


def test_node_help_names_the_api_docs(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "node", "serve", "--help")
    assert code == 0 and "docs/ledger.md" in out and "--listen HOST:PORT" in out

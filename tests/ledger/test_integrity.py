"""``verify-log`` checks the file, not only the chain: a missing ledger fails, index bit flips are found."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from goshfile.errors import EngineError, InputError
from goshfile.ledger import SqliteLedger
from goshfile.ledger.contract import address
from tests.ledger.helpers import ALICE, digest

RECORDS = 40


def test_verify_log_of_a_missing_ledger_fails_and_creates_nothing(tmp_path: Path) -> None:
    for path in (tmp_path / "none.db", tmp_path / "no" / "folder" / "ledger.db"):
        with pytest.raises(InputError, match=f"there is no ledger at {path}"):
            SqliteLedger(path).verify_log()
        assert not path.exists()


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A ledger of RECORDS proofs, checkpointed into one file."""
    path = tmp_path_factory.mktemp("pristine") / "ledger.db"
    ledger = SqliteLedger(path)
    for i in range(RECORDS):
        ledger.sign(ALICE, digest(i))
    ledger.close()
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.execute("PRAGMA journal_mode = DELETE")
    conn.close()
    return path


def index_pages(path: Path) -> tuple[int, int, int]:
    """The byte range of the address index's root page, and the page size."""
    conn = sqlite3.connect(path)
    (root,) = conn.execute("SELECT rootpage FROM sqlite_master WHERE type = 'index' AND tbl_name = 'proofs'").fetchone()
    (size,) = conn.execute("PRAGMA page_size").fetchone()
    conn.close()
    return (root - 1) * size, root * size, size


def copy_of(pristine: Path, tmp_path: Path) -> Path:
    path = tmp_path / "ledger.db"
    shutil.copyfile(pristine, path)
    return path


def test_an_index_entry_pointing_elsewhere_is_found(pristine: Path, tmp_path: Path) -> None:
    path = copy_of(pristine, tmp_path)
    start, end, _ = index_pages(path)
    data = bytearray(path.read_bytes())
    target = address(ALICE.public_hex, digest(7)).encode()
    at = data.find(target, start, end)
    assert at > 0
    data[at + len(target) - 1] ^= 0x01  # one bit of the last hex digit: still text, now another address
    path.write_bytes(bytes(data))
    ledger = SqliteLedger(path)
    assert not ledger.check(ALICE.public_hex, digest(7))  # what a user would see
    report = ledger.verify_log()
    assert not report.ok and report.broken is not None
    assert "integrity check" in report.broken.reason or report.broken.seq == 8


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(offset=st.integers(min_value=0), bit=st.integers(min_value=0, max_value=7))
def test_a_bit_flip_in_the_index_never_leaves_verify_log_ok_while_check_fails(
    pristine: Path, tmp_path: Path, offset: int, bit: int
) -> None:
    path = copy_of(pristine, tmp_path)
    start, end, _ = index_pages(path)
    data = bytearray(path.read_bytes())
    data[start + offset % (end - start)] ^= 1 << bit
    path.write_bytes(bytes(data))
    ledger = SqliteLedger(path)
    try:
        every_check_holds = all(ledger.check(ALICE.public_hex, digest(i)) for i in range(RECORDS))
    except EngineError:  # the file is too damaged to be read at all: also a failure, not a false "ok"
        every_check_holds = False
    try:
        verified = ledger.verify_log().ok
    except EngineError:
        verified = False
    ledger.close()
    assert not (verified and not every_check_holds), "verify-log said ok while check answers false for a valid proof"

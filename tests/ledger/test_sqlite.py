"""The local ledger file: signing, checking, idempotence, forgeries, tampering and many writers at once."""

from __future__ import annotations

import re
import sqlite3
import threading
from pathlib import Path

import pytest

from goshfile.errors import EngineError, InputError, VerificationError
from goshfile.keys import KeyPair
from goshfile.ledger import Deployment, SqliteLedger, address, message
from goshfile.ledger.log import Record, record_hash
from goshfile.ledger.proof import GENESIS
from goshfile.ledger.sqlite import INSERT, row_values
from tests.ledger.helpers import ALICE, BOB, DIGEST, OTHER_DIGEST, digest, run_concurrently


@pytest.fixture
def ledger(tmp_path: Path) -> SqliteLedger:
    return SqliteLedger(tmp_path / "node" / "ledger.db")


def _raw(ledger: SqliteLedger) -> sqlite3.Connection:
    """A plain connection, as someone editing the file behind the ledger's back would use."""
    return sqlite3.connect(ledger.path, isolation_level=None)


def _tamper(ledger: SqliteLedger, *statements: str) -> None:
    ledger.close()
    with _raw(ledger) as conn:
        conn.execute("DROP TRIGGER proofs_no_update")
        conn.execute("DROP TRIGGER proofs_no_delete")
        for statement in statements:
            conn.execute(statement)
    conn.close()


def _fill(ledger: SqliteLedger, n: int = 4) -> list[str]:
    return [ledger.sign(ALICE, digest(i)).address for i in range(1, n + 1)]


def test_sign_then_check_and_get(ledger: SqliteLedger) -> None:
    proof = ledger.sign(ALICE, DIGEST, payer="cd" * 32)
    assert proof.address == address(ALICE.public_hex, DIGEST) == ledger.address(ALICE.public_hex, DIGEST)
    assert proof.seq == 1 and proof.payer == "0:" + "cd" * 32 and proof.verifies()
    assert ledger.check(ALICE.public_hex, DIGEST)
    assert ledger.get(ALICE.public_hex, DIGEST) == proof
    assert not ledger.check(BOB.public_hex, DIGEST)
    assert not ledger.check(ALICE.public_hex, OTHER_DIGEST)
    assert ledger.get(BOB.public_hex, DIGEST) is None


def test_signing_again_records_nothing_new(ledger: SqliteLedger) -> None:
    first = ledger.sign(ALICE, DIGEST)
    again = ledger.sign(ALICE, DIGEST, payer="ef" * 32)
    assert again == first  # same address, same record (the first payer stays)
    assert ledger.deploy(Deployment(ALICE.public_hex, DIGEST, first.signature))[1] is False
    second = ledger.sign(ALICE, OTHER_DIGEST)
    assert second.seq == 2
    assert ledger.head().seq == 2
    assert [r.proof.address for r in ledger.records()] == [first.address, second.address]


def test_reads_do_not_create_the_file(ledger: SqliteLedger) -> None:
    assert not ledger.check(ALICE.public_hex, DIGEST)
    assert ledger.get(ALICE.public_hex, DIGEST) is None
    assert ledger.records() == []
    with pytest.raises(InputError, match="there is no ledger at"):
        ledger.verify_log()
    assert not ledger.path.exists()


def test_a_deployment_signed_by_another_key_is_refused(ledger: SqliteLedger) -> None:
    forged = Deployment(ALICE.public_hex, DIGEST, BOB.sign(message(ALICE.public_hex, DIGEST)))
    with pytest.raises(VerificationError, match=r"does not verify .* nothing was recorded"):
        ledger.deploy(forged)
    with pytest.raises(VerificationError):
        ledger.deploy(Deployment(ALICE.public_hex, OTHER_DIGEST, ALICE.sign(message(ALICE.public_hex, DIGEST))))
    assert ledger.records() == []
    assert not ledger.check(ALICE.public_hex, DIGEST)


def _forge(ledger: SqliteLedger, content: str, key: KeyPair, signer: KeyPair) -> None:
    """Insert, behind the ledger's back, a well-chained record at ``key``'s address signed by ``signer``."""
    head = ledger.head()
    proof = ledger.sign(signer, "seed-" + content)._replace(  # any valid proof, to copy the shape from
        address=address(key.public_hex, content),
        public=key.public_hex,
        content=content,
        signature=signer.sign(message(key.public_hex, content)),
        seq=head.seq + 2,
    )
    prev = ledger.head().hash
    record = Record(proof, prev, record_hash(prev, proof))
    ledger.close()
    with _raw(ledger) as conn:
        conn.execute(INSERT, row_values(record))
        conn.execute("UPDATE meta SET value = ? WHERE key = 'head_seq'", (str(record.seq),))
        conn.execute("UPDATE meta SET value = ? WHERE key = 'head_hash'", (record.hash,))
    conn.close()


def test_a_forged_proof_at_the_right_address_does_not_check(ledger: SqliteLedger) -> None:
    """GOSH's check only looked for the account; ours checks the stored signature too."""
    _forge(ledger, DIGEST, ALICE, BOB)
    stored = ledger.get(ALICE.public_hex, DIGEST)
    assert stored is not None and stored.address == address(ALICE.public_hex, DIGEST)
    assert not ledger.check(ALICE.public_hex, DIGEST)
    report = ledger.verify_log()
    assert report.broken is not None and report.broken.seq == 2
    assert "does not verify" in report.broken.reason
    with pytest.raises(VerificationError, match="was tampered with"):
        ledger.sign(ALICE, DIGEST)  # the real owner signing finds the forgery, not a silent success


def test_the_log_is_append_only(ledger: SqliteLedger) -> None:
    _fill(ledger, 2)
    ledger.close()
    with _raw(ledger) as conn:
        for statement in ("UPDATE proofs SET content = 'x' WHERE seq = 1", "DELETE FROM proofs WHERE seq = 2"):
            with pytest.raises(sqlite3.IntegrityError, match="append-only"):
                conn.execute(statement)
    conn.close()
    assert ledger.verify_log().ok


def test_an_intact_log_verifies(ledger: SqliteLedger) -> None:
    _fill(ledger, 5)
    report = ledger.verify_log()
    assert report.ok and report.records == 5 and report.head == ledger.head()
    assert ledger.records()[0].prev == GENESIS


@pytest.mark.parametrize(
    ("statements", "seq", "reason"),
    [
        (["UPDATE proofs SET content = 'sha256:' || printf('%064x', 99) WHERE seq = 2"], 2, "hash does not match"),
        (["UPDATE proofs SET payer = '0:' || printf('%064x', 1) WHERE seq = 3"], 3, "hash does not match"),
        (["UPDATE proofs SET recorded_at = '2000-01-01T00:00:00.000000Z' WHERE seq = 1"], 1, "hash does not match"),
        (["UPDATE proofs SET prev = printf('%064x', 0) WHERE seq = 3"], 3, "does not chain to record 2"),
        (["DELETE FROM proofs WHERE seq = 2"], 2, "is missing \\(the next record is 3\\)"),
        (["DELETE FROM proofs WHERE seq = 4"], 4, "records removed"),
        (  # another first character, whatever the hash starts with
            [
                "UPDATE meta SET value = (CASE substr(value, 1, 1) WHEN 'f' THEN 'e' ELSE 'f' END) || substr(value, 2) "
                "WHERE key = 'head_hash'"
            ],
            4,
            "log was rewritten",
        ),
        (["UPDATE proofs SET signature = printf('%0128x', 0) WHERE seq = 2"], 2, "hash does not match"),
    ],
)
def test_tampering_is_found_at_the_first_broken_record(
    ledger: SqliteLedger, statements: list[str], seq: int, reason: str
) -> None:
    _fill(ledger)
    _tamper(ledger, *statements)
    report = ledger.verify_log()
    assert report.broken is not None, report
    assert report.broken.seq == seq
    assert report.records == (4 if "rewritten" in reason else seq - 1)
    assert re.search(reason, report.broken.reason), report.broken.reason


def test_a_rehashed_change_breaks_the_next_record(ledger: SqliteLedger) -> None:
    """Changing a record and recomputing its hash still breaks the chain at the record after it."""
    _fill(ledger)
    record = ledger.records(1, 1)[0]
    proof = record.proof._replace(recorded_at=record.proof.recorded_at.replace(year=2001))
    new_hash = record_hash(record.prev, proof)
    stamp = "2001" + row_values(record)[6][4:]
    _tamper(ledger, f"UPDATE proofs SET recorded_at = '{stamp}', hash = '{new_hash}' WHERE seq = 2")
    report = ledger.verify_log()
    assert report.broken is not None and report.broken.seq == 3
    assert "does not chain to record 2" in report.broken.reason


def test_a_database_that_is_not_a_ledger_is_refused(tmp_path: Path) -> None:
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE users (name TEXT)")
    conn.close()
    with pytest.raises(InputError, match="is an SQLite database but not a goshfile-ledger/1 ledger"):
        SqliteLedger(other).sign(ALICE, DIGEST)
    with sqlite3.connect(other) as conn:
        assert [row[0] for row in conn.execute("SELECT name FROM sqlite_master")] == ["users"]
    conn.close()
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"this is not a database at all" * 100)
    with pytest.raises(EngineError, match="cannot be used: file is not a database"):
        SqliteLedger(garbage).check(ALICE.public_hex, DIGEST)


def test_a_ledger_in_an_unwritable_place_is_an_engine_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(EngineError, match="cannot open the ledger"):
        SqliteLedger(blocker / "ledger.db").sign(ALICE, DIGEST)


def test_many_processes_signing_at_once_lose_and_duplicate_nothing(ledger: SqliteLedger) -> None:
    keys = [ALICE, BOB, ALICE, BOB, KeyPair.generate(), ALICE]
    shared = [digest(i) for i in range(10)]  # every worker signs these: one record per key
    jobs = [(key, [*shared, *(digest(1000 * (n + 1) + i) for i in range(15))]) for n, key in enumerate(keys)]
    results = run_concurrently(str(ledger.path), jobs)
    expected = {address(key.public_hex, content) for key, contents in jobs for content in contents}
    printed = [a for out in results for a in out]
    assert len(printed) == sum(len(contents) for _, contents in jobs)
    assert set(printed) == expected
    records = ledger.records()
    assert [r.seq for r in records] == list(range(1, len(expected) + 1))
    assert {r.proof.address for r in records} == expected  # nothing lost, nothing twice
    assert ledger.verify_log().ok


def _first_uses(path: Path, shared: bool, count: int = 12) -> list[BaseException]:
    """``count`` threads use a new ledger file at once: one instance (a node) or one each (processes)."""
    path.unlink(missing_ok=True)
    start = threading.Barrier(count)
    errors: list[BaseException] = []
    common = SqliteLedger(path)

    def use(ledger: SqliteLedger) -> None:
        start.wait()
        try:
            ledger.check(ALICE.public_hex, DIGEST)
        except BaseException as exc:  # collected for the assertion
            errors.append(exc)

    threads = [threading.Thread(target=use, args=(common if shared else SqliteLedger(path),)) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    common.close()
    return errors


@pytest.mark.parametrize("shared", [True, False], ids=["one instance", "one per thread"])
def test_many_first_uses_of_a_new_ledger_at_once_all_succeed(tmp_path: Path, shared: bool) -> None:
    """The first use switches the file to WAL mode; SQLite refuses that switch at once while another
    connection has the file open, so the switch must wait like any other write."""
    for _ in range(5):  # the race is between the first opens: repeat with a new file
        assert _first_uses(tmp_path / "fresh.db", shared) == []

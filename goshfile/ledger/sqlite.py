"""The local node's ledger: one SQLite file (WAL mode), safe for many processes and threads at once.

Every write is one ``BEGIN IMMEDIATE`` transaction with ``synchronous=FULL``: a proof that
:meth:`SqliteLedger.sign` returned survives a crash of the process or of the machine, and a
process killed in the middle of a write leaves nothing half-written. Records are only ever
appended (triggers refuse updates and deletes) and chain their hashes (:mod:`goshfile.ledger.log`).
Reads never create the file: checking against a ledger that does not exist yet finds nothing.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from goshfile.errors import EngineError, InputError, VerificationError
from goshfile.keys.keypair import parse_public
from goshfile.ledger import contract
from goshfile.ledger import proof as proofs
from goshfile.ledger.proof import GENESIS, Proof, format_time, parse_time
from goshfile.ledger.protocol import DeployingLedger, check_proof

if TYPE_CHECKING:
    from goshfile.ledger.log import Head, LogReport, Record
    from goshfile.ledger.protocol import Deployment

# The log's records (goshfile.ledger.log) are loaded by what writes or reads the log (sign, head,
# records, verify-log): check and addr read one proof and do without them.

FORMAT = "goshfile-ledger/1"
BUSY_TIMEOUT_MS = 60_000
COLUMNS = "seq, address, public, content, signature, payer, recorded_at, prev, hash"
SCHEMA = f"""
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS proofs (
    seq INTEGER PRIMARY KEY,
    address TEXT NOT NULL UNIQUE,
    public TEXT NOT NULL,
    content TEXT NOT NULL,
    signature TEXT NOT NULL,
    payer TEXT,
    recorded_at TEXT NOT NULL,
    prev TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE TRIGGER IF NOT EXISTS proofs_no_update BEFORE UPDATE ON proofs
    BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;
CREATE TRIGGER IF NOT EXISTS proofs_no_delete BEFORE DELETE ON proofs
    BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;
INSERT OR IGNORE INTO meta (key, value) VALUES ('format', '{FORMAT}'), ('contract', '{contract.CONTRACT}'),
    ('head_seq', '0'), ('head_hash', '{GENESIS}');
"""
INSERT = f"INSERT INTO proofs ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
HEAD_UPDATE = "UPDATE meta SET value = ? WHERE key = ?"


Row = tuple[int, str, str, str, str, str | None, str, str, str]
"""A row of ``proofs``, in :data:`COLUMNS` order."""


def row_values(record: Record) -> Row:
    """The column values of ``record`` in :data:`COLUMNS` order (for :data:`INSERT`)."""
    p = record.proof
    return (
        record.seq,
        p.address,
        p.public,
        p.content,
        p.signature.hex(),
        p.payer,
        format_time(p.recorded_at),
        record.prev,
        record.hash,
    )


def _proof(row: Row) -> Proof:
    seq, address, public, content, signature, payer, recorded_at = row[:7]
    try:
        stamp = parse_time(recorded_at)
        sig = bytes.fromhex(signature)
    except (InputError, ValueError, TypeError):
        stamp, sig = datetime.fromtimestamp(0, UTC), b""  # a damaged row: it will not verify
    return Proof(address, public, content, sig, stamp, payer, seq)


def _use_wal(conn: sqlite3.Connection) -> None:
    """Switch the database to WAL mode (once per file). SQLite does not wait on its busy handler
    for this switch while another connection has the file open, so it is retried here for as long."""
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            if conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                conn.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.01)


class SqliteLedger(DeployingLedger):
    """A ledger in one SQLite file; implements :class:`goshfile.ledger.protocol.Ledger`."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._prepare_lock = threading.Lock()
        self._idle: list[sqlite3.Connection] = []
        self._ready = False

    def __repr__(self) -> str:
        return f"SqliteLedger({str(self.path)!r})"

    def __str__(self) -> str:
        return f"ledger {self.path}"

    # -- connections -------------------------------------------------------------------------------

    def _open(self) -> sqlite3.Connection:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(
                self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None, check_same_thread=False
            )
        except (OSError, sqlite3.Error) as exc:
            raise EngineError(f"cannot open the ledger {self.path}: {exc}") from None
        try:
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            if not self._ready:
                with self._prepare_lock:  # threads of one process prepare once, in turn
                    if not self._ready:
                        self._prepare(conn)
            conn.execute("PRAGMA synchronous = FULL")
        except BaseException:
            conn.close()
            raise
        return conn

    def _prepare(self, conn: sqlite3.Connection) -> None:
        """Create the schema once (serialized between processes) and refuse a database that is not a ledger."""
        try:
            if not self._has_schema(conn):
                conn.execute("BEGIN IMMEDIATE")
                try:
                    if not self._has_schema(conn):
                        for statement in SCHEMA.split(";\n"):
                            if statement.strip():
                                conn.execute(statement)
                    conn.execute("COMMIT")
                except BaseException:
                    with contextlib.suppress(sqlite3.Error):
                        conn.execute("ROLLBACK")
                    raise
            _use_wal(conn)
        except sqlite3.DatabaseError as exc:
            raise EngineError(f"the ledger {self.path} cannot be used: {exc}") from None
        self._ready = True

    def _has_schema(self, conn: sqlite3.Connection) -> bool:
        """True for a ledger, False for an empty database; InputError for any other database."""
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if not tables:
            return False
        found = conn.execute("SELECT value FROM meta WHERE key = 'format'").fetchone() if "meta" in tables else None
        if found is None or found[0] != FORMAT or "proofs" not in tables:
            raise InputError(f"{self.path} is an SQLite database but not a {FORMAT} ledger")
        return True

    @contextlib.contextmanager
    def _connection(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            conn = self._idle.pop() if self._idle else None
        if conn is None:
            conn = self._open()
        try:
            yield conn
        except sqlite3.Error as exc:
            conn.close()
            raise EngineError(f"the ledger {self.path} failed: {exc}") from None
        except BaseException:
            try:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
            except sqlite3.Error:
                conn.close()
                raise
            with self._lock:
                self._idle.append(conn)
            raise
        with self._lock:
            self._idle.append(conn)

    def init(self) -> None:
        """Create the file and its schema now (reads never do); errors show here rather than on first use."""
        with self._connection():
            pass

    def close(self) -> None:
        """Close the idle connections (the ledger reopens on next use)."""
        with self._lock:
            idle, self._idle = self._idle, []
        for conn in idle:
            conn.close()

    # -- the Ledger protocol ---------------------------------------------------------------------------

    def get(self, public: str, content: str) -> Proof | None:
        """The proof recorded at the address of ``public`` and ``content``, or None."""
        return self.get_by_address(contract.address(public, content))

    def check(self, public: str, content: str) -> bool:
        """True when the proof is recorded and verifies for this key and content."""
        return check_proof(self.get(public, content), public, content)

    # -- the node's own operations -----------------------------------------------------------------

    def get_by_address(self, address: str) -> Proof | None:
        """The proof recorded at ``address``, or None."""
        address = contract.check_address(address)
        if not self._ready and not self.path.exists():
            return None
        with self._connection() as conn:
            row = conn.execute(f"SELECT {COLUMNS} FROM proofs WHERE address = ?", (address,)).fetchone()
        return _proof(row) if row else None

    def deploy(self, deployment: Deployment) -> tuple[Proof, bool]:
        """Record a signed deployment; return the proof and whether it is new.

        The signature is verified before anything is written (VerificationError otherwise). When the
        address already holds a proof, that proof is returned and nothing is written; if the stored
        proof itself does not verify, the ledger was tampered with and VerificationError says so.
        """
        public = parse_public(deployment.public)
        payer = proofs.normalize_payer(deployment.payer)
        address = contract.address(public, deployment.content)
        if not deployment.verifies():
            raise VerificationError(
                f"the signature does not verify for public key {public} and this content; nothing was recorded"
            )
        existing = self.get_by_address(address)
        if existing is None:
            with self._connection() as conn:
                conn.execute("BEGIN IMMEDIATE")
                row = conn.execute(f"SELECT {COLUMNS} FROM proofs WHERE address = ?", (address,)).fetchone()
                if row:
                    conn.execute("ROLLBACK")
                    existing = _proof(row)
                else:
                    from goshfile.ledger.log import Record, record_hash

                    last = conn.execute("SELECT seq, hash FROM proofs ORDER BY seq DESC LIMIT 1").fetchone()
                    seq, prev = (last[0] + 1, last[1]) if last else (1, GENESIS)
                    proof = Proof(
                        address, public, deployment.content, deployment.signature, datetime.now(UTC), payer, seq
                    )
                    record = Record(proof, prev, record_hash(prev, proof))
                    conn.execute(INSERT, row_values(record))
                    conn.execute(HEAD_UPDATE, (str(seq), "head_seq"))
                    conn.execute(HEAD_UPDATE, (record.hash, "head_hash"))
                    conn.execute("COMMIT")
                    return proof, True
        if not existing.verifies(public, deployment.content):
            raise VerificationError(
                f"a proof is recorded at {address} but it does not verify: the ledger {self.path} was "
                "tampered with (run 'goshfile node verify-log')"
            )
        return existing, False

    def head(self) -> Head:
        """The head the ledger recorded (seq 0 and 64 zeros when empty)."""
        from goshfile.ledger.log import Head

        if not self._ready and not self.path.exists():
            return Head(0, GENESIS)
        with self._connection() as conn:
            values = dict(conn.execute("SELECT key, value FROM meta WHERE key IN ('head_seq', 'head_hash')"))
        try:
            return Head(int(values["head_seq"]), values["head_hash"])
        except (KeyError, ValueError):
            raise VerificationError(f"the ledger {self.path} has no valid head record (it was tampered with)") from None

    def records(self, after: int = 0, limit: int | None = None) -> list[Record]:
        """Up to ``limit`` records with ``seq > after``, in log order."""
        from goshfile.ledger.log import Record  # once per batch, not per row

        if not self._ready and not self.path.exists():
            return []
        with self._connection() as conn:
            rows = conn.execute(
                f"SELECT {COLUMNS} FROM proofs WHERE seq > ? ORDER BY seq LIMIT ?",
                (after, -1 if limit is None else limit),
            ).fetchall()
        return [Record(_proof(row), row[7], row[8]) for row in rows]

    def iter_records(self, batch: int = 5000) -> Iterator[Record]:
        """Every record in log order, read in batches."""
        after = 0
        while chunk := self.records(after, batch):
            yield from chunk
            after = chunk[-1].seq

    def verify_log(self) -> LogReport:
        """Check the whole file: SQLite's integrity check, then the log (chain, hashes, addresses, signatures,
        the recorded head), then the address index against the records (what ``check`` looks proofs up by).

        InputError when there is no ledger at the path (nothing is created).
        """
        from goshfile.ledger.log import Broken, Head, LogReport, verify_records

        if not self._ready and not self.path.is_file():
            raise InputError(f"there is no ledger at {self.path}" + ("" if self.path.parent.is_dir() else
                             f" (no folder {self.path.parent})"))  # fmt: skip
        with self._connection() as conn:
            damage = [row[0] for row in conn.execute("PRAGMA integrity_check(20)")]
        if damage != ["ok"]:
            reason = f"the file fails SQLite's integrity check (damaged index or pages): {'; '.join(damage)}"
            return LogReport(0, Head(0, GENESIS), Broken(0, reason))
        report = verify_records(self.iter_records(), self.head())
        if not report.ok:
            return report
        mismatch = self._index_mismatch()
        if mismatch is not None:
            reason = "the address index does not lead to it (a lookup by its address finds another record or none)"
            return LogReport(report.records, report.head, Broken(mismatch, reason))  # the chain itself holds
        return report

    def _index_mismatch(self) -> int | None:
        """The first record whose address, looked up through the address index, is not that record."""
        with self._connection() as conn:
            index = conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'proofs' AND sql IS NULL"
            ).fetchone()
            if index is None:
                return 1 if self.head().seq else None  # the unique index is gone
            lookup = f'SELECT q.seq FROM proofs AS q INDEXED BY "{index[0]}" WHERE q.address = p.address'
            row = conn.execute(
                f"SELECT p.seq FROM proofs AS p NOT INDEXED WHERE ({lookup}) IS NOT p.seq ORDER BY p.seq LIMIT 1"
            ).fetchone()
        return int(row[0]) if row else None

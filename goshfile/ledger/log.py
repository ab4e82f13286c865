"""The tamper-evident log of a node: every record chains the hash of the one before.

Record ``n`` (``seq``, counted from 1) has ``prev`` = the hash of record ``n - 1`` (``GENESIS``,
64 zeros, for the first) and ``hash`` = hex of::

    sha256(b"goshfile-ledger-record-v1\\x00" || u64(seq) || prev (32 bytes)
           || field(address) || field(public) || field(content) || field(signature (64 bytes))
           || field(payer or "") || field(recorded_at))

with ``u64`` big-endian, ``field(b) = u32(len(b)) || b`` and the strings in UTF-8 (``recorded_at``
exactly as stored, e.g. ``2024-05-01T12:00:00.000000Z``). Changing, inserting, reordering or
removing a record breaks the chain at that record; removing records at the end is caught against
the head the node stores with the log (compare with a head you noted to catch a full rewrite).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from goshfile.errors import InputError
from goshfile.ledger.contract import field, sha256
from goshfile.ledger.proof import GENESIS as GENESIS  # re-exported: the log's first prev
from goshfile.ledger.proof import Proof, format_time

LOG_DOMAIN = b"goshfile-ledger-record-v1\x00"


def record_hash(prev: str, proof: Proof) -> str:
    """The hash of ``proof`` (whose ``seq`` is set) recorded after the record whose hash is ``prev``."""
    if proof.seq is None:
        raise ValueError("a log record needs its seq")
    data = b"".join(
        (
            LOG_DOMAIN,
            proof.seq.to_bytes(8, "big"),
            bytes.fromhex(prev),
            field(proof.address.encode()),
            field(proof.public.encode()),
            field(proof.content.encode()),
            field(proof.signature),
            field((proof.payer or "").encode()),
            field(format_time(proof.recorded_at).encode()),
        )
    )
    return sha256(data).hex()


@dataclass(frozen=True)
class Record:
    """One entry of the log: a proof with its position and chain hashes."""

    proof: Proof
    prev: str
    hash: str

    @property
    def seq(self) -> int:
        """The record's position (from 1)."""
        return self.proof.seq or 0

    def to_json(self) -> dict[str, Any]:
        """The proof's JSON with ``prev`` and ``hash`` added."""
        return {**self.proof.to_json(), "prev": self.prev, "hash": self.hash}

    @classmethod
    def from_json(cls, data: Any) -> Record:
        """Parse :meth:`to_json`'s form (InputError when malformed; the chain is not checked here)."""
        proof = Proof.from_json(data)
        prev, digest = data.get("prev"), data.get("hash")
        if not isinstance(prev, str) or not isinstance(digest, str) or proof.seq is None:
            raise InputError("a log record has seq, prev and hash")
        return cls(proof, prev, digest)


@dataclass(frozen=True)
class Head:
    """The last record of a log as the node states it (``seq`` 0 and ``GENESIS`` for an empty log)."""

    seq: int
    hash: str


@dataclass(frozen=True)
class Broken:
    """The first record that breaks the log, and why (``seq`` 0: the file itself, before any record)."""

    seq: int
    reason: str

    def __str__(self) -> str:
        return f"record {self.seq}: {self.reason}" if self.seq else self.reason


@dataclass(frozen=True)
class LogReport:
    """The result of checking a log from its first record."""

    records: int  # records checked before the first broken one (all of them when intact)
    head: Head  # the last intact record
    broken: Broken | None

    @property
    def ok(self) -> bool:
        """True when no record is broken."""
        return self.broken is None


def _problem(record: Record, expected_seq: int, prev: str) -> str | None:
    proof = record.proof
    if record.prev != prev:
        return f"does not chain to record {expected_seq - 1} (its prev hash differs)"
    try:
        recomputed = record_hash(record.prev, proof)
    except ValueError:
        return "its prev hash is not 64 hex characters"
    if record.hash != recomputed:
        return "its hash does not match its contents (it was changed after it was written)"
    if not proof.verifies():
        return "its proof does not verify (address or signature do not match its key and content)"
    return None


def verify_records(records: Iterable[Record], stated_head: Head | None = None) -> LogReport:
    """Check ``records`` (in log order) and, when given, that the log ends at ``stated_head``."""
    head = Head(0, GENESIS)
    for record in records:
        expected = head.seq + 1
        if record.seq > expected:
            return LogReport(head.seq, head, Broken(expected, f"is missing (the next record is {record.seq})"))
        if record.seq < expected:
            return LogReport(head.seq, head, Broken(record.seq, f"is out of order (found after record {head.seq})"))
        problem = _problem(record, expected, head.hash)
        if problem:
            return LogReport(head.seq, head, Broken(record.seq, problem))
        head = Head(record.seq, record.hash)
    if stated_head is not None and stated_head != head:
        if stated_head.seq > head.seq:
            reason = (
                f"is missing: the log ends at record {head.seq} but its head says {stated_head.seq} (records removed)"
            )
            return LogReport(head.seq, head, Broken(head.seq + 1, reason))
        return LogReport(head.seq, head, Broken(head.seq, "is not the head the node recorded (the log was rewritten)"))
    return LogReport(head.seq, head, None)

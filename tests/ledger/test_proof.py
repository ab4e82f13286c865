"""The proof record: payers, what makes a proof verify, its JSON form and its times."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from goshfile.errors import InputError
from goshfile.keys import KeyPair, verify
from goshfile.ledger import Proof, address, message, normalize_payer
from goshfile.ledger.proof import TIME_FORMAT, format_time, parse_time
from tests.ledger.helpers import ALICE, BOB, DIGEST, OTHER_DIGEST


def _proof(content: str = DIGEST, signer: KeyPair = ALICE) -> Proof:
    signature = signer.sign(message(signer.public_hex, content))
    return Proof(address(signer.public_hex, content), signer.public_hex, content, signature, datetime.now(UTC))


def test_payer_gets_the_workchain_prepended() -> None:
    assert normalize_payer("AB" * 32) == "0:" + "ab" * 32
    assert normalize_payer("0:" + "ab" * 32) == "0:" + "ab" * 32
    assert normalize_payer("-1:" + "ab" * 32) == "-1:" + "ab" * 32
    assert normalize_payer(None) is None
    assert normalize_payer(" ") is None
    for bad in ("ab", "0:ab", "x:" + "ab" * 32, "0:" + "ab" * 33):
        with pytest.raises(InputError, match="is not a GOSH address"):
            normalize_payer(bad)


def test_a_proof_verifies_only_for_its_key_and_content() -> None:
    proof = _proof()
    assert proof.verifies()
    assert proof.verifies(ALICE.public_hex.upper(), DIGEST)
    assert not proof.verifies(BOB.public_hex, DIGEST)
    assert not proof.verifies(ALICE.public_hex, OTHER_DIGEST)
    assert verify(ALICE.public_hex, message(ALICE.public_hex, DIGEST), proof.signature)


def test_forged_proofs_do_not_verify() -> None:
    good = _proof()
    by_bob = _proof(signer=BOB)
    # the right address and key, with a signature by another key over the same message
    assert not good._replace(signature=BOB.sign(message(ALICE.public_hex, DIGEST))).verifies()
    # Bob's valid signature, claimed for Alice
    assert not by_bob._replace(public=ALICE.public_hex, address=good.address).verifies(ALICE.public_hex, DIGEST)
    # a valid proof moved to another address
    assert not good._replace(address=address(ALICE.public_hex, OTHER_DIGEST)).verifies()
    # the content swapped under a valid signature
    assert not good._replace(content=OTHER_DIGEST).verifies()
    assert not good._replace(signature=b"").verifies()
    assert not good._replace(content="sha256:bad").verifies()


def test_json_round_trip() -> None:
    proof = _proof()._replace(payer="0:" + "cd" * 32, seq=7)
    data = proof.to_json()
    assert data["signature"] == proof.signature.hex() and data["recorded_at"].endswith("Z")
    assert Proof.from_json(data) == proof


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"signature": "ab"}, "128 hex"),
        ({"address": "0:12"}, "not a proof address"),
        ({"public": "12"}, "not 64 hex"),
        ({"recorded_at": "yesterday"}, "is not a time"),
        ({"seq": "1"}, "seq is an integer"),
        ({"seq": True}, "seq is an integer"),
        ({"payer": 5}, "payer is a string"),
    ],
)
def test_malformed_proof_json(change: dict[str, object], error: str) -> None:
    with pytest.raises(InputError, match=error):
        Proof.from_json({**_proof().to_json(), **change})


def test_proof_json_must_be_an_object_with_every_field() -> None:
    with pytest.raises(InputError, match="a proof is a JSON object"):
        Proof.from_json([])
    data = _proof().to_json()
    del data["content"]
    with pytest.raises(InputError, match="a proof has no 'content'"):
        Proof.from_json(data)


def test_time_format_round_trips() -> None:
    moment = datetime(2024, 5, 1, 12, 0, 0, 5, tzinfo=UTC)
    assert format_time(moment) == "2024-05-01T12:00:00.000005Z"
    assert parse_time(format_time(moment)) == moment


@settings(max_examples=300, deadline=None)
@given(
    st.from_regex(r"\A[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{1,7}Z?\Z")
    | st.text(st.characters(max_codepoint=127), max_size=40)
)
def test_times_are_read_exactly_as_strptime_reads_the_stored_form(text: str) -> None:
    """parse_time reads what ``strptime(TIME_FORMAT)`` reads and refuses what it refuses (in ASCII: the
    Unicode digits that strptime would also take are refused, as the stored form has none)."""
    try:
        expected: datetime | None = datetime.strptime(text, TIME_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        expected = None
    try:
        got: datetime | None = parse_time(text)
    except InputError:
        got = None
    assert got == expected

"""The proof format: exact message bytes, addresses, contents, payers, and what makes a proof verify."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from goshfile.errors import InputError
from goshfile.keys import KeyPair, verify
from goshfile.ledger import Proof, address, check_content, message, normalize_payer
from goshfile.ledger.contract import CONTRACT_ID, check_address, sha256
from goshfile.ledger.proof import TIME_FORMAT, format_time, parse_time
from tests.ledger.helpers import ALICE, BOB, DIGEST, OTHER_DIGEST

# Fixed here so that any change to the address derivation fails a test (addresses are published).
ALICE_DIGEST_ADDRESS = "0:3d9cf437e87fc9f3c2a960c70564210291195197ea388edf4da805a5ab027fa6"


def _proof(content: str = DIGEST, signer: KeyPair = ALICE) -> Proof:
    signature = signer.sign(message(signer.public_hex, content))
    return Proof(address(signer.public_hex, content), signer.public_hex, content, signature, datetime.now(UTC))


@given(st.binary(max_size=4096))
def test_the_ledgers_sha256_is_sha256(data: bytes) -> None:
    # libsodium's, so that a check loads no OpenSSL; it must agree with hashlib's on any input
    assert sha256(data) == hashlib.sha256(data).digest()


def test_contract_id_is_the_hash_of_its_name() -> None:
    assert CONTRACT_ID.hex() == "07220a7c77fad1fea5586a49c2f570ca496d9c8374c6a33c76ae5afb691576ff"


def test_message_bytes_are_exactly_as_documented() -> None:
    key = bytes.fromhex(ALICE.public_hex)
    content = DIGEST.encode()
    expected = b"goshfile-proof-sign-v1\x00" + CONTRACT_ID + key + len(content).to_bytes(4, "big") + content
    assert message(ALICE.public_hex, DIGEST) == expected
    assert message(ALICE.public_hex.upper(), DIGEST) == expected


def test_address_is_exactly_as_documented() -> None:
    key = bytes.fromhex(ALICE.public_hex)
    content = DIGEST.encode()
    data = b"goshfile-proof-address-v1\x00" + CONTRACT_ID + key + (71).to_bytes(4, "big") + content
    assert address(ALICE.public_hex, DIGEST) == "0:" + hashlib.sha256(data).hexdigest() == ALICE_DIGEST_ADDRESS


def test_address_depends_on_key_and_content_only() -> None:
    addresses = {
        address(ALICE.public_hex, DIGEST),
        address(BOB.public_hex, DIGEST),
        address(ALICE.public_hex, OTHER_DIGEST),
        address(ALICE.public_hex, "a-tag"),
    }
    assert len(addresses) == 4
    assert address(ALICE.public_hex, DIGEST) == address(ALICE.public_hex.upper(), DIGEST)
    assert all(check_address(a) == a for a in addresses)


def test_message_and_address_are_domain_separated() -> None:
    digest = hashlib.sha256(message(ALICE.public_hex, DIGEST)).hexdigest()
    assert "0:" + digest != address(ALICE.public_hex, DIGEST)


@pytest.mark.parametrize(
    "content",
    [DIGEST, "sha512:" + "0" * 128, "bash:latest", "hello world", "ünïcode", "x" * 1024, "64" * 32],
)
def test_contents_that_can_be_signed(content: str) -> None:
    assert check_content(content) == content.encode()


@pytest.mark.parametrize(
    ("content", "error"),
    [
        ("", "the content is empty"),
        ("sha256:abc", "looks like a digest"),
        ("sha256:" + "AB" * 32, "looks like a digest"),
        ("SHA256:" + "ab" * 32, "looks like a digest"),
        ("sha256:" + "ab" * 32 + "0", "looks like a digest"),
        ("sha256:" + "ab" * 31 + "zz", "looks like a digest"),
        ("sha512:" + "ab" * 32, "looks like a digest"),
        ("sha384:" + "ab" * 48, "looks like a digest"),
        ("sha256:", "looks like a digest"),
        ("line\nbreak", "control characters"),
        ("tab\there", "control characters"),
        ("x" * 1025, "at most 1024"),
        ("é" * 513, "at most 1024"),
        ("\udcff", "not valid UTF-8"),
    ],
)
def test_contents_that_are_refused(content: str, error: str) -> None:
    with pytest.raises(InputError, match=error):
        check_content(content)
    with pytest.raises(InputError, match=error):
        address(ALICE.public_hex, content)


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

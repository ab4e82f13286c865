"""The content-signature contract: exact message bytes, addresses and the contents that can be signed."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from goshfile.errors import InputError
from goshfile.ledger.contract import CONTRACT_ID, address, check_address, check_content, message, sha256
from tests.ledger.helpers import ALICE, BOB, DIGEST, OTHER_DIGEST

# Fixed here so that any change to the address derivation fails a test (addresses are published).
ALICE_DIGEST_ADDRESS = "0:3d9cf437e87fc9f3c2a960c70564210291195197ea388edf4da805a5ab027fa6"


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

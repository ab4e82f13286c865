"""DSSE envelopes: sign, verify, and detect any change."""

from __future__ import annotations

import dataclasses

import pytest
from nacl.signing import SigningKey

from goshfile.errors import InputError, VerificationError
from goshfile.provenance import dsse
from goshfile.provenance.statement import BuildRecord, encode, statement


class Key:
    def __init__(self, seed: bytes) -> None:
        self._key = SigningKey(seed)

    @property
    def public_hex(self) -> str:
        return self._key.verify_key.encode().hex()

    def sign(self, message: bytes) -> bytes:
        return self._key.sign(message).signature


KEY = Key(bytes(range(32)))
OTHER = Key(bytes(range(1, 33)))
PAYLOAD = encode(
    statement(
        BuildRecord(
            image="127.0.0.1:5000/app:1",
            digest="sha256:" + "ab" * 32,
            labels={"goshfile.digest": "sha256:" + "cd" * 32, "goshfile.hermetic": "true"},
        )
    )
)


def test_pae_is_the_dsse_encoding() -> None:
    assert dsse.pae("t", b"ab") == b"DSSEv1 1 t 2 ab"


def test_a_signed_envelope_verifies_and_round_trips_through_json() -> None:
    envelope = dsse.sign(PAYLOAD, KEY)
    dsse.verify(envelope, KEY.public_hex)
    again = dsse.Envelope.from_json(envelope.to_json())
    assert again == envelope
    assert again.statement()["predicateType"] == "https://slsa.dev/provenance/v1"


def test_any_changed_byte_of_the_statement_fails_verification() -> None:
    envelope = dsse.sign(PAYLOAD, KEY)
    for i in range(len(PAYLOAD)):
        changed = bytearray(PAYLOAD)
        changed[i] ^= 0x01
        with pytest.raises(VerificationError):
            dsse.verify(dataclasses.replace(envelope, payload=bytes(changed)), KEY.public_hex)


def test_a_changed_payload_type_or_signature_fails() -> None:
    envelope = dsse.sign(PAYLOAD, KEY)
    with pytest.raises(VerificationError):
        dsse.verify(dataclasses.replace(envelope, payload_type="text/plain"), KEY.public_hex)
    keyid, sig = envelope.signatures[0]
    bad = bytes([sig[0] ^ 1]) + sig[1:]
    with pytest.raises(VerificationError):
        dsse.verify(dataclasses.replace(envelope, signatures=((keyid, bad),)), KEY.public_hex)


def test_another_key_is_not_the_signer() -> None:
    envelope = dsse.sign(PAYLOAD, KEY)
    with pytest.raises(VerificationError, match="not signed by"):
        dsse.verify(envelope, OTHER.public_hex)
    forged = dataclasses.replace(envelope, signatures=((OTHER.public_hex, envelope.signatures[0][1]),))
    with pytest.raises(VerificationError, match="does not verify"):
        dsse.verify(forged, OTHER.public_hex)


def test_malformed_envelopes_and_keys_are_input_errors() -> None:
    with pytest.raises(InputError):
        dsse.Envelope.from_json({"payloadType": "x", "payload": "%%%", "signatures": []})
    with pytest.raises(InputError):
        dsse.Envelope.from_json({"payload": ""})
    with pytest.raises(InputError):
        dsse.verify(dsse.sign(PAYLOAD, KEY), "zz")

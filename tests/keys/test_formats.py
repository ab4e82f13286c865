"""Wallet keys in PEM, PKCS#8, shell lines and cosign key files; and back."""

from __future__ import annotations

import base64
import hashlib
import json
import os

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ec import SECP256R1, generate_private_key
from nacl.secret import SecretBox

from goshfile.errors import InputError
from goshfile.keys.formats import env_lines, import_key, parse_public_key, pkcs8_pem, public_pem
from tests.ledger.helpers import ALICE, BOB


def cosign_file(der: bytes, password: str, label: str = "SIGSTORE") -> bytes:
    """A key file in cosign's encrypted format (scrypt + nacl/secretbox over the PKCS#8 DER)."""
    salt, nonce = os.urandom(32), os.urandom(24)
    key = hashlib.scrypt(password.encode(), salt=salt, n=1024, r=8, p=1, dklen=32)
    box = SecretBox(key).encrypt(der, nonce).ciphertext
    data = {
        "kdf": {"name": "scrypt", "params": {"N": 1024, "r": 8, "p": 1}, "salt": base64.b64encode(salt).decode()},
        "cipher": {"name": "nacl/secretbox", "nonce": base64.b64encode(nonce).decode()},
        "ciphertext": base64.b64encode(box).decode(),
    }
    body = base64.b64encode(json.dumps(data).encode()).decode()
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    return "\n".join(
        [f"-----BEGIN ENCRYPTED {label} PRIVATE KEY-----", *lines, f"-----END ENCRYPTED {label} PRIVATE KEY-----", ""]
    ).encode()


def der(pem: str) -> bytes:
    key = serialization.load_pem_private_key(pem.encode(), None)
    return key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def test_the_public_pem_is_spki_and_reads_back() -> None:
    pem = public_pem(ALICE.public_hex)
    assert pem.startswith("-----BEGIN PUBLIC KEY-----")
    assert parse_public_key(pem) == ALICE.public_hex
    assert parse_public_key(ALICE.public_hex.upper()) == ALICE.public_hex


def test_pkcs8_round_trips_in_pem_and_der() -> None:
    pem = pkcs8_pem(ALICE)
    assert pem.startswith("-----BEGIN PRIVATE KEY-----")
    assert import_key(pem.encode()) == ALICE
    assert import_key(der(pem)) == ALICE


def test_env_lines_name_the_wallet_when_known() -> None:
    assert env_lines(ALICE, "0:" + "1" * 64).splitlines() == [
        "export WALLET=0:" + "1" * 64,
        f"export WALLET_PUBLIC={ALICE.public_hex}",
        f"export WALLET_SECRET={ALICE.reveal_secret()}",
    ]
    assert not env_lines(ALICE).startswith("export WALLET=")


@pytest.mark.parametrize("label", ["SIGSTORE", "COSIGN"])
def test_a_cosign_key_file_is_decrypted_with_its_password(label: str) -> None:
    data = cosign_file(der(pkcs8_pem(BOB)), "hunter2", label)
    assert import_key(data, "hunter2") == BOB
    with pytest.raises(InputError, match="wrong password"):
        import_key(data, "nope")
    with pytest.raises(InputError, match="set COSIGN_PASSWORD"):
        import_key(data)


def test_a_cosign_ecdsa_key_is_refused_with_the_way_out() -> None:
    ec = generate_private_key(SECP256R1())
    data = cosign_file(
        ec.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()),
        "pw",
    )
    with pytest.raises(InputError, match="a GOSH wallet is ed25519"):
        import_key(data, "pw")


def test_garbage_is_refused_without_showing_it() -> None:
    with pytest.raises(InputError) as caught:
        import_key(b"-----BEGIN PRIVATE KEY-----\nc2VjcmV0\n-----END PRIVATE KEY-----\n")
    assert "c2VjcmV0" not in str(caught.value)
    with pytest.raises(InputError, match="not a PEM public key"):
        parse_public_key("-----BEGIN PUBLIC KEY-----\nxx\n-----END PUBLIC KEY-----")

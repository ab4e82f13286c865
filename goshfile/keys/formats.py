"""Wallet keys in the ecosystem's formats: PEM public keys, PKCS#8 secrets, cosign key files, shell lines.

- ``public_pem``: the ed25519 public key as a SubjectPublicKeyInfo PEM, what
  ``cosign verify --key`` takes;
- ``pkcs8_pem``: the secret as an unencrypted PKCS#8 PEM, what
  ``cosign import-key-pair --key`` takes;
- ``env_lines``: ``WALLET``/``WALLET_PUBLIC``/``WALLET_SECRET`` for a shell;
- ``import_key``: a PKCS#8 ed25519 key (PEM or DER), or a cosign key file
  (``ENCRYPTED SIGSTORE PRIVATE KEY`` / ``ENCRYPTED COSIGN PRIVATE KEY``: JSON with
  scrypt parameters and a NaCl secretbox over the PKCS#8 DER), decrypted with
  ``hashlib.scrypt`` and PyNaCl's ``SecretBox``.

The key parsing is the ``cryptography`` library's; no message shows a secret.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from typing import Any

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from nacl.exceptions import CryptoError
from nacl.secret import SecretBox

from goshfile.errors import InputError
from goshfile.keys.keypair import KeyPair, parse_public

COSIGN_PEM = re.compile(
    rb"-----BEGIN ENCRYPTED (?:SIGSTORE|COSIGN) PRIVATE KEY-----\s*(?P<body>[A-Za-z0-9+/=\s]+?)\s*"
    rb"-----END ENCRYPTED (?:SIGSTORE|COSIGN) PRIVATE KEY-----"
)
FORMATS = ("pem", "pkcs8", "env")


def public_pem(public_hex: str) -> str:
    """The public key as a PEM ``PUBLIC KEY`` (SubjectPublicKeyInfo)."""
    key = Ed25519PublicKey.from_public_bytes(bytes.fromhex(parse_public(public_hex)))
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def pkcs8_pem(pair: KeyPair) -> str:
    """The secret as an unencrypted PKCS#8 PEM ``PRIVATE KEY``. Write it only where the user asked."""
    key = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(pair.reveal_secret()))
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def env_lines(pair: KeyPair, wallet: str | None = None) -> str:
    """Shell lines exporting ``WALLET`` (the giver address, when known), ``WALLET_PUBLIC`` and ``WALLET_SECRET``."""
    lines = [f"export WALLET={wallet}"] if wallet else []
    lines += [f"export WALLET_PUBLIC={pair.public_hex}", f"export WALLET_SECRET={pair.reveal_secret()}"]
    return "\n".join(lines) + "\n"


def parse_public_key(text: str) -> str:
    """A public key given as 64 hex characters or as an ed25519 ``PUBLIC KEY`` PEM; lowercase hex."""
    stripped = text.strip()
    if not stripped.startswith("-----BEGIN"):
        return parse_public(stripped)
    try:
        key = serialization.load_pem_public_key(stripped.encode())
    except (ValueError, UnsupportedAlgorithm):
        raise InputError("not a PEM public key") from None
    if not isinstance(key, Ed25519PublicKey):
        raise InputError(f"the PEM public key is {type(key).__name__.removesuffix('PublicKey')}, not ed25519")
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw).hex()


def _from_private(key: Any, what: str) -> KeyPair:
    if not isinstance(key, Ed25519PrivateKey):
        kind = type(key).__name__.removeprefix("_").removesuffix("PrivateKey")
        raise InputError(
            f"{what} holds a {kind or 'non-ed25519'} key; a GOSH wallet is ed25519 "
            "(cosign generate-key-pair makes ECDSA keys: import an ed25519 key with cosign import-key-pair instead)"
        )
    seed = key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption())
    return KeyPair(seed)


def _b64(value: Any, what: str) -> bytes:
    try:
        return base64.b64decode(value if isinstance(value, bytes) else str(value), validate=True)
    except (binascii.Error, ValueError):
        raise InputError(f"{what} is not base64") from None


def _cosign_plaintext(body: bytes, password: str, what: str) -> bytes:
    try:
        data = json.loads(_b64(b"".join(body.split()), what))
        kdf, cipher = data["kdf"], data["cipher"]
        params = kdf["params"]
        if kdf.get("name") != "scrypt" or cipher.get("name") != "nacl/secretbox":
            raise InputError(f"{what}: unknown key encryption {kdf.get('name')}/{cipher.get('name')}")
        salt, nonce = _b64(kdf["salt"], f"{what} salt"), _b64(cipher["nonce"], f"{what} nonce")
        ciphertext = _b64(data["ciphertext"], f"{what} ciphertext")
        n, r, p = int(params["N"]), int(params["r"]), int(params["p"])
    except (ValueError, KeyError, TypeError):
        raise InputError(f"{what} is not a cosign key file (expected scrypt and nacl/secretbox JSON)") from None
    key = hashlib.scrypt(password.encode(), salt=salt, n=n, r=r, p=p, maxmem=256 * n * r * p + (1 << 20), dklen=32)
    try:
        return SecretBox(key).decrypt(ciphertext, nonce)
    except CryptoError:
        raise InputError(f"{what}: wrong password (COSIGN_PASSWORD)") from None


def import_key(data: bytes, password: str | None = None, *, what: str = "the key file") -> KeyPair:
    """A wallet key pair from a PKCS#8 ed25519 key (PEM/DER, ``password`` when encrypted) or a cosign key file."""
    found = COSIGN_PEM.search(data)
    if found:
        if password is None:
            raise InputError(f"{what} is a cosign key file: set COSIGN_PASSWORD to its password")
        der = _cosign_plaintext(found.group("body"), password, what)
        try:
            return _from_private(serialization.load_der_private_key(der, None), what)
        except (ValueError, UnsupportedAlgorithm):
            raise InputError(f"{what}: the decrypted cosign key is not a PKCS#8 key") from None
    secret = password.encode() if password else None
    loaders = (serialization.load_pem_private_key,) if b"-----BEGIN" in data else (serialization.load_der_private_key,)
    try:
        key = loaders[0](data, secret)
    except TypeError:
        if secret is None:
            raise InputError(f"{what} is encrypted: give its password (COSIGN_PASSWORD)") from None
        raise InputError(f"{what} is not encrypted; no password is needed") from None
    except (ValueError, UnsupportedAlgorithm):
        raise InputError(f"{what} is not a PKCS#8 private key, a cosign key file, or the password is wrong") from None
    return _from_private(key, what)

"""Wallet key pairs: RFC 8032 vectors, hex parsing, and a secret that never shows."""

from __future__ import annotations

import copy
import pickle

import pytest

from goshfile.errors import InputError
from goshfile.keys import KeyPair, parse_public, verify

# RFC 8032 section 7.1: (secret, public, message, signature), all hex
RFC8032 = [
    (
        "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
        "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
        "",
        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
    ),
    (
        "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
        "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
        "72",
        "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
    ),
    (
        "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
        "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025",
        "af82",
        "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a",
    ),
    (  # TEST SHA(abc)
        "833fe62409237b9d62ec77587520911e9a759cec1d19755b7da901b96dca3d42",
        "ec172b93ad5e563bf4932c70e1245034c35467ef2efd4d64ebf819683467e2bf",
        "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
        "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
        "dc2a4459e7369633a52b1bf277839a00201009a3efbf3ecb69bea2186c26b589"
        "09351fc9ac90b3ecfdfbc7c66431e0303dca179c138ac17ad9bef1177331a704",
    ),
]
SECRET = RFC8032[0][0]


@pytest.mark.parametrize(("secret", "public", "message", "signature"), RFC8032)
def test_rfc8032_vectors(secret: str, public: str, message: str, signature: str) -> None:
    pair = KeyPair.from_secret_hex(secret)
    assert pair.public_hex == public
    assert pair.sign(bytes.fromhex(message)).hex() == signature
    assert verify(public, bytes.fromhex(message), bytes.fromhex(signature))


@pytest.mark.parametrize(("secret", "public", "message", "signature"), RFC8032)
def test_changed_message_or_signature_does_not_verify(secret: str, public: str, message: str, signature: str) -> None:
    data, sig = bytes.fromhex(message), bytearray.fromhex(signature)
    assert not verify(public, data + b"x", bytes(sig))
    sig[0] ^= 1
    assert not verify(public, data, bytes(sig))
    assert not verify(RFC8032[1][1] if public == RFC8032[0][1] else RFC8032[0][1], data, bytes.fromhex(signature))
    assert not verify(public, data, bytes.fromhex(signature)[:63])


def test_upper_case_and_surrounding_space_are_accepted() -> None:
    pair = KeyPair.from_secret_hex(f"  {SECRET.upper()}\n")
    assert pair.public_hex == RFC8032[0][1]
    assert parse_public(RFC8032[0][1].upper()) == RFC8032[0][1]
    assert pair.matches(RFC8032[0][1].upper())
    assert not pair.matches(RFC8032[1][1])


def test_generated_pairs_differ_and_sign() -> None:
    one, two = KeyPair.generate(), KeyPair.generate()
    assert one != two
    assert verify(one.public_hex, b"m", one.sign(b"m"))
    assert KeyPair.from_secret_hex(one.reveal_secret()) == one


def test_the_secret_never_shows() -> None:
    pair = KeyPair.from_secret_hex(SECRET)
    for text in (repr(pair), str(pair), f"{pair}", repr([pair]), repr({"k": pair})):
        assert SECRET not in text
        assert RFC8032[0][1] in text
        assert "<hidden>" in text
    with pytest.raises(TypeError):
        pickle.dumps(pair)
    with pytest.raises(TypeError):
        copy.copy(pair)
    assert not hasattr(pair, "__dict__")  # nothing for vars() to show


@pytest.mark.parametrize(
    "bad",
    [
        SECRET[:-1],  # 63 characters
        SECRET + "0",  # 65 characters
        SECRET[:-1] + "g",  # not hex
        "",
        SECRET[:32] + " " + SECRET[32:],
    ],
)
def test_malformed_secret_is_refused_without_showing_it(bad: str) -> None:
    with pytest.raises(InputError) as info:
        KeyPair.from_secret_hex(bad, what="WALLET_SECRET")
    message = str(info.value)
    assert message.startswith("WALLET_SECRET is not 64 hex characters")
    assert SECRET[:20] not in message
    assert info.value.__cause__ is None and info.value.__context__ is None


@pytest.mark.parametrize("bad", ["", "ab" * 31, "zz" * 32, "ab" * 33, "0x" + "ab" * 31])
def test_malformed_public_key_is_refused(bad: str) -> None:
    with pytest.raises(InputError, match="is not 64 hex characters"):
        parse_public(bad)


def test_verify_with_a_malformed_public_key_is_false() -> None:
    assert not verify("zz" * 32, b"", bytes(64))

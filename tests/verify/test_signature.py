"""Signature verification of images against a ledger, with in-memory fakes of the engine and ledger."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from goshfile.errors import InputError, VerificationError
from goshfile.images.local import LocalImage
from goshfile.images.registry import RemoteImage
from goshfile.verify.signature import Subject, find_subject, verify_subject

KEY = "ab" * 32
OTHER = "cd" * 32
DIGEST = "sha256:" + "11" * 32
ELSEWHERE = "sha256:" + "22" * 32


@dataclass(frozen=True)
class Proof:
    address: str
    recorded_at: str
    valid: bool = True


class FakeLedger:
    def __init__(self, proofs: dict[tuple[str, str], Proof]) -> None:
        self.proofs = proofs

    def check(self, public: str, content: str) -> bool:
        proof = self.proofs.get((public, content))
        return proof is not None and proof.valid

    def get(self, public: str, content: str) -> Proof | None:
        return self.proofs.get((public, content))


class FakeStore:
    def __init__(self, images: dict[str, LocalImage]) -> None:
        self.images = images

    def get(self, ref: str) -> LocalImage | None:
        return self.images.get(ref)

    def all(self) -> list[LocalImage]:
        return list(self.images.values())

    def remove(self, ref: str) -> None:
        self.images.pop(ref, None)


class FakeRegistry:
    def __init__(self, image: RemoteImage) -> None:
        self.image = image
        self.asked: list[str] = []

    def inspect(self, ref: object) -> RemoteImage:
        self.asked.append(str(ref))
        return self.image


def subject(labels: dict[str, str], digests: tuple[str, ...] = (DIGEST,)) -> Subject:
    return Subject("127.0.0.1:5000/app:1", labels, digests, True)


LEDGER = FakeLedger({(KEY, DIGEST): Proof("0:" + "ee" * 32, "2026-11-28T09:00:00Z")})


def test_a_signed_registry_digest_verifies_with_signer_and_time() -> None:
    verdict = verify_subject(subject({"WALLET_PUBLIC": KEY}), LEDGER)
    assert (verdict.signer, verdict.content, verdict.kind) == (KEY, DIGEST, "registry digest")
    assert verdict.address == "0:" + "ee" * 32
    assert verdict.to_json()["verified"] is True


def test_no_label_no_digest_no_proof_and_a_relabelled_image_fail_with_the_reason() -> None:
    with pytest.raises(VerificationError, match="no WALLET_PUBLIC label"):
        verify_subject(subject({}), LEDGER)
    with pytest.raises(VerificationError, match="no registry digest"):
        verify_subject(subject({"WALLET_PUBLIC": KEY}, ()), LEDGER)
    with pytest.raises(VerificationError, match=f"no proof that {KEY} signed {ELSEWHERE}"):
        verify_subject(subject({"WALLET_PUBLIC": KEY}, (ELSEWHERE,)), LEDGER)
    with pytest.raises(VerificationError, match=f"no proof that {OTHER} signed"):
        verify_subject(subject({"WALLET_PUBLIC": OTHER}), LEDGER)


def test_a_stored_proof_whose_signature_does_not_verify_is_reported_as_such() -> None:
    forged = FakeLedger({(KEY, DIGEST): Proof("0:" + "ee" * 32, "now", valid=False)})
    with pytest.raises(VerificationError, match="bad signature"):
        verify_subject(subject({"WALLET_PUBLIC": KEY}), forged)


def test_the_content_hash_is_tried_after_the_registry_digests() -> None:
    content = "sha256:" + "33" * 32
    ledger = FakeLedger({(KEY, content): Proof("0:" + "ff" * 32, "t")})
    asked: list[str] = []

    def hashes(image: str) -> list[str]:
        asked.append(image)
        return [content]

    verdict = verify_subject(subject({"WALLET_PUBLIC": KEY}, ()), ledger, hashes)
    assert (verdict.content, verdict.kind) == (content, "content hash")
    assert asked == ["127.0.0.1:5000/app:1"]
    verify_subject(subject({"WALLET_PUBLIC": KEY}), LEDGER, hashes)
    assert asked == ["127.0.0.1:5000/app:1"]  # not computed when the registry digest is signed


def test_find_subject_prefers_the_image_s_own_repository_digest() -> None:
    image = LocalImage(
        "sha256:" + "44" * 32,
        ("127.0.0.1:5000/app:1",),
        (f"other.example/app@{ELSEWHERE}", f"127.0.0.1:5000/app@{DIGEST}"),
        {"WALLET_PUBLIC": KEY},
    )
    found = find_subject("127.0.0.1:5000/app:1", FakeStore({"127.0.0.1:5000/app:1": image}))
    assert found.digests == (DIGEST, ELSEWHERE)
    assert found.local


def test_find_subject_asks_the_registry_for_images_not_in_the_engine() -> None:
    registry = FakeRegistry(RemoteImage(DIGEST, {"config": {"Labels": {"WALLET_PUBLIC": KEY}}}))
    found = find_subject("127.0.0.1:5000/app:1", FakeStore({}), registry)  # type: ignore[arg-type]
    assert (found.digests, found.labels, found.local) == ((DIGEST,), {"WALLET_PUBLIC": KEY}, False)
    assert registry.asked == ["127.0.0.1:5000/app:1"]
    with pytest.raises(InputError, match="no image"):
        find_subject("127.0.0.1:5000/app:1", FakeStore({}))

"""verify_image: every piece of evidence, each tamper case refused with its own reason, pinned trust."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from goshfile.cosign import artifacts
from goshfile.cosign.store import attach_attestation, envelope_bytes, sign_image
from goshfile.errors import EngineError
from goshfile.images import reference
from goshfile.images.local import LocalImage
from goshfile.images.registry import RegistryClient
from goshfile.keys.keypair import KeyPair
from goshfile.ledger.sqlite import SqliteLedger
from goshfile.provenance import dsse
from goshfile.provenance.statement import BuildRecord, encode, statement
from goshfile.verify.report import PIECES
from goshfile.verify.trust import add_trusted_signer
from goshfile.workflows.verify import Sources, VerifyOptions, select_images, verify_image
from tests.images.fake_registry import Registry, serving
from tests.ledger.helpers import ALICE, BOB, isolate

KEYS = ("image", "verified", "reason", "digest", "signer", "trust", "checked_at", "evidence", "error")


class NoImages:
    def __init__(self, images: list[LocalImage] | None = None) -> None:
        self.images = images or []

    def get(self, ref: str) -> LocalImage | None:
        return None

    def all(self) -> list[LocalImage]:
        return self.images

    def remove(self, ref: str) -> None:
        return None


class DownLedger:
    def check(self, public: str, content: str) -> bool:
        raise EngineError("cannot reach the node http://127.0.0.1:9")

    def get(self, public: str, content: str) -> Any:
        raise EngineError("cannot reach the node http://127.0.0.1:9")


@dataclass
class World:
    registry: Registry
    ledger: SqliteLedger
    client: RegistryClient

    def name(self, tag: str) -> str:
        return f"{self.registry.host}/team/app:{tag}"

    def digest(self, tag: str) -> str:
        return self.client.manifest(reference.parse(self.name(tag))).digest

    def publish(
        self, tag: str, key: KeyPair, *, ledger: bool = True, registry: bool = True, provenance: bool = True
    ) -> str:
        ref = reference.parse(self.name(tag))
        digest = self.digest(tag)
        address = self.ledger.sign(key, digest).address if ledger else None
        if registry:
            sign_image(self.client, ref, digest, key.sign, address)
        if provenance:
            record = BuildRecord(self.name(tag), digest, {"goshfile.hermetic": "true"})
            envelope = dsse.sign(encode(statement(record)), key)
            attach_attestation(
                self.client,
                ref,
                digest,
                envelope_bytes(envelope.to_json()),
                artifacts.SLSA_PROVENANCE_V1,
                key.public_hex,
            )
        return digest

    def verify(self, tag: str, options: VerifyOptions | None = None, ledger: Any = None) -> Any:
        return verify_image(
            self.name(tag), options or VerifyOptions(), Sources(NoImages(), self.client, ledger or self.ledger)
        )


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    isolate(tmp_path, monkeypatch)
    with serving(Registry()) as registry:
        for tag, key in (("signed", ALICE), ("other", ALICE), ("bob", BOB)):
            registry.image(tag, [tag.encode()], {"WALLET_PUBLIC": key.public_hex})
        registry.image("unlabelled", [b"base"])
        ledger = SqliteLedger(tmp_path / "ledger.sqlite")
        yield World(registry, ledger, RegistryClient())
        ledger.close()


def test_a_fully_signed_image_verifies_every_piece(world: World) -> None:
    digest = world.publish("signed", ALICE)
    report = world.verify("signed")
    assert report.verified and report.exit_code == 0 and report.signer == ALICE.public_hex
    assert report.trust == "self-declared" and report.digest == digest
    for piece in ("label", "ledger", "registry", "provenance"):
        assert report.piece(piece).status == "verified", (piece, report.piece(piece))
    assert report.piece("registry").details["proof"] == report.piece("ledger").details["address"]
    assert report.piece("ledger").details["recorded_at"].endswith("Z")


def test_the_json_has_the_same_keys_whatever_the_outcome(world: World) -> None:
    world.publish("signed", ALICE)
    shapes = [
        world.verify("signed").to_json(),
        world.verify("other").to_json(),  # unsigned
        world.verify("signed", ledger=DownLedger()).to_json(),  # node unreachable
        world.verify("nosuchtag").to_json(),
    ]
    for shape in shapes:
        assert tuple(sorted(shape)) == tuple(sorted(KEYS))
        assert tuple(shape["evidence"]) == PIECES
        assert shape["checked_at"].endswith("Z")
    verified, unsigned, down, missing = shapes
    assert verified["error"] is None and unsigned["error"] is None and not unsigned["verified"]
    assert "no valid signature" in unsigned["reason"]
    assert down["evidence"]["ledger"]["status"] == "error"
    assert missing["error"]["type"] == "InputError" and missing["digest"] is None


def test_an_unreachable_node_with_nothing_else_is_could_not_check(world: World) -> None:
    world.publish("signed", ALICE, registry=False, provenance=False)
    report = world.verify("signed", ledger=DownLedger())
    assert not report.verified and report.exit_code == 3 and report.error is not None
    assert report.error.type == "EngineError" and "cannot reach the node" in report.error.message


def test_a_signature_copied_from_another_image_is_refused(world: World) -> None:
    world.publish("other", ALICE, ledger=False, provenance=False)
    mine, theirs = world.digest("signed"), world.digest("other")
    world.registry.manifests[artifacts.signature_tag(mine)] = world.registry.manifests[artifacts.signature_tag(theirs)]
    report = world.verify("signed")
    assert not report.verified and report.exit_code == 1
    assert report.piece("registry").status == "invalid"
    assert f"a signature of another image (its payload names {theirs}, not {mine})" in str(report.reason)


def test_an_attestation_changed_by_one_byte_is_refused(world: World) -> None:
    digest = world.publish("signed", ALICE)
    _media, body = world.registry.manifests[artifacts.attestation_tag(digest)]
    layer = json.loads(body)["layers"][0]
    envelope = json.loads(world.registry.blobs[layer["digest"]])
    payload = bytearray(base64.b64decode(envelope["payload"]))
    payload[payload.index(b"true")] = ord("T")  # one byte: "hermetic": true -> True
    envelope["payload"] = base64.b64encode(bytes(payload)).decode()
    attach_attestation(
        world.client,
        reference.parse(world.name("signed")),
        digest,
        envelope_bytes(envelope),
        artifacts.SLSA_PROVENANCE_V1,
        ALICE.public_hex,
    )
    report = world.verify("signed")
    assert not report.verified and report.piece("provenance").status == "invalid"
    assert "DSSE signature does not verify" in str(report.piece("provenance").reason)
    assert report.piece("registry").status == "verified"  # the other pieces are still reported on their own


def test_a_valid_signature_by_an_untrusted_key_fails_with_signer_pinned(world: World) -> None:
    world.publish("bob", BOB)
    assert world.verify("bob").verified  # self-declared: Bob's label, Bob's signatures
    report = world.verify("bob", VerifyOptions(signers=(ALICE.public_hex,)))
    assert not report.verified
    assert report.piece("label").status == "invalid"
    assert f"names {BOB.public_hex}, which is not a trusted signer" in str(report.reason)
    assert report.piece("ledger").status == "absent" and report.piece("registry").status == "invalid"


def test_the_trusted_signers_file_pins_too(world: World) -> None:
    world.publish("signed", ALICE)
    world.publish("bob", BOB)
    add_trusted_signer(ALICE.public_hex, "alice")
    assert add_trusted_signer(ALICE.public_hex).name == "alice"  # already there: kept once
    good = world.verify("signed")
    assert good.verified and good.trust == "pinned" and good.piece("label").details["trusted_as"] == "alice"
    assert not world.verify("bob").verified


def test_without_a_ledger_proof_the_registry_signature_still_verifies(world: World) -> None:
    world.publish("signed", ALICE, ledger=False)
    report = world.verify("signed")
    assert report.verified and report.piece("ledger").status == "absent"
    assert report.piece("registry").status == "verified"
    required = world.verify("signed", VerifyOptions(require=frozenset({"ledger"})))
    assert not required.verified and "ledger is required" in str(required.reason)


def test_without_a_registry_signature_the_ledger_still_verifies(world: World) -> None:
    world.publish("signed", ALICE, registry=False)
    report = world.verify("signed")
    assert report.verified and report.piece("registry").status == "absent"
    assert not world.verify("signed", VerifyOptions(require=frozenset({"registry"}))).verified


def test_an_unlabelled_image_verifies_only_against_a_pinned_signer(world: World) -> None:
    world.publish("unlabelled", ALICE, ledger=False, provenance=False)
    bare = world.verify("unlabelled")
    assert not bare.verified and bare.piece("label").status == "absent"
    pinned = world.verify("unlabelled", VerifyOptions(signers=(ALICE.public_hex,)))
    assert pinned.verified and pinned.trust == "pinned" and pinned.signer == ALICE.public_hex


def test_select_images_filters_unlabelled_base_images() -> None:
    images = [
        LocalImage("sha256:" + "1" * 64, ("app:1",), (), {"WALLET_PUBLIC": ALICE.public_hex, "team": "a"}),
        LocalImage("sha256:" + "2" * 64, ("bash:latest",), (), {}),
        LocalImage("sha256:" + "3" * 64, ("app:2",), (), {"WALLET_PUBLIC": BOB.public_hex, "team": "b"}),
    ]
    store = NoImages(images)
    assert select_images(store) == ["app:1", "bash:latest", "app:2"]
    assert select_images(store, signed=True) == ["app:1", "app:2"]
    assert select_images(store, label_filters=["team=b"]) == ["app:2"]
    assert select_images(store, label_filters=["team"]) == ["app:1", "app:2"]


def test_content_hashes_are_read_only_when_no_proof_covers_the_digest(world: World) -> None:
    world.publish("signed", ALICE, registry=False, provenance=False)
    asked: list[str] = []

    def hashes(image: str) -> list[str]:
        asked.append(image)
        return ["sha256:" + "9" * 64]

    def run(tag: str, ledger: Any) -> Any:
        sources = Sources(NoImages(), world.client, ledger, content_hashes=hashes)
        return verify_image(world.name(tag), VerifyOptions(), sources)

    assert run("signed", world.ledger).piece("content_hash").reason == "not needed: a proof covers the registry digest"
    assert run("signed", DownLedger()).piece("content_hash").status == "not-checked"
    assert asked == []
    world.ledger.sign(ALICE, "sha256:" + "9" * 64)
    report = run("other", world.ledger)
    assert asked == [world.name("other")] and report.verified
    assert report.piece("content_hash").details["kind"] == "content hash"


def test_a_copied_signature_is_refused_even_beside_a_valid_one(world: World) -> None:
    world.publish("signed", ALICE, provenance=False)
    world.publish("other", ALICE, ledger=False, provenance=False)
    mine, theirs = world.digest("signed"), world.digest("other")
    _, body = world.registry.manifests[artifacts.signature_tag(theirs)]
    copied = json.loads(body)["layers"][0]
    sign_image(world.client, reference.parse(world.name("signed")), mine, ALICE.sign)  # keeps the valid one
    media, own = world.registry.manifests[artifacts.signature_tag(mine)]
    manifest = json.loads(own)
    manifest["layers"].append(copied)
    data = json.dumps(manifest).encode()
    world.client.push_manifest(reference.parse(world.name("signed")), artifacts.signature_tag(mine), data, media)
    report = world.verify("signed")
    assert not report.verified and report.piece("registry").status == "invalid"
    assert f"its payload names {theirs}" in str(report.piece("registry").reason)
    assert report.piece("ledger").status == "verified"


def test_a_signature_by_another_key_beside_ours_is_not_held_against_the_image(world: World) -> None:
    world.publish("signed", ALICE, provenance=False)
    sign_image(world.client, reference.parse(world.name("signed")), world.digest("signed"), BOB.sign)
    report = world.verify("signed")
    assert report.verified and report.piece("registry").status == "verified"


class OneImage(NoImages):
    def get(self, ref: str) -> LocalImage | None:
        return next((image for image in self.images if ref in image.tags), None)


def test_an_unlabelled_image_is_not_verified_without_asking_its_registry(tmp_path: Path) -> None:
    # A local image with a digest (as the containerd store gives every image) whose registry does not answer:
    # with no WALLET_PUBLIC label and no pinned signer no signature could count, so it is "not verified" (exit 1),
    # not "could not check" (exit 3).
    name = "127.0.0.1:9/team/base:1"
    image = LocalImage("sha256:" + "4" * 64, (name,), (f"127.0.0.1:9/team/base@sha256:{'5' * 64}",), {})
    report = verify_image(name, VerifyOptions(), Sources(OneImage([image]), RegistryClient(), DownLedger()))
    assert not report.verified and report.error is None
    assert report.piece("label").status == "absent"
    assert report.piece("registry").status == "absent" and "no signer" in str(report.piece("registry").reason)
    assert report.piece("provenance").status == "absent"

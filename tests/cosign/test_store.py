"""Signatures and attestations written into a registry as cosign stores them, and read back."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

import pytest

from goshfile.cosign import artifacts
from goshfile.cosign.store import attach_attestation, find_attestations, find_signatures, sign_image
from goshfile.images import reference
from goshfile.images.reference import Reference
from goshfile.images.registry import RegistryClient
from goshfile.keys.keypair import verify
from tests.images.fake_registry import Registry, serving
from tests.ledger.helpers import ALICE, BOB

PROOF = "0:" + "ab" * 32


@pytest.fixture(params=[False, True], ids=["tag-scheme-only", "referrers-api"])
def registry(request: pytest.FixtureRequest) -> Iterator[Registry]:
    with serving(Registry(referrers_api=request.param)) as served:
        served.image("v1", [b"layer one"], {"WALLET_PUBLIC": ALICE.public_hex})
        served.image("v2", [b"layer two"])
        yield served


def ref(registry: Registry, tag: str = "v1") -> Reference:
    return reference.parse(f"{registry.host}/team/app:{tag}")


def manifest(registry: Registry, target: str) -> Any:
    return json.loads(registry.manifests[target][1])


def test_a_signature_is_a_cosign_simple_signing_layer_under_the_sig_tag(registry: Registry) -> None:
    image = registry.manifests["v1"]
    digest = RegistryClient().manifest(ref(registry)).digest
    attached = sign_image(RegistryClient(), ref(registry), digest, ALICE.sign, PROOF)
    assert attached.tag == "sha256-" + digest.removeprefix("sha256:") + ".sig" and attached.added
    stored = manifest(registry, attached.tag)
    assert stored["mediaType"] == artifacts.OCI_MANIFEST
    config = json.loads(registry.blobs[stored["config"]["digest"]])
    assert config["rootfs"]["diff_ids"] == [attached.layer_digest] and config["created"] == artifacts.ZERO_TIME
    (layer,) = stored["layers"]
    assert layer["mediaType"] == "application/vnd.dev.cosign.simplesigning.v1+json"
    payload = registry.blobs[layer["digest"]]
    assert json.loads(payload)["critical"] == {
        "identity": {"docker-reference": f"{registry.host}/team/app"},
        "image": {"docker-manifest-digest": digest},
        "type": "cosign container image signature",
    }
    signature = base64.b64decode(layer["annotations"]["dev.cosignproject.cosign/signature"])
    assert verify(ALICE.public_hex, payload, signature)
    assert layer["annotations"]["dev.gosh.goshfile/proof"] == PROOF
    assert registry.manifests["v1"] == image  # the image itself is untouched


def test_signing_again_adds_nothing_and_another_key_adds_a_layer(registry: Registry) -> None:
    client = RegistryClient()
    digest = client.manifest(ref(registry)).digest
    first = sign_image(client, ref(registry), digest, ALICE.sign, PROOF)
    again = sign_image(client, ref(registry), digest, ALICE.sign, PROOF)
    assert not again.added and again.manifest_digest == first.manifest_digest
    assert len(manifest(registry, first.tag)["layers"]) == 1
    both = sign_image(client, ref(registry), digest, BOB.sign)
    assert both.added and len(manifest(registry, first.tag)["layers"]) == 2
    found = find_signatures(client, ref(registry), digest)
    assert len(found) == 2  # the referrer, when there is one, repeats a layer already found
    assert {f.layer.signature for f in found} == {
        base64.b64encode(key.sign(found[0].blob)).decode() for key in (ALICE, BOB)
    }


def test_a_referrer_goes_to_the_referrers_api_or_else_the_referrers_tag(registry: Registry) -> None:
    client = RegistryClient()
    digest = client.manifest(ref(registry)).digest
    attached = sign_image(client, ref(registry), digest, ALICE.sign, PROOF)
    assert attached.referrer is not None
    stored = manifest(registry, attached.referrer)
    assert stored["config"]["mediaType"] == artifacts.SIG_ARTIFACT
    size = len(registry.manifests["v1"][1])
    assert stored["subject"] == {"mediaType": artifacts.OCI_MANIFEST, "size": size, "digest": digest}
    fallback = "sha256-" + digest.removeprefix("sha256:")
    if registry.referrers_api:
        assert [e["digest"] for e in registry.referrers(digest)] == [attached.referrer]
        assert fallback not in registry.manifests
    else:
        assert client.referrers(ref(registry), digest) is None
        index = manifest(registry, fallback)
        assert [(e["digest"], e["artifactType"]) for e in index["manifests"]] == [
            (attached.referrer, artifacts.SIG_ARTIFACT)
        ]
    assert sign_image(client, ref(registry), digest, ALICE.sign, PROOF).referrer == attached.referrer
    sign_image(client, ref(registry), digest, BOB.sign)
    if registry.referrers_api:
        assert len(registry.referrers(digest)) == 2  # one per signature, none twice
    else:
        assert len(manifest(registry, fallback)["manifests"]) == 2


@pytest.mark.parametrize("api", [True, False])
def test_a_referrer_alone_is_found(api: bool) -> None:
    with serving(Registry(referrers_api=api)) as registry:
        registry.image("v1", [b"layer one"])
        client = RegistryClient()
        digest = client.manifest(ref(registry)).digest
        sign_image(client, ref(registry), digest, ALICE.sign)
        del registry.manifests[artifacts.signature_tag(digest)]
        (found,) = find_signatures(client, ref(registry), digest)
        assert found.where.startswith("referrer sha256:")


def test_an_attestation_is_a_dsse_layer_under_the_att_tag_replaced_by_the_same_key(registry: Registry) -> None:
    client = RegistryClient()
    digest = client.manifest(ref(registry)).digest
    first = attach_attestation(client, ref(registry), digest, b'{"a":1}', artifacts.SLSA_PROVENANCE_V1, "k1", PROOF)
    assert first.tag.endswith(".att")
    (layer,) = manifest(registry, first.tag)["layers"]
    assert layer["mediaType"] == "application/vnd.dsse.envelope.v1+json"
    assert layer["annotations"]["predicateType"] == "https://slsa.dev/provenance/v1"
    assert layer["annotations"]["dev.cosignproject.cosign/signature"] == ""
    assert not attach_attestation(
        client, ref(registry), digest, b'{"a":1}', artifacts.SLSA_PROVENANCE_V1, "k1", PROOF
    ).added
    attach_attestation(client, ref(registry), digest, b'{"a":2}', artifacts.SLSA_PROVENANCE_V1, "k1")
    attach_attestation(client, ref(registry), digest, b'{"b":1}', artifacts.SLSA_PROVENANCE_V1, "k2")
    assert [f.blob for f in find_attestations(client, ref(registry), digest)] == [b'{"a":2}', b'{"b":1}']


def test_nothing_stored_is_nothing_found(registry: Registry) -> None:
    client = RegistryClient()
    digest = client.manifest(ref(registry, "v2")).digest
    assert find_signatures(client, ref(registry, "v2"), digest) == []
    assert find_attestations(client, ref(registry, "v2"), digest) == []

"""The offline kit: saved from a registry and a ledger, verified from the file alone; a changed kit is refused."""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path

import pytest

from goshfile.cosign import artifacts
from goshfile.cosign.store import attach_attestation, envelope_bytes, sign_image
from goshfile.errors import InputError
from goshfile.images import reference
from goshfile.images.registry import RegistryClient
from goshfile.ledger.sqlite import SqliteLedger
from goshfile.provenance import dsse
from goshfile.provenance.statement import BuildRecord, encode, statement
from goshfile.verify.report import VerifyReport
from goshfile.workflows.kit import REF_NAME, KitLedger, KitRegistry, save_kit
from goshfile.workflows.verify import NoLocalImages, Sources, VerifyOptions, verify_image
from tests.images.fake_registry import Registry, serving
from tests.ledger.helpers import ALICE, isolate

EVERYTHING = VerifyOptions(require=frozenset({"ledger", "registry", "provenance"}), use_cache=False)


def saved(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, str]:
    isolate(tmp_path, monkeypatch)
    with serving(Registry()) as registry:
        registry.image("v1", [b"layer one", b"layer two"], {"WALLET_PUBLIC": ALICE.public_hex})
        image = f"{registry.host}/team/app:v1"
        ref, client = reference.parse(image), RegistryClient()
        digest = client.manifest(ref).digest
        ledger = SqliteLedger(tmp_path / "ledger.sqlite")
        proof = ledger.sign(ALICE, digest)
        sign_image(client, ref, digest, ALICE.sign, proof.address)
        envelope = dsse.sign(encode(statement(BuildRecord(image, digest, {}))), ALICE)
        attach_attestation(client, ref, digest, envelope_bytes(envelope.to_json()), artifacts.SLSA_PROVENANCE_V1, "k")
        kit = save_kit(image, tmp_path / "kit.tar", client, ledger, [ALICE.public_hex])
        ledger.close()
    assert (kit.digest, kit.proofs, kit.blobs) == (digest, 1, 3 + 2 + 2)  # config and layers of the image, .sig, .att
    return kit.path, image


def verify_kit(path: Path, image: str | None = None) -> VerifyReport:
    registry = KitRegistry(path)
    return verify_image(image or registry.image, EVERYTHING, Sources(NoLocalImages(), registry, KitLedger(registry)))


def test_a_kit_verifies_with_the_registry_gone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path, image = saved(tmp_path, monkeypatch)  # the registry has stopped: only the file is left
    report = verify_kit(path)
    assert report.verified, report.reason
    assert report.image == image
    with tarfile.open(path) as tar:
        names = tar.getnames()
    assert "oci-layout" in names and "index.json" in names and "goshfile-proofs.json" in names


def test_a_changed_blob_in_the_kit_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path, _ = saved(tmp_path, monkeypatch)
    with tarfile.open(path) as tar:
        files = {m.name: tar.extractfile(m).read() for m in tar.getmembers() if m.isfile()}  # type: ignore[union-attr]
    index = json.loads(files["index.json"])
    sig = next(e for e in index["manifests"] if e.get("annotations", {}).get(REF_NAME, "").endswith(".sig"))
    layer = json.loads(files[f"blobs/sha256/{sig['digest'][7:]}"])["layers"][0]["digest"]
    payload = bytearray(files[f"blobs/sha256/{layer[7:]}"])
    payload[-2] ^= 1
    files[f"blobs/sha256/{layer[7:]}"] = bytes(payload)
    changed = tmp_path / "changed.tar"
    with tarfile.open(changed, "w") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    report = verify_kit(changed)
    assert not report.verified
    assert "the kit was changed" in str(report.reason)


def test_a_file_that_is_not_a_kit_is_bad_input(tmp_path: Path) -> None:
    (tmp_path / "x.tar").write_bytes(b"not a tar")
    with pytest.raises(InputError, match="not a goshfile kit"):
        KitRegistry(tmp_path / "x.tar")

"""``goshfile keys export|import|trust`` and ``goshfile sign --image`` against the registry fake."""

from __future__ import annotations

import json
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from goshfile.cli.main import main
from goshfile.cosign.artifacts import signature_tag
from goshfile.keys import default_key_file, write_key_file
from goshfile.keys.formats import import_key, parse_public_key, pkcs8_pem
from goshfile.verify.trust import read_trusted_signers
from tests.images.fake_registry import Registry, digest, serving
from tests.ledger.helpers import ALICE, BOB, isolate


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = isolate(tmp_path, monkeypatch)
    write_key_file(default_key_file(), ALICE)
    return home


def test_export_pem_prints_the_public_key(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["keys", "export", "--format", "pem"]) == 0
    assert parse_public_key(capsys.readouterr().out) == ALICE.public_hex


def test_export_a_secret_to_a_file_of_mode_0600_and_never_over_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "wallet.key"
    assert main(["keys", "export", "--format", "pkcs8", "-o", str(out)]) == 0
    assert stat.S_IMODE(out.stat().st_mode) == 0o600 and import_key(out.read_bytes()) == ALICE
    assert ALICE.reveal_secret() not in capsys.readouterr().err
    assert main(["keys", "export", "--format", "pkcs8", "-o", str(out)]) == 2
    assert "already exists" in capsys.readouterr().err


def test_export_env_to_a_pipe_names_the_wallet(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["keys", "export", "--format", "env", "--wallet", "0:" + "7" * 64]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "export WALLET=0:" + "7" * 64,
        f"export WALLET_PUBLIC={ALICE.public_hex}",
        f"export WALLET_SECRET={ALICE.reveal_secret()}",
    ]


def test_import_a_pkcs8_key_as_the_wallet(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    key = tmp_path / "bob.key"
    key.write_text(pkcs8_pem(BOB))
    out = tmp_path / "bob.json"
    assert main(["keys", "import", "-o", str(out), str(key)]) == 0
    assert capsys.readouterr().out.strip() == BOB.public_hex
    assert json.loads(out.read_text())["public"] == BOB.public_hex and stat.S_IMODE(out.stat().st_mode) == 0o600


def test_trust_adds_a_key_to_the_trusted_signers(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["keys", "trust", BOB.public_hex, "bob"]) == 0
    assert [(s.public, s.name) for s in read_trusted_signers()] == [(BOB.public_hex, "bob")]


@pytest.fixture
def registry() -> Iterator[Registry]:
    with serving(Registry()) as served:
        served.image("v1", [b"one"], {"WALLET_PUBLIC": ALICE.public_hex})
        served.image("bob", [b"two"], {"WALLET_PUBLIC": BOB.public_hex})
        yield served


def test_sign_image_records_the_proof_and_a_registry_signature(
    registry: Registry, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    image = f"{registry.host}/team/app:v1"
    node = str(tmp_path / "node")
    assert main(["sign", "-n", node, "--image", image]) == 0
    address = capsys.readouterr().out.strip()
    image_digest = digest(registry.manifests["v1"][1])
    assert signature_tag(image_digest) in registry.manifests
    assert main(["check", "-n", node, ALICE.public_hex, image_digest]) == 0
    capsys.readouterr()
    assert main(["verify", "-n", node, "--require", "registry", "--json", image]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["evidence"]["registry"]["details"]["proof"] == address
    assert main(["sign", "-n", node, "--image", f"{registry.host}/team/app:bob"]) == 2
    assert f"names {BOB.public_hex}, not the signing key" in capsys.readouterr().err

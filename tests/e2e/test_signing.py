"""The seed's signing flow, verbatim with goshfile in place of sign-cli, and image verification."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from goshfile.keys.keypair import KeyPair
from tests.e2e.helpers import Images, buildx, run, write

pytestmark = pytest.mark.docker
SEED = Path(__file__).resolve().parents[2] / "examples" / "seed"
GOSHFILE = str(Path(sys.executable).parent / "goshfile")


@pytest.fixture
def wallet(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """A fresh wallet in the environment, as the seed exports it, and a private local node."""
    pair = KeyPair.generate()
    env = {
        "WALLET": "0:" + "77" * 32,
        "WALLET_PUBLIC": pair.public_hex,
        "WALLET_SECRET": pair.reveal_secret(),
        "GOSHFILE_HOME": str(tmp_path / "goshfile-home"),
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("GOSH_NETWORK", raising=False)
    return env


def goshfile(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([GOSHFILE, *args], capture_output=True, text=True, env=os.environ.copy(), check=False)


def pushed_seed(tmp_path: Path, images: Images, registry: str, public: str, name: str = "signed") -> tuple[str, str]:
    ctx = tmp_path / name
    ctx.mkdir()
    shutil.copy(SEED / "goshfile.yaml", ctx / "goshfile.yaml")
    image = images.name(name, registry)
    built = buildx(ctx, "--push", "--label", f"WALLET_PUBLIC={public}", "-t", image)
    assert built.returncode == 0, built.output
    assert run(["docker", "pull", image]).returncode == 0
    fmt = '{{index (split (index .RepoDigests 0) "@") 1}}'
    digest = run(["docker", "inspect", f"--format={fmt}", image]).output.strip()
    assert digest.startswith("sha256:"), digest
    return image, digest


def test_the_seed_flow_signs_checks_and_verifies(
    tmp_path: Path, wallet: dict[str, str], images: Images, registry: str
) -> None:
    image, digest = pushed_seed(tmp_path, images, registry, wallet["WALLET_PUBLIC"])
    node = str(tmp_path / "node")
    signed = goshfile(
        "sign", "-n", node, "-g", wallet["WALLET"], "-s", wallet["WALLET_SECRET"], wallet["WALLET_SECRET"], digest
    )
    assert signed.returncode == 0, signed.stderr
    address = signed.stdout.strip()
    assert address.startswith("0:") and len(address) == 66
    assert goshfile("addr", "-n", node, wallet["WALLET_PUBLIC"], digest).stdout.strip() == address
    check = goshfile("check", "-n", node, wallet["WALLET_PUBLIC"], digest)
    assert (check.returncode, check.stdout.strip()) == (0, "true")
    other = KeyPair.generate().public_hex
    check = goshfile("check", "-n", node, other, digest)
    assert (check.returncode, check.stdout.strip()) == (1, "false")

    verified = goshfile("verify", "-n", node, "--json", image)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    result = json.loads(verified.stdout)
    ledger = result["evidence"]["ledger"]["details"]
    assert (result["verified"], result["signer"], ledger["content"]) == (True, wallet["WALLET_PUBLIC"], digest)
    assert ledger["address"] == address and result["evidence"]["registry"]["status"] == "absent"

    # After docker rmi and a pull, and straight from the registry with no local copy.
    assert run(["docker", "rmi", "-f", image]).returncode == 0
    assert goshfile("verify", "-n", node, image).returncode == 0
    assert run(["docker", "pull", image]).returncode == 0
    again = goshfile("verify", "-n", node, image)
    assert again.returncode == 0 and again.stdout.startswith(f"verified: {image} signed by {wallet['WALLET_PUBLIC']}")


def test_unsigned_relabelled_and_tampered_images_do_not_verify(
    tmp_path: Path, wallet: dict[str, str], images: Images, registry: str
) -> None:
    node = str(tmp_path / "node")
    image, digest = pushed_seed(tmp_path, images, registry, wallet["WALLET_PUBLIC"], "unsigned")
    unsigned = goshfile("verify", "-n", node, "--no-content-hash", image)
    assert unsigned.returncode == 1 and f"no proof that {wallet['WALLET_PUBLIC']} signed {digest}" in unsigned.stdout
    assert unsigned.stdout.startswith(f"NOT verified: {image}: no valid signature")
    assert goshfile("sign", "-n", node, wallet["WALLET_SECRET"], digest).returncode == 0
    assert goshfile("verify", "-n", node, image).returncode == 0

    other = KeyPair.generate().public_hex
    relabelled, _ = pushed_seed(tmp_path, images, registry, other, "relabelled")
    result = goshfile("verify", "-n", node, "--no-content-hash", relabelled)
    assert result.returncode == 1 and f"no proof that {other} signed" in result.stdout

    ctx = write(tmp_path / "tampered", {"goshfile.yaml": (SEED / "goshfile.yaml").read_text().replace("Hi", "Bye")})
    assert buildx(ctx, "--push", "--label", f"WALLET_PUBLIC={wallet['WALLET_PUBLIC']}", "-t", image).returncode == 0
    tampered = goshfile("verify", "-n", node, "--no-content-hash", image)
    assert tampered.returncode == 1 and "no proof that" in tampered.stdout

    bare = images.name("nolabel")
    assert buildx(ctx, "-t", bare).returncode == 0
    assert "no WALLET_PUBLIC label" in goshfile("verify", "-n", node, bare).stdout
    assert goshfile("verify", "-n", node, bare).returncode == 1


def test_build_push_sign_verifies_with_provenance_and_leaks_no_secret(
    tmp_path: Path, wallet: dict[str, str], images: Images, registry: str
) -> None:
    ctx = write(tmp_path / "ctx", {"goshfile.yaml": (SEED / "goshfile.yaml").read_text()})
    image = images.name("published", registry)
    built = goshfile(
        "build",
        str(ctx),
        "-t",
        image,
        "--push",
        "--sign",
        "--progress",
        "plain",
        "--frontend-image",
        "teamgosh/goshfile:latest",
    )
    assert built.returncode == 0, built.stderr
    assert f"goshfile: verified: {image} signed by {wallet['WALLET_PUBLIC']}" in built.stderr
    checked = goshfile("verify", "--provenance", "--json", image)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    result = json.loads(checked.stdout)
    statement = result["evidence"]["provenance"]["details"]["statement"]
    assert statement["subject"][0]["digest"]["sha256"] == result["digest"].removeprefix("sha256:")
    deps = statement["predicate"]["buildDefinition"]["resolvedDependencies"]
    assert deps[0]["uri"].startswith("docker-image://docker.io/library/bash:latest")

    # The secret is nowhere: not in the output, the config, labels, history or any layer.
    secret = wallet["WALLET_SECRET"]
    saved = subprocess.run(["docker", "save", image], capture_output=True, check=True).stdout
    inspect = run(["docker", "inspect", image]).output
    history = run(["docker", "history", "--no-trunc", image]).output
    for text in (built.stdout, built.stderr, checked.stdout, checked.stderr, inspect, history):
        assert secret not in text
    assert secret.encode() not in saved
    for envelope in (Path(wallet["GOSHFILE_HOME"]) / "provenance").iterdir():
        assert secret.encode() not in envelope.read_bytes()


def test_a_signed_content_hash_verifies_locally_and_from_the_registry(
    tmp_path: Path, images: Images, registry: str, wallet: dict[str, str]
) -> None:
    """GOSH's Docker extension signed the image's gosh-v1 hash, not its digest: that verifies too."""
    image, digest = pushed_seed(tmp_path, images, registry, wallet["WALLET_PUBLIC"], "content-signed")
    hashed = goshfile("image-hash", "--algorithm", "gosh-v1", "--no-progress", image)
    assert hashed.returncode == 0, hashed.stderr
    content = hashed.stdout.strip()
    signed = goshfile("sign", "-s", wallet["WALLET_SECRET"], wallet["WALLET_SECRET"], content)
    assert signed.returncode == 0, signed.stderr
    for where in ("local", "registry"):
        verified = goshfile("verify", "--json", image)
        result = json.loads(verified.stdout)
        assert verified.returncode == 0 and result["verified"], (where, result)
        found = result["evidence"]["content_hash"]["details"]
        assert (found["kind"], found["content"]) == ("content hash", content), where
        assert result["evidence"]["ledger"]["status"] == "absent" and digest in result["evidence"]["ledger"]["reason"]
        assert run(["docker", "rmi", "-f", image]).returncode == 0  # the second round reads the registry

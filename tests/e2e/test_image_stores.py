"""What the containerd image store changes: BuildKit's own rewrite and provenance, beside goshfile's."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from goshfile.keys.keypair import KeyPair
from tests.e2e.helpers import Engine, Images, run, saved_digests, write

pytestmark = pytest.mark.docker
SEED = Path(__file__).resolve().parents[2] / "examples" / "seed"
GOSHFILE = str(Path(sys.executable).parent / "goshfile")
FRONTEND = ["--frontend-image", "teamgosh/goshfile:latest"]


def goshfile(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([GOSHFILE, *args], capture_output=True, text=True, env=os.environ.copy(), check=False)


def registry_json(registry: str, repo: str, kind: str, digest: str) -> dict[str, Any]:
    """A manifest or blob of ``repo`` from the local registry, parsed."""
    accept = "application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json"
    req = urllib.request.Request(f"http://{registry}/v2/{repo}/{kind}/{digest}", headers={"Accept": accept})
    with urllib.request.urlopen(req, timeout=10) as res:
        parsed: dict[str, Any] = json.loads(res.read())
    return parsed


@pytest.fixture
def wallet(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A fresh wallet key in the environment and a private local node; returns the public key."""
    pair = KeyPair.generate()
    monkeypatch.setenv("WALLET_SECRET", pair.reveal_secret())
    monkeypatch.setenv("GOSHFILE_HOME", str(tmp_path / "goshfile-home"))
    monkeypatch.delenv("GOSH_NETWORK", raising=False)
    return pair.public_hex


def test_buildkits_provenance_sits_beside_goshfiles_signed_one(
    tmp_path: Path, engine: Engine, wallet: str, images: Images, registry: str
) -> None:
    ctx = write(tmp_path / "ctx", {"goshfile.yaml": (SEED / "goshfile.yaml").read_text()})
    image = images.name("two-provenances", registry)
    built = goshfile(
        "build", str(ctx), "-t", image, "--push", "--sign", "--buildkit-provenance", "mode=max", "--json", *FRONTEND
    )
    if not engine.containerd_store:
        assert built.returncode != 0, built.stderr  # refused before building, naming the engine that can
        assert "provenance attestation needs an engine with the containerd image store" in built.stderr
        assert "scripts/current-engine.sh env" in built.stderr
        return
    assert built.returncode == 0, built.stderr
    assert f"goshfile: verified: {image} signed by {wallet}" in built.stderr
    outcome = json.loads(built.stdout)
    assert outcome["image_id"] == outcome["digest"]
    repo, tag = image.removeprefix(f"{registry}/").rsplit(":", 1)

    # BuildKit's: an attestation manifest in the pushed index, pointing at the image manifest
    index = registry_json(registry, repo, "manifests", tag)
    by_type = {m.get("annotations", {}).get("vnd.docker.reference.type", "image"): m for m in index["manifests"]}
    assert set(by_type) == {"image", "attestation-manifest"}, index
    attestation = by_type["attestation-manifest"]
    assert attestation["annotations"]["vnd.docker.reference.digest"] == by_type["image"]["digest"]
    [layer] = registry_json(registry, repo, "manifests", attestation["digest"])["layers"]
    assert layer["annotations"]["in-toto.io/predicate-type"] == "https://slsa.dev/provenance/v0.2"
    statement = registry_json(registry, repo, "blobs", layer["digest"])
    assert statement["subject"][0]["digest"]["sha256"] == by_type["image"]["digest"].removeprefix("sha256:")
    assert "buildConfig" in statement["predicate"], "mode=max records the build's LLB"

    # goshfile's: signed with the wallet key over the pushed (index) digest, checked by verify
    checked = goshfile("verify", "--provenance", "--json", image)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    ours = json.loads(checked.stdout)["evidence"]["provenance"]["details"]["statement"]
    deps = ours["predicate"]["buildDefinition"]["resolvedDependencies"]
    assert deps[0]["uri"].startswith("docker-image://docker.io/library/bash:latest")


def test_each_store_names_the_image_its_own_way(tmp_path: Path, engine: Engine, images: Images) -> None:
    text = "apiVersion: 1\nimage: bash:latest\nsteps:\n  - name: add\n    copy: {src: a.txt, dst: /a.txt}\n"
    ctx = write(tmp_path, {"goshfile.yaml": text, "a.txt": "a\n"})
    image = images.name("ids")
    built = goshfile("build", str(ctx), "-t", image, "--source-date-epoch", "1700000000", *FRONTEND)
    assert built.returncode == 0, built.stderr
    image_id = json.loads(run(["docker", "image", "inspect", image]).output)[0]["Id"]
    assert built.stdout.strip() == image_id
    manifest, config = saved_digests(image)
    if engine.containerd_store:
        # the image ID is the manifest's digest; BuildKit set the file times during the build
        assert image_id == manifest != config
        assert "BuildKit sets the file times" in built.stderr and "file times set:" not in built.stderr
    else:
        # the image ID is the config's digest, after goshfile set the file times
        assert image_id == config != manifest
        assert "file times set:" in built.stderr

"""Push to the local registry and pull back: the pulled image's RepoDigests is the registry's digest."""

from __future__ import annotations

import shutil
import urllib.request
from pathlib import Path

import docker
import pytest

from tests.e2e.helpers import Images, buildx, image_run, run

pytestmark = pytest.mark.docker
SEED = Path(__file__).resolve().parents[2] / "examples" / "seed"
MANIFEST_TYPES = ", ".join(
    [
        "application/vnd.oci.image.index.v1+json",
        "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
        "application/vnd.docker.distribution.manifest.v2+json",
    ]
)


def registry_digest(registry: str, repo: str, tag: str) -> str:
    """The digest the registry serves for ``repo:tag`` (its Docker-Content-Digest header)."""
    req = urllib.request.Request(
        f"http://{registry}/v2/{repo}/manifests/{tag}", method="HEAD", headers={"Accept": MANIFEST_TYPES}
    )
    with urllib.request.urlopen(req, timeout=10) as res:
        return str(res.headers["Docker-Content-Digest"])


def test_push_then_pull_gives_the_registry_digest(tmp_path: Path, images: Images, registry: str) -> None:
    shutil.copy(SEED / "goshfile.yaml", tmp_path / "goshfile.yaml")
    image = images.name("pushed", registry)
    result = buildx(tmp_path, "-t", image, "--label", "WALLET_PUBLIC=abc", "--push")
    assert result.returncode == 0, result.output
    repo, tag = image.removeprefix(f"{registry}/").rsplit(":", 1)
    digest = registry_digest(registry, repo, tag)
    assert digest.startswith("sha256:")

    assert run(["docker", "rmi", "-f", image]).returncode == 0
    pulled = run(["docker", "pull", image])
    assert pulled.returncode == 0, pulled.output
    attrs = docker.from_env().images.get(image).attrs
    assert f"{registry}/{repo}@{digest}" in attrs["RepoDigests"]
    assert attrs["Config"]["Labels"]["WALLET_PUBLIC"] == "abc"
    assert image_run(image, "cat", "/message.txt").splitlines()[1] == "Hi there"

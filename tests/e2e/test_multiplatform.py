"""``--platform a,b``: one image config per platform, pushed as an image index (containerd image store).

The platforms need no emulation: ``image: scratch`` with copy steps, and a base image for a
second architecture made from Debian's busybox-static of that architecture (downloaded by the
set-up, unpacked here, never run).
"""

from __future__ import annotations

import json
import os
import platform as host_platform
import subprocess
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from goshfile.cli.main import main
from tests.e2e.helpers import Engine, Images, buildx, run, write

pytestmark = pytest.mark.docker
FRONTEND = ["--frontend-image", "teamgosh/goshfile:latest"]
NATIVE = "arm64" if host_platform.machine() == "aarch64" else "amd64"
OTHER = "amd64" if NATIVE == "arm64" else "arm64"
TWO = f"linux/{NATIVE},linux/{OTHER}"
STATE = Path(os.environ.get("GOSHFILE_STATE", "/var/lib/goshfile-dev"))

SCRATCH = """# syntax=teamgosh/goshfile
apiVersion: 1
image: scratch
labels: {org.opencontainers.image.title: two-platforms}
steps:
  - name: add the message
    copy: {src: message.txt, dst: /message.txt}
"""


def skopeo_raw(image: str, *more: str) -> dict[str, Any]:
    """``skopeo inspect --raw`` (or ``--config`` with ``more``) of ``image`` in the plain-HTTP local registry."""
    res = run(["skopeo", "inspect", "--tls-verify=false", "--raw", *more, f"docker://{image}"])
    assert res.returncode == 0, res.output
    parsed: dict[str, Any] = json.loads(res.output)
    return parsed


def platforms_of(index: dict[str, Any]) -> dict[str, str]:
    """platform ``os/arch`` -> manifest digest, for the image manifests of an index."""
    return {
        f"{m['platform']['os']}/{m['platform']['architecture']}": m["digest"]
        for m in index["manifests"]
        if m["platform"]["os"] != "unknown"
    }


def test_two_platforms_push_an_index_with_one_config_each(
    tmp_path: Path, engine: Engine, images: Images, registry: str, capsys: pytest.CaptureFixture[str]
) -> None:
    write(tmp_path, {"goshfile.yaml": SCRATCH, "message.txt": "from every platform\n"})
    image = images.name("two-platforms", registry)
    args = ["build", str(tmp_path), "-t", image, "--platform", TWO, "--push", "--progress", "plain", "--json"]
    status = main([*args, *FRONTEND])
    out, err = capsys.readouterr()
    if not engine.containerd_store:
        assert status != 0, err  # could not: the classic store holds no index, and the user is told where to go
        assert "cannot hold: build on an engine with the containerd image store" in err
        assert "scripts/current-engine.sh env" in err
        return
    assert status == 0, err
    outcome = json.loads(out)
    image_id, digest = outcome["image_id"], outcome["digest"]
    index = skopeo_raw(image)
    assert index["mediaType"] == "application/vnd.oci.image.index.v1+json", index
    assert set(platforms_of(index)) == {f"linux/{NATIVE}", f"linux/{OTHER}"}
    assert digest == image_id  # the engine names the image by its index digest, and that is what was pushed
    repo = image.rsplit(":", 1)[0]
    for plat, manifest in platforms_of(index).items():
        config = skopeo_raw(f"{repo}@{manifest}", "--config")
        assert f"{config['os']}/{config['architecture']}" == plat
        assert config["config"]["Labels"]["org.opencontainers.image.title"] == "two-platforms"
        created = {datetime.fromisoformat(config["created"]), datetime.fromisoformat(config["history"][0]["created"])}
        assert len(created) == 1, config  # SOURCE_DATE_EPOCH for both


def test_a_run_step_for_a_platform_the_engine_cannot_run_fails_before_building(
    tmp_path: Path, engine: Engine, images: Images
) -> None:
    text = SCRATCH + "  - name: list\n    run: {command: [/bin/ls, /]}\n"
    write(tmp_path, {"goshfile.yaml": text, "message.txt": "hi\n"})
    said = f"goshfile.yaml:9:10: steps[1].run: step 'list' runs a program, and this engine cannot run linux/{OTHER}"
    for platforms in (f"linux/{OTHER}", TWO):
        result = buildx(tmp_path, "--platform", platforms, "-t", images.name("cannot-run"))
        assert result.returncode != 0
        if engine.containerd_store or platforms != TWO:
            assert said in result.output and "[1/2] add the message" not in result.output, result.output
        else:  # on the classic store buildx's docker driver refuses several platforms itself
            assert "Multi-platform build is not supported for the docker driver" in result.output, result.output


def rootfs_tar(folder: Path, arch: str) -> Path:
    """A busybox rootfs of ``arch`` as a tar, from Debian's busybox-static package (or this machine's binary)."""
    root = folder / f"root-{arch}"
    (root / "bin").mkdir(parents=True)
    if arch == NATIVE:
        (root / "bin" / "busybox").write_bytes(Path("/bin/busybox").read_bytes())
    else:
        debs = sorted((STATE / "debs").glob(f"busybox-static_*_{arch}.deb"))
        assert debs, f"no busybox-static {arch} package in {STATE / 'debs'}: run scripts/setup.sh"
        unpacked = folder / f"deb-{arch}"
        subprocess.run(["dpkg-deb", "-x", str(debs[-1]), str(unpacked)], check=True)
        (root / "bin" / "busybox").write_bytes((unpacked / "bin" / "busybox").read_bytes())
    (root / "bin" / "busybox").chmod(0o755)
    (root / "bin" / "sh").symlink_to("busybox")
    tar = folder / f"rootfs-{arch}.tar"
    subprocess.run(["tar", "-C", str(root), "--numeric-owner", "-cf", str(tar), "."], check=True)
    return tar


def test_a_two_platform_base_image_is_resolved_per_platform(
    tmp_path: Path, engine: Engine, images: Images, registry: str, capsys: pytest.CaptureFixture[str]
) -> None:
    base_ctx = tmp_path / "base"
    base_ctx.mkdir()
    for arch in (NATIVE, OTHER):
        rootfs_tar(base_ctx, arch)
    (base_ctx / "Dockerfile").write_text("FROM scratch\nARG TARGETARCH\nADD rootfs-${TARGETARCH}.tar /\n")
    base = images.name("busybox-two", registry)
    made = run(
        ["docker", "buildx", "build", "--provenance=false", "--platform", TWO, "-t", base, "--push", str(base_ctx)]
    )
    if not engine.containerd_store:
        # buildx's docker driver exports several platforms only from the containerd image store
        assert made.returncode != 0 and "Multi-platform build is not supported" in made.output, made.output
        return
    assert made.returncode == 0, made.output
    base_platforms = platforms_of(skopeo_raw(base))

    app = tmp_path / "app"
    text = f"apiVersion: 1\nimage: {base}\nsteps:\n  - name: add\n    copy: {{src: a.txt, dst: /a.txt}}\n"
    write(app, {"goshfile.yaml": text})
    write(app, {"a.txt": "a\n"})
    image = images.name("on-two-bases", registry)
    status = main(["build", str(app), "-t", image, "--platform", TWO, "--push", "--progress", "plain", *FRONTEND])
    _, err = capsys.readouterr()
    assert status == 0, err
    repo = image.rsplit(":", 1)[0]
    index_digest = run(["skopeo", "inspect", "--tls-verify=false", "--format", "{{.Digest}}", f"docker://{base}"])
    base_configs = set()
    for plat, manifest in platforms_of(skopeo_raw(image)).items():
        config = skopeo_raw(f"{repo}@{manifest}", "--config")
        labels = config["config"]["Labels"]
        # each platform's image sits on its own platform's base: pinned by digest, its config recorded
        name, pin = labels["goshfile.base"].split("@")
        assert name == base and pin in {index_digest.output.strip(), base_platforms[plat]}, labels
        base_configs.add(labels["goshfile.base.config"])
        assert config["architecture"] == plat.split("/")[1]
        assert len(config["rootfs"]["diff_ids"]) == 2
    assert len(base_configs) == 2, "one base config per platform"
    native_layers = skopeo_raw(f"{repo}@{platforms_of(skopeo_raw(image))[f'linux/{NATIVE}']}")["layers"]
    other_layers = skopeo_raw(f"{repo}@{platforms_of(skopeo_raw(image))[f'linux/{OTHER}']}")["layers"]
    assert native_layers[0]["digest"] != other_layers[0]["digest"]  # two busyboxes, one per architecture
    assert native_layers[1]["digest"] == other_layers[1]["digest"]  # the same copied file

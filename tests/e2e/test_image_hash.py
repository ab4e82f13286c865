"""`goshfile image-hash` against the real engine: gosh-v1 equals GOSH's shell pipeline, v2 sees what v1 cannot."""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from pathlib import Path

import docker
import pytest

from goshfile.cli.main import main
from goshfile.images.content_hash import GOSH_V1, GOSHFILE_V2, image_hash
from tests.e2e.helpers import Images, buildx, write
from tests.images.layertars import (
    CAP_NET_RAW,
    chardev,
    dir_,
    docker_archive,
    fifo,
    hard,
    layer,
    opaque,
    reg,
    sym,
    whiteout,
)

pytestmark = pytest.mark.docker

# GOSH's Docker extension (docker-extension/vm/commands/gosh-image-sha.sh), errors ignored as there.
GOSH_SCRIPT = """
cid=$(docker create "$1" /bin/sh) || exit 1
docker export "$cid" | tar --exclude=etc/mtab --exclude=proc --exclude=dev -xf - 2>/dev/null
h=$(find . -type f -exec sha256sum -b {} + | LC_ALL=C sort | sha256sum | awk '{ print $1 }')
docker rm -fv "$cid" >/dev/null
echo "sha256:$h"
"""

BUILT = """FROM bash:latest
RUN mkdir -p /data/sub && echo 1 > /data/sub/a && echo 2 > /data/b
COPY hosts /etc/hosts
RUN set -e; rm -rf /data && mkdir -p /data && echo 3 > /data/c; \\
    printf secret > /usr/local/bin/suid && chmod 4755 /usr/local/bin/suid; \\
    ln -s /usr/local/bin/suid /usr/local/bin/suid-link; \\
    ln /etc/passwd /etc/passwd-hard; rm /etc/group; \\
    mkdir -p /usr/lib/dev /opt/proc && echo d > /usr/lib/dev/x && echo p > /opt/proc/y; \\
    touch "/tmp/$(printf 'new\\nline')" "/tmp/back\\\\slash" "/tmp/sp ace"; chmod 2750 /tmp
"""

CRAFTED_LOWER = layer(
    dir_("etc"),
    reg("etc/hosts", b"1.2.3.4 own"),
    reg("etc/mtab", b"not a symlink"),
    reg("etc/passwd", b"root:x:0:0::/root:/bin/sh\n"),
    dir_(".dockerenv"),
    reg(".dockerenv/inside", b"hidden by docker create"),
    dir_("bin"),
    reg("bin/tool", b"tool", 0o4755),
    reg("bin/capped", b"capped", 0o755, cap=CAP_NET_RAW),
    sym("bin/link", "tool"),
    sym("bin/dangling", "/nowhere"),
    dir_("data", 0o750, 1000, 1000),
    reg("data/a", b"a"),
    reg("data/b", b"b", uid=1000, gid=1000),
    dir_("data/sub"),
    reg("data/sub/c", b"c"),
    dir_("names"),
    reg("names/new\nline", b"1"),
    reg("names/back\\slash", b"2"),
    reg("names/carriage\rreturn", b"3"),
    reg(b"names/latin1-\xe9", b"4"),
    reg("names/sp ace", b"5"),
    reg("names/dup", b"same"),
    reg("names/dup\x01", b"same"),
    dir_("a"),
    dir_("a/dev"),
    reg("a/dev/x", b"linked from outside dev"),
    dir_("b"),
    hard("b/x", "a/dev/x"),
    dir_("c"),
    reg("c/one", b"1"),
    hard("c/two", "c/one"),
    dir_("usr"),
    dir_("usr/proc"),
    reg("usr/proc/p", b"p"),
    reg("usr/devx", b"dx"),
    dir_("opt"),
    chardev("opt/null", 1, 3),
    fifo("opt/pipe"),
    reg("sys", b"a file where docker create puts a directory"),
)
CRAFTED_UPPER = layer(
    dir_("data"),
    opaque("data"),
    reg("data/new", b"n"),
    dir_("bin"),
    whiteout("bin/link"),
    reg("etc/passwd", b"changed"),  # no entry for etc: the engine makes it 0755 root in this layer
    reg("c/one", b"replaced"),  # c/two keeps the old content
    dir_("usr", 0o700),
)
MODE_ONLY = layer(dir_("bin"), reg("bin/tool", b"tool", 0o755))
CONTENT = layer(dir_("bin"), reg("bin/tool", b"TOOL", 0o4755))


def gosh_pipeline(image: str) -> str:
    """The hash GOSH's shell pipeline prints for ``image``."""
    with tempfile.TemporaryDirectory(prefix="gosh-image-sha-") as work:
        proc = subprocess.run(
            ["bash", "-c", GOSH_SCRIPT, "gosh-image-sha", image],
            cwd=work,
            env={**os.environ, "LC_ALL": "C"},
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip()


def load(images: Images, base: str, layers: list[bytes]) -> str:
    """`docker load` an image made of ``layers``; return its name."""
    name = images.name(base)
    docker.from_env().images.load(docker_archive(layers, name))
    return name


def build(images: Images, folder: Path, base: str, dockerfile: str, files: dict[str, str] | None = None) -> str:
    """Build ``dockerfile`` with buildx's builtin Dockerfile frontend; return the image name."""
    write(folder, {"Dockerfile": dockerfile, **(files or {})})
    name = images.name(base)
    result = buildx(folder, "-t", name, file="Dockerfile")
    assert result.returncode == 0, result.output
    return name


def hashes(image: str) -> dict[tuple[str, str], str]:
    """Both algorithms through both layer sources."""
    return {
        (algorithm, source): image_hash(image, algorithm, source=source).digest
        for algorithm in (GOSH_V1, GOSHFILE_V2)
        for source in ("storage", "save")
    }


def assert_v1_is_the_pipeline(image: str) -> dict[str, str]:
    """gosh-v1 equals the shell pipeline; both sources agree; return {algorithm: hash}."""
    got = hashes(image)
    assert got[GOSH_V1, "storage"] == got[GOSH_V1, "save"], image
    assert got[GOSHFILE_V2, "storage"] == got[GOSHFILE_V2, "save"], image
    assert got[GOSH_V1, "save"] == gosh_pipeline(image), image
    return {GOSH_V1: got[GOSH_V1, "save"], GOSHFILE_V2: got[GOSHFILE_V2, "save"]}


@pytest.mark.parametrize("image", ["bash:latest", "goshfile/python-base:bookworm"])
def test_v1_equals_the_shell_pipeline_on_local_base_images(engine: None, image: str) -> None:
    assert_v1_is_the_pipeline(image)


def test_v1_equals_the_shell_pipeline_on_a_built_image_and_only_v2_sees_a_mode_change(
    images: Images, tmp_path: Path
) -> None:
    built = build(images, tmp_path / "built", "hash-built", BUILT, {"hosts": "1.2.3.4 own-hosts\n"})
    original = assert_v1_is_the_pipeline(built)
    mode = build(images, tmp_path / "mode", "hash-mode", f"FROM {built}\nRUN chmod u-s /usr/local/bin/suid\n")
    changed_mode = assert_v1_is_the_pipeline(mode)
    assert changed_mode[GOSH_V1] == original[GOSH_V1]
    assert changed_mode[GOSHFILE_V2] != original[GOSHFILE_V2]
    content = build(images, tmp_path / "content", "hash-content", f"FROM {built}\nRUN echo 4 > /data/c\n")
    changed_content = hashes(content)
    assert changed_content[GOSH_V1, "save"] != original[GOSH_V1]
    assert changed_content[GOSHFILE_V2, "save"] != original[GOSHFILE_V2]


def test_v1_equals_the_shell_pipeline_on_crafted_layers(images: Images) -> None:
    """Whiteouts, an opaque directory, hard links, devices, setuid, capabilities, odd names, init-layer paths."""
    crafted = load(images, "hash-crafted", [CRAFTED_LOWER, CRAFTED_UPPER])
    original = assert_v1_is_the_pipeline(crafted)
    mode = load(images, "hash-crafted-mode", [CRAFTED_LOWER, CRAFTED_UPPER, MODE_ONLY])
    changed_mode = assert_v1_is_the_pipeline(mode)
    assert changed_mode[GOSH_V1] == original[GOSH_V1]
    assert changed_mode[GOSHFILE_V2] != original[GOSHFILE_V2]
    content = load(images, "hash-crafted-content", [CRAFTED_LOWER, CRAFTED_UPPER, CONTENT])
    changed_content = hashes(content)
    assert changed_content[GOSH_V1, "save"] != original[GOSH_V1]
    assert changed_content[GOSHFILE_V2, "save"] != original[GOSHFILE_V2]


def test_the_command_prints_the_hash(images: Images, capsys: pytest.CaptureFixture[str]) -> None:
    crafted = load(images, "hash-cli", [CRAFTED_LOWER])
    assert main(["image-hash", "--algorithm", "gosh-v1", "--no-progress", crafted]) == 0
    assert capsys.readouterr().out.strip() == gosh_pipeline(crafted)
    assert main(["image-hash", "--json", "--source", "save", crafted]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["algorithm"] == "goshfile-v2" and out["source"] == "save"
    assert out["hash"] == image_hash(crafted, source="storage").digest
    assert out["image_id"].startswith("sha256:") and out["files"] > 10


def test_an_unknown_image_is_an_error(engine: None, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["image-hash", "goshfile-e2e/no-such-image:none"]) == 3  # its registry cannot be reached either
    assert "no image 'goshfile-e2e/no-such-image:none'" in capsys.readouterr().err


def test_a_pushed_image_hashes_the_same_from_its_registry(
    images: Images, registry: str, capsys: pytest.CaptureFixture[str]
) -> None:
    crafted = load(images, "hash-pushed-src", [CRAFTED_LOWER, CRAFTED_UPPER])
    local = assert_v1_is_the_pipeline(crafted)
    remote = images.name("hash-pushed", registry)
    engine = docker.from_env()
    engine.images.get(crafted).tag(remote)
    repository, tag = remote.rsplit(":", 1)
    assert not any("error" in event for event in engine.api.push(repository, tag, stream=True, decode=True))
    engine.images.remove(remote)  # the name is only in the registry now
    for algorithm in (GOSH_V1, GOSHFILE_V2):
        assert main(["image-hash", "--json", "--algorithm", algorithm, "--no-progress", remote]) == 0
        out = json.loads(capsys.readouterr().out)
        assert (out["source"], out["hash"]) == ("registry", local[algorithm])
        assert out["image_id"] == engine.images.get(crafted).id  # the same config digest

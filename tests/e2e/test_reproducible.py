"""Reproducible builds on the real engine: two clean builds of the same inputs give one image and one digest."""

from __future__ import annotations

import io
import json
import re
import tarfile
import time
from pathlib import Path

import docker
import pytest

from goshfile.cli.main import main
from tests.e2e.helpers import Images, image_run, write
from tests.gosh.helpers import commit, git, work_repo

pytestmark = pytest.mark.docker
FRONTEND = ["--frontend-image", "teamgosh/goshfile:latest"]

GOSHFILE = """apiVersion: 1
image: bash:latest
steps:
  - name: add the source
    copy: {src: src/, dst: /app/src/}
  - name: build
    run:
      command: [/usr/local/bin/bash, -c, "mkdir -p /app/out; cat /app/src/*.txt > /app/out/all.txt; touch /app/out/t"]
"""


def checkout(origin: Path, where: Path) -> Path:
    """A fresh clone: its files get this moment's modification times, as on another machine."""
    git("clone", "--quiet", str(origin), str(where), cwd=origin.parent)
    return where


def build(context: Path, image: str, capsys: pytest.CaptureFixture[str]) -> tuple[str, str, str]:
    """``goshfile build --no-cache --push``: (image ID, pushed digest, the engine's own image ID before the rewrite)."""
    status = main(
        ["build", str(context), "-t", image, "--no-cache", "--push", "--progress", "plain", "--json", *FRONTEND]
    )
    out, err = capsys.readouterr()
    assert status == 0, err
    outcome = json.loads(out)
    image_id, digest = outcome["image_id"], outcome["digest"]
    assert outcome["tags"] == [image] and outcome["error"] is None and outcome["proof"] is None
    assert f"goshfile: pushed {image}@{digest}" in err
    rewritten = re.search(r"file times set: (sha256:[0-9a-f]{64}) became (sha256:[0-9a-f]{64})", err)
    assert rewritten is not None and rewritten.group(2) == image_id, err
    return image_id, digest, rewritten.group(1)


def layer_mtimes(image: str, layers: list[str]) -> set[int]:
    """Every modification time in the given layers (by diff ID) of ``image``, from ``docker save``."""
    saved = io.BytesIO(b"".join(docker.from_env().images.get(image).save()))
    times: set[int] = set()
    with tarfile.open(fileobj=saved) as archive:
        for diff_id in layers:
            member = archive.extractfile(f"blobs/sha256/{diff_id.removeprefix('sha256:')}")
            assert member is not None
            with tarfile.open(fileobj=member) as layer:
                times |= {int(m.mtime) for m in layer}
    return times


def test_two_clean_builds_on_two_checkouts_give_identical_digests(
    tmp_path: Path,
    images: Images,
    registry: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("GIT_COMMITTER_DATE", "1700000000 +0000")  # a commit made before the builds
    origin = work_repo(tmp_path / "origin")
    commit(origin, {"goshfile.yaml": GOSHFILE, "src/a.txt": "alpha\n", "src/b.txt": "beta\n"})
    epoch = int(git("log", "-1", "--format=%ct", cwd=origin).stdout.strip())
    assert epoch == 1_700_000_000
    first_image, second_image = images.name("repro-a", registry), images.name("repro-b", registry)

    first = build(checkout(origin, tmp_path / "one"), first_image, capsys)
    time.sleep(1.1)  # the second checkout and build happen in a later second: other file times
    second = build(checkout(origin, tmp_path / "two"), second_image, capsys)

    assert first[2] != second[2], "the engine's own images should differ (file times), or this proves nothing"
    assert first[0] == second[0], "image IDs differ"
    assert first[1] == second[1], "pushed digests differ"
    assert image_run(first_image, "cat", "/app/out/all.txt") == "alpha\nbeta\n"

    engine = docker.from_env()
    attrs = engine.images.get(first_image).attrs
    labels = attrs["Config"]["Labels"]
    assert attrs["Created"].startswith(time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(epoch)))
    base_layers = int(labels["goshfile.base.layers"])
    own = attrs["RootFS"]["Layers"][base_layers:]
    assert len(own) == 2
    assert layer_mtimes(first_image, own) == {epoch}  # every file time is the commit's time
    assert attrs["RootFS"]["Layers"][:base_layers] == engine.images.get("bash:latest").attrs["RootFS"]["Layers"]


def test_no_rewrite_keeps_the_engines_file_times(
    tmp_path: Path, images: Images, capsys: pytest.CaptureFixture[str]
) -> None:
    context = write(tmp_path, {"goshfile.yaml": GOSHFILE, "src/a.txt": "alpha\n"})
    image = images.name("repro-off")
    args = ["build", str(context), "-t", image, "--no-cache", "--source-date-epoch", "1000000000", *FRONTEND]
    assert main([*args, "--no-rewrite-timestamp"]) == 0
    out, err = capsys.readouterr()
    assert "SOURCE_DATE_EPOCH=1000000000 (given)" in err and "file times set" not in err
    attrs = docker.from_env().images.get(image).attrs
    assert attrs["Id"] == out.strip() and attrs["Created"].startswith("2001-09-09T01:46:40")
    own = attrs["RootFS"]["Layers"][int(attrs["Config"]["Labels"]["goshfile.base.layers"]) :]
    assert max(layer_mtimes(image, own)) > 1_000_000_000  # the times the engine wrote, left as they were

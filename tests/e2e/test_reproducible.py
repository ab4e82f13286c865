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
from tests.e2e.helpers import Engine, Images, image_run, write
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


def build(
    context: Path, image: str, capsys: pytest.CaptureFixture[str], engine: Engine, *more: str
) -> tuple[str, str, str | None]:
    """``goshfile build --no-cache --push``: (image ID, pushed digest, the engine's own image ID before the rewrite).

    On the containerd image store BuildKit rewrites in the build: there is no image before the rewrite (None).
    """
    args = ["build", str(context), "-t", image, "--no-cache", "--push", "--progress", "plain", "--json"]
    status = main([*args, *FRONTEND, *more])
    out, err = capsys.readouterr()
    assert status == 0, err
    outcome = json.loads(out)
    image_id, digest = outcome["image_id"], outcome["digest"]
    assert outcome["tags"] == [image] and outcome["error"] is None and outcome["proof"] is None
    assert f"goshfile: pushed {image}@{digest}" in err
    if engine.containerd_store:
        assert ("BuildKit sets the file times" in err) == ("--no-rewrite-timestamp" not in more), err
        assert "file times set:" not in err and image_id == digest  # the ID is the pushed manifest's digest
        return image_id, digest, None
    rewritten = re.search(r"file times set: (sha256:[0-9a-f]{64}) became (sha256:[0-9a-f]{64})", err)
    assert rewritten is not None and rewritten.group(2) == image_id, err
    return image_id, digest, rewritten.group(1)


def layer_mtimes(image: str, first: int) -> set[int]:
    """Every modification time in the layers of ``image`` from the ``first``-th up, from ``docker save``.

    The archive's ``manifest.json`` lists the layer files in order on both stores (uncompressed
    tars on the classic store, the compressed blobs on the containerd store).
    """
    saved = io.BytesIO(b"".join(docker.from_env().images.get(image).save()))
    times: set[int] = set()
    with tarfile.open(fileobj=saved) as archive:
        listing = archive.extractfile("manifest.json")
        assert listing is not None
        for path in json.load(listing)[0]["Layers"][first:]:
            member = archive.extractfile(path)
            assert member is not None
            with tarfile.open(fileobj=member) as layer:
                times |= {int(m.mtime) for m in layer}
    return times


def test_two_clean_builds_on_two_checkouts_give_identical_digests(
    tmp_path: Path,
    engine: Engine,
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

    first = build(checkout(origin, tmp_path / "one"), first_image, capsys, engine)
    time.sleep(1.1)  # the second checkout and build happen in a later second: other file times
    second = build(checkout(origin, tmp_path / "two"), second_image, capsys, engine)

    if engine.containerd_store:  # no image before BuildKit's rewrite: build once more without it
        unrewritten = build(
            tmp_path / "two", images.name("repro-raw", registry), capsys, engine, "--no-rewrite-timestamp"
        )
        assert unrewritten[0] != second[0], "without the rewrite the image should differ, or this proves nothing"
    else:
        assert first[2] != second[2], "the engine's own images should differ (file times), or this proves nothing"
    assert first[0] == second[0], "image IDs differ"
    assert first[1] == second[1], "pushed digests differ"
    assert image_run(first_image, "cat", "/app/out/all.txt") == "alpha\nbeta\n"

    client = docker.from_env()
    attrs = client.images.get(first_image).attrs
    labels = attrs["Config"]["Labels"]
    assert attrs["Created"].startswith(time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(epoch)))
    base_layers = int(labels["goshfile.base.layers"])
    own = attrs["RootFS"]["Layers"][base_layers:]
    assert len(own) == 2
    assert layer_mtimes(first_image, base_layers) == {epoch}  # every file time is the commit's time
    base = client.images.get("bash:latest").attrs["RootFS"]["Layers"]
    if engine.containerd_store:
        # BuildKit clamps every layer, the base image's too (its files are newer than this epoch)
        assert max(layer_mtimes(first_image, 0)) == epoch and max(layer_mtimes("bash:latest", 0)) > epoch
        assert attrs["RootFS"]["Layers"][:base_layers] != base
    else:
        assert attrs["RootFS"]["Layers"][:base_layers] == base  # goshfile leaves the base's layers as they are


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
    base_layers = int(attrs["Config"]["Labels"]["goshfile.base.layers"])
    assert len(attrs["RootFS"]["Layers"]) == base_layers + 2
    assert max(layer_mtimes(image, base_layers)) > 1_000_000_000  # the times the engine wrote, left as they were

"""Benchmark setting an image's file times to SOURCE_DATE_EPOCH against a docker save + docker load of it.

``goshfile build`` rewrites the image's own layers after every build
(docs/reproducible.md). This measures what that costs next to the engine's own
export and import of the same image, timed in the same run.

The image is assembled locally, with no network and no build cache: the base
``bash:latest`` plus one layer of random files (default 200 files of 1 MB) whose
times are the present, labelled ``goshfile.base.layers=1`` as the frontend labels
its images, and ``docker load``-ed as ``goshfile-bench:rewrite``.

Timed, interleaved run by run after one untimed warm-up round:

- engine: ``docker save`` of the image to a file, ``docker rmi``, ``docker load``
  of the file (the ``rmi`` is not timed); the own layer is imported again each time;
- goshfile: ``rewrite_timestamps(engine, IMAGE, EPOCH)``: stream the image out,
  rewrite the own layer, load the result; the rewritten image is removed
  afterwards (not timed), so each run imports its layer again too.

Every run's result must have the same image ID. Prints medians and the ratio
goshfile/engine.

Usage::

    .venv/bin/python bench/rewrite.py              # 3 runs each
    .venv/bin/python bench/rewrite.py --runs 5 --files 400 --file-mb 1
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import statistics
import subprocess
import tarfile
import tempfile
import time
from pathlib import Path

from goshfile.images.local import DockerImageStore
from goshfile.images.reproducible import rewrite_timestamps

IMAGE = "goshfile-bench:rewrite"
BASE = "bash:latest"
EPOCH = 1_700_000_000


def docker(*args: str) -> str:
    """Run docker; fail loudly."""
    proc = subprocess.run(["docker", *args], capture_output=True, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"docker {' '.join(args)} failed: {proc.stderr.decode(errors='replace').strip()}")
    return proc.stdout.decode()


def make_image(work: Path, files: int, size: int) -> str:
    """Load IMAGE: BASE plus a layer of random files with the present's times; return its ID."""
    layer = work / "layer.tar"
    now = int(time.time())
    with tarfile.open(layer, "w", format=tarfile.PAX_FORMAT) as tar:
        info = tarfile.TarInfo("bench-data")
        info.type, info.mode, info.mtime = tarfile.DIRTYPE, 0o755, now
        tar.addfile(info)
        for i in range(files):
            info = tarfile.TarInfo(f"bench-data/f{i:04d}")
            info.size, info.mode, info.mtime = size, 0o644, now
            tar.addfile(info, io.BytesIO(os.urandom(size)))
    digest = hashlib.sha256()
    with layer.open("rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    base = json.loads(docker("image", "inspect", BASE))[0]
    config = {
        "architecture": base["Architecture"],
        "os": base["Os"],
        "created": "2023-11-14T22:13:20Z",
        "config": {"Cmd": ["bash"], "Labels": {"goshfile.base.layers": str(len(base["RootFS"]["Layers"]))}},
        "rootfs": {"type": "layers", "diff_ids": [*base["RootFS"]["Layers"], "sha256:" + digest.hexdigest()]},
    }
    names = [f"{i}/layer.tar" for i in range(len(config["rootfs"]["diff_ids"]))]
    manifest = [{"Config": "config.json", "RepoTags": [IMAGE], "Layers": names}]
    archive = work / "image.tar"
    with tarfile.open(archive, "w") as tar:
        for name, data in (("manifest.json", json.dumps(manifest)), ("config.json", json.dumps(config))):
            info = tarfile.TarInfo(name)
            info.size = len(data.encode())
            tar.addfile(info, io.BytesIO(data.encode()))
        tar.add(layer, arcname=names[-1])
    layer.unlink()
    docker("load", "-q", "-i", str(archive))
    archive.unlink()
    return docker("image", "inspect", "-f", "{{.Id}}", IMAGE).strip()


def engine_round_trip(work: Path) -> float:
    """docker save to a file, then docker load of it after removing the image (the rmi is not timed)."""
    saved = work / "saved.tar"
    start = time.perf_counter()
    docker("save", "-o", str(saved), IMAGE)
    elapsed = time.perf_counter() - start
    docker("rmi", IMAGE)
    start = time.perf_counter()
    docker("load", "-q", "-i", str(saved))
    elapsed += time.perf_counter() - start
    saved.unlink()
    return elapsed


def goshfile_rewrite(store: DockerImageStore, expected: set[str]) -> float:
    """rewrite_timestamps of IMAGE; the result is removed afterwards (not timed)."""
    start = time.perf_counter()
    result = rewrite_timestamps(store, IMAGE, EPOCH)
    elapsed = time.perf_counter() - start
    assert result.changed, "the image's times should have changed"
    expected.add(result.image_id)
    if len(expected) != 1:
        raise SystemExit(f"rewrites disagree: {sorted(expected)}")
    docker("rmi", result.image_id)
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--files", type=int, default=200)
    parser.add_argument("--file-mb", type=float, default=1.0)
    args = parser.parse_args()
    size = int(args.file_mb * (1 << 20))
    store = DockerImageStore()
    results: set[str] = set()
    with tempfile.TemporaryDirectory(prefix="goshfile-bench-") as tmp:
        work = Path(tmp)
        make_image(work, args.files, size)
        try:
            engine_round_trip(work), goshfile_rewrite(store, results)  # warm-up, untimed
            engine: list[float] = []
            ours: list[float] = []
            for _ in range(args.runs):
                engine.append(engine_round_trip(work))
                ours.append(goshfile_rewrite(store, results))
        finally:
            subprocess.run(["docker", "rmi", IMAGE], capture_output=True, check=False)
    own_mb = args.files * size / (1 << 20)
    e, o = statistics.median(engine), statistics.median(ours)
    print(f"image: {BASE} + one layer of {args.files} files, {own_mb:.0f} MB; {args.runs} runs each, interleaved")
    print(f"engine  docker save + docker load: median {e:.2f} s (min {min(engine):.2f}, max {max(engine):.2f})")
    print(f"goshfile rewrite_timestamps:       median {o:.2f} s (min {min(ours):.2f}, max {max(ours):.2f})")
    print(f"ratio goshfile/engine: {o / e:.2f}x")


if __name__ == "__main__":
    main()

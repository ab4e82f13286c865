"""Benchmark `goshfile image-hash --algorithm gosh-v1` against GOSH's shell pipeline on a ~500 MB image.

The image is assembled locally, without network and without leaving build cache
behind: ``docker save`` of the base image (default ``goshfile/python-base:bookworm``)
plus one more layer of files with random content (default 400 files of 1 MB),
written into the saved archive and ``docker load``-ed as ``goshfile-bench:image-hash``.
It is removed at the end (its base layer stays shared with the base image).

Timed, interleaved run by run after one untimed warm-up round:

- shell: GOSH's Docker extension (``docker create``; ``docker export | tar -x``
  with its three excludes; ``find . -type f -exec sha256sum -b {} + | LC_ALL=C sort
  | sha256sum``; ``docker rm``; removal of the unpacked tree), wall clock of the
  whole script;
- goshfile: the library call ``image_hash(IMAGE, "gosh-v1")`` (layer source
  ``auto``: the engine's overlay2 storage when readable, else ``docker save``);
- goshfile (save): the same with the layers streamed from ``docker save``, the
  path any engine supports.

Every run's hash must equal the shell's. Prints medians and shell/goshfile ratios.

Usage::

    .venv/bin/python bench/image_hash.py              # 3 runs each
    .venv/bin/python bench/image_hash.py --runs 5 --files 400 --file-mb 1
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from goshfile.images.content_hash import GOSH_V1, image_hash

IMAGE = "goshfile-bench:image-hash"
BASE = "goshfile/python-base:bookworm"
TARGET = 3.0  # shell / goshfile, medians
FLOOR_TARGET = 2.0  # goshfile / single-core SHA-256 floor, medians
_FLOOR_BUFFER = 16 << 20

GOSH_SCRIPT = """
set -u
work=$(mktemp -d)
cd "$work"
cid=$(docker create "$1" /bin/sh) || exit 1
docker export "$cid" | tar --exclude=etc/mtab --exclude=proc --exclude=dev -xf - 2>/dev/null
h=$(find . -type f -exec sha256sum -b {} + | LC_ALL=C sort | sha256sum | awk '{ print $1 }')
cd /
docker rm -fv "$cid" >/dev/null
rm -rf "$work"
echo "sha256:$h"
"""


def docker(*args: str, stdin: bytes | None = None) -> str:
    """Run docker; fail loudly."""
    proc = subprocess.run(["docker", *args], input=stdin, capture_output=True, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"docker {' '.join(args)} failed: {proc.stderr.decode(errors='replace').strip()}")
    return proc.stdout.decode()


def random_layer(path: Path, files: int, size: int) -> str:
    """Write a layer tar of ``files`` random files under /bench-data; return its sha256 (the diff id)."""
    with tarfile.open(path, "w", format=tarfile.PAX_FORMAT) as tar:
        info = tarfile.TarInfo("bench-data")
        info.type, info.mode, info.mtime = tarfile.DIRTYPE, 0o755, 1_700_000_000
        tar.addfile(info)
        for i in range(files):
            info = tarfile.TarInfo(f"bench-data/f{i:04d}")
            info.size, info.mode, info.mtime = size, 0o644, 1_700_000_000
            tar.addfile(info, io.BytesIO(os.urandom(size)))
    sha = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            sha.update(chunk)
    return sha.hexdigest()


def assemble(base: str, files: int, size: int) -> None:
    """docker load ``IMAGE``: ``base`` plus a layer of random files."""
    with tempfile.TemporaryDirectory(prefix="goshfile-bench-image-") as tmp:
        root = Path(tmp) / "archive"
        root.mkdir()
        save = subprocess.Popen(["docker", "save", base], stdout=subprocess.PIPE)
        subprocess.run(["tar", "-x", "-C", str(root)], stdin=save.stdout, check=True)
        if save.wait() != 0:
            raise SystemExit(f"docker save {base} failed")
        manifest = json.loads((root / "manifest.json").read_text())
        config = json.loads((root / manifest[0]["Config"]).read_text())
        blobs = root / "blobs" / "sha256"
        blobs.mkdir(parents=True, exist_ok=True)
        staging = Path(tmp) / "layer.tar"
        digest = random_layer(staging, files, size)
        staging.rename(blobs / digest)
        config["rootfs"]["diff_ids"].append(f"sha256:{digest}")
        config.setdefault("history", []).append({"created_by": "bench/image_hash.py: random files"})
        config_bytes = json.dumps(config).encode()
        config_digest = hashlib.sha256(config_bytes).hexdigest()
        (blobs / config_digest).write_bytes(config_bytes)
        manifest = [
            {
                "Config": f"blobs/sha256/{config_digest}",
                "RepoTags": [IMAGE],
                "Layers": [*manifest[0]["Layers"], f"blobs/sha256/{digest}"],
            }
        ]
        (root / "manifest.json").write_text(json.dumps(manifest))
        for name in ("index.json", "repositories", "oci-layout"):  # the manifest.json alone describes the image
            (root / name).unlink(missing_ok=True)
        archive = Path(tmp) / "image.tar"
        subprocess.run(["tar", "-c", "-f", str(archive), "-C", str(root), "."], check=True)
        docker("load", "-q", "-i", str(archive))


def shell_hash() -> str:
    proc = subprocess.run(
        ["bash", "-c", GOSH_SCRIPT, "gosh-image-sha", IMAGE],
        capture_output=True,
        text=True,
        env={**os.environ, "LC_ALL": "C"},
        check=False,
    )
    if proc.returncode != 0:
        raise SystemExit(f"the shell pipeline failed: {proc.stderr.strip()}")
    return proc.stdout.strip()


def sha256_floor(total: int) -> str:
    """SHA-256 of ``total`` bytes from memory on one core: the least any hash of that much content costs."""
    buffer = os.urandom(_FLOOR_BUFFER)
    sha = hashlib.sha256()
    left = total
    while left > 0:
        chunk = buffer if left >= len(buffer) else buffer[:left]
        sha.update(chunk)
        left -= len(chunk)
    return "floor"


def timed(fn: Callable[[], str]) -> tuple[float, str]:
    start = time.perf_counter()
    value = fn()
    return time.perf_counter() - start, value


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=3, help="timed runs of each (default 3)")
    parser.add_argument("--base", default=BASE, help=f"base image (default {BASE})")
    parser.add_argument("--files", type=int, default=400, help="random files in the added layer (default 400)")
    parser.add_argument("--file-mb", type=float, default=1.0, help="size of each random file in MB (default 1)")
    parser.add_argument(
        "--no-shell", action="store_true", help="leave out GOSH's shell pipeline (slow), keep the floor ratio"
    )
    parser.add_argument("--keep", action="store_true", help=f"keep {IMAGE} (reused by the next run)")
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be at least 1")

    exists = subprocess.run(["docker", "image", "inspect", IMAGE], capture_output=True, check=False).returncode == 0
    if exists:
        print(f"reusing {IMAGE} (kept by an earlier --keep run)", flush=True)
    else:
        print(f"assembling {IMAGE} from {args.base} + {args.files} x {args.file_mb} MB of random files ...", flush=True)
        assemble(args.base, args.files, int(args.file_mb * 1_000_000))
    try:
        size = int(docker("image", "inspect", "--format", "{{.Size}}", IMAGE).strip())
        print(f"image size: {size / 1e6:.0f} MB")
        contenders: dict[str, Callable[[], str]] = {
            "shell": shell_hash,
            "goshfile": lambda: image_hash(IMAGE, GOSH_V1).digest,
            "goshfile (save)": lambda: image_hash(IMAGE, GOSH_V1, source="save").digest,
        }
        if args.no_shell:
            del contenders["shell"]
        first = image_hash(IMAGE, GOSH_V1)
        source = first.source
        content_bytes = first.bytes  # every regular file's content, hard links once: what must be hashed
        contenders["sha256 floor"] = lambda: sha256_floor(content_bytes)
        times: dict[str, list[float]] = {name: [] for name in contenders}
        hashes: dict[str, set[str]] = {name: set() for name in contenders if name != "sha256 floor"}
        loads: list[float] = []
        for round_ in range(args.runs + 1):  # round 0 warms the page cache and is not counted
            for name, fn in contenders.items():
                seconds, value = timed(fn)
                if name != "sha256 floor":
                    hashes[name].add(value)
                if round_:
                    times[name].append(seconds)
                    loads.append(os.getloadavg()[0])
                label = f"run {round_}" if round_ else "warm-up"
                print(f"  {label:7}: {name:16} {seconds:7.2f} s  {value}", flush=True)
        every = set().union(*hashes.values())
        if len(every) != 1:
            print(f"MISMATCH: the hashes differ: {hashes}")
            return 1
        print(f"\ngosh-v1 of {IMAGE} ({size / 1e6:.0f} MB): {every.pop()}")
        print(f"{'':18} {'median':>8} {'runs'}")
        for name, values in times.items():
            print(f"{name:18} {statistics.median(values):7.2f}s  {' '.join(f'{v:.2f}' for v in values)}")
        ours = statistics.median(times["goshfile"])
        save = statistics.median(times["goshfile (save)"])
        if "shell" in times:
            shell = statistics.median(times["shell"])
            print(f"\nratio shell/goshfile (layers from {source}): {shell / ours:.1f}x (target {TARGET:.0f}x)")
            print(f"ratio shell/goshfile (layers from docker save): {shell / save:.1f}x")
            print(f"target {'met' if shell / ours >= TARGET else 'NOT met'}")
        floor = statistics.median(times["sha256 floor"])
        print(
            f"\nsingle-core SHA-256 floor of the {content_bytes / 1e6:.0f} MB of file content: {floor:.2f} s "
            f"({content_bytes / floor / (1 << 30):.2f} GiB/s)"
        )
        print(f"ratio goshfile/floor (layers from {source}): {ours / floor:.2f}x (target <= {FLOOR_TARGET:.0f}x)")
        print(f"ratio goshfile/floor (layers from docker save): {save / floor:.2f}x")
        print(f"target {'met' if ours / floor <= FLOOR_TARGET else 'NOT met'}")
        print(
            f"load average (1 min) during the runs: median {statistics.median(loads):.2f} "
            f"(min {min(loads):.2f}, max {max(loads):.2f}), {os.cpu_count()} CPUs"
        )
        return 0
    finally:
        if not args.keep:
            docker("rmi", IMAGE)


if __name__ == "__main__":
    sys.exit(main())

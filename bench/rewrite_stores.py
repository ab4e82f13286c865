"""Benchmark the file-time rewrite on both image stores: goshfile's (classic) against BuildKit's (containerd).

On Docker's classic image store ``goshfile build`` sets the file times of the image's own
layers after the build (``goshfile.images.reproducible``); on the containerd image store it
asks BuildKit's exporter for ``rewrite-timestamp=true`` instead (docs/reproducible.md).
This measures what each costs on top of the same build, and whether both give the same
layers.

Both engines build the same goshfile: ``bash:latest`` plus a copy of a context folder of
random files (default 100 files of 1 MB) whose times are the present, and a run step that
writes one more file. Timed with ``--no-cache``, interleaved round by round after one
untimed warm-up round:

- host (``HOST_DOCKER_HOST`` or ``DOCKER_HOST``, classic store): ``goshfile build`` with
  ``--no-rewrite-timestamp`` (baseline) and with the rewrite (goshfile's);
- current (``scripts/current-engine.sh env``, containerd store): ``goshfile build`` with
  ``--no-rewrite-timestamp`` (baseline) and with the rewrite (BuildKit's).

Prints the medians, each rewrite's ratio to its engine's baseline, the ratio of the two
overheads, and whether the rewritten own layers are the same (their diff IDs, from each
engine's image config) on both engines: when every file time is after the epoch (as here),
clamping and setting give the same times.

Usage::

    .venv/bin/python bench/rewrite_stores.py              # 3 runs each
    .venv/bin/python bench/rewrite_stores.py --runs 5 --files 200
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GOSHFILE = ROOT / ".venv" / "bin" / "goshfile"
EPOCH = 1_700_000_000
TEXT = """apiVersion: 1
image: bash:latest
steps:
  - name: add the data
    copy: {src: data/, dst: /data/}
  - name: stamp
    run: {command: [/usr/local/bin/bash, -c, "ls /data | wc -l > /data/count"]}
"""


def current_docker_host(host: str) -> str:
    """DOCKER_HOST of the current engine, started on ``host`` if needed."""
    proc = subprocess.run(
        ["bash", str(ROOT / "scripts" / "current-engine.sh"), "env"],
        env={**os.environ, "HOST_DOCKER_HOST": host},
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise SystemExit(f"scripts/current-engine.sh env failed: {proc.stderr.strip()}")
    return proc.stdout.strip().removeprefix("export DOCKER_HOST=")


def build(docker_host: str, context: Path, tag: str, rewrite: bool) -> tuple[float, str]:
    """One ``goshfile build --no-cache``; (seconds, image ID)."""
    cmd = [str(GOSHFILE), "build", str(context), "-t", tag, "--no-cache", "--progress", "quiet"]
    cmd += ["--source-date-epoch", str(EPOCH), "--frontend-image", "teamgosh/goshfile:latest"]
    if not rewrite:
        cmd.append("--no-rewrite-timestamp")
    start = time.perf_counter()
    proc = subprocess.run(cmd, env={**os.environ, "DOCKER_HOST": docker_host}, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"goshfile build on {docker_host} failed: {proc.stderr.strip()}")
    return elapsed, proc.stdout.split()[0]


def own_layers(docker_host: str, tag: str) -> list[str]:
    """Diff IDs of the image's own layers (above the base's)."""
    proc = subprocess.run(
        ["docker", "image", "inspect", tag],
        env={**os.environ, "DOCKER_HOST": docker_host},
        capture_output=True,
        text=True,
        check=True,
    )
    attrs = json.loads(proc.stdout)[0]
    base = int(attrs["Config"]["Labels"]["goshfile.base.layers"])
    return list(attrs["RootFS"]["Layers"][base:])


def median(values: list[float]) -> str:
    return f"median {statistics.median(values):.2f} s (min {min(values):.2f}, max {max(values):.2f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--files", type=int, default=100)
    parser.add_argument("--file-mb", type=float, default=1.0)
    args = parser.parse_args()
    host = os.environ.get("HOST_DOCKER_HOST") or os.environ.get("DOCKER_HOST") or "unix:///var/run/docker.sock"
    current = current_docker_host(host)
    engines = {"host": host, "current": current}
    samples: dict[str, list[float]] = {f"{e} {m}": [] for e in engines for m in ("plain", "rewrite")}
    with tempfile.TemporaryDirectory(prefix="goshfile-bench-") as tmp:
        context = Path(tmp)
        (context / "goshfile.yaml").write_text(TEXT)
        data = context / "data"
        data.mkdir()
        size = int(args.file_mb * (1 << 20))
        for i in range(args.files):
            (data / f"f{i:04d}").write_bytes(os.urandom(size))
        tags = {key: f"goshfile-bench/stores:{key.replace(' ', '-')}" for key in samples}
        for round_ in range(args.runs + 1):  # the first round warms up and is not counted
            for key in samples:
                engine, mode = key.split()
                elapsed, _ = build(engines[engine], context, tags[key], mode == "rewrite")
                if round_ > 0:
                    samples[key].append(elapsed)
        layers = {e: own_layers(engines[e], tags[f"{e} rewrite"]) for e in engines}
        plain_layers = own_layers(host, tags["host plain"])
        for key, tag in tags.items():
            subprocess.run(
                ["docker", "rmi", tag], env={**os.environ, "DOCKER_HOST": engines[key.split()[0]]}, capture_output=True
            )
    own_mb = args.files * size / (1 << 20)
    print(f"goshfile: bash:latest + a copy of {args.files} files ({own_mb:.0f} MB) + a run step; --no-cache;")
    print(f"{args.runs} runs each, interleaved; host {host}, current {current}")
    for key, values in samples.items():
        print(f"{key:16s} {median(values)}")
    med = {key: statistics.median(values) for key, values in samples.items()}
    ours = med["host rewrite"] / med["host plain"]
    theirs = med["current rewrite"] / med["current plain"]
    print(f"ratio goshfile's rewrite / no rewrite (host, classic store):      {ours:.2f}x")
    print(f"ratio BuildKit's rewrite / no rewrite (current, containerd store): {theirs:.2f}x")
    print(
        f"ratio of the overheads BuildKit's/goshfile's: {(theirs - 1) / (ours - 1) if ours != 1 else float('nan'):.2f}"
    )
    same = layers["host"] == layers["current"]
    print(f"own layers after the rewrite, host:    {' '.join(d[7:19] for d in layers['host'])}")
    print(f"own layers after the rewrite, current: {' '.join(d[7:19] for d in layers['current'])}")
    print(f"own layers without the rewrite, host:  {' '.join(d[7:19] for d in plain_layers)}")
    print("the two rewrites give the same layers (diff IDs)" if same else "the two rewrites give different layers")


if __name__ == "__main__":
    main()

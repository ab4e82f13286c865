"""Helpers for end-to-end tests: run commands, build with buildx, name and clean up images."""

from __future__ import annotations

import io
import json
import subprocess
import tarfile
import uuid
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from goshfile.engine.races import ATTEMPTS, known_race, retry_notice

FRONTEND_IMAGE = "teamgosh/goshfile:latest"
REGISTRY = "127.0.0.1:5000"
SETUP_HINT = "run scripts/setup.sh (it installs and starts Docker, the registry and the frontend image)"


@dataclass(frozen=True)
class Engine:
    """A Docker engine the end-to-end tests run on; ``name`` is the test id's engine part."""

    name: str
    min_major: int
    containerd_store: bool  # image IDs are manifest digests there; BuildKit rewrites file times itself

    def __str__(self) -> str:
        return self.name


HOST = Engine("host-26", 23, containerd_store=False)  # Debian's docker.io 26 on the machine
CURRENT = Engine("current-28", 28, containerd_store=True)  # scripts/current-engine.sh
ENGINES = [HOST, CURRENT]


@dataclass(frozen=True)
class Run:
    """A finished command."""

    returncode: int
    output: str


def run(cmd: list[str], cwd: Path | None = None, timeout: float = 300, env: Mapping[str, str] | None = None) -> Run:
    """Run ``cmd``, capturing stdout and stderr together.

    A command that fails on a known engine race (:mod:`goshfile.engine.races`: the containerd
    store's lost snapshot, the gateway's closed connection) is run again, as ``goshfile build``
    does, with a warning in pytest's summary; any other failure is returned as it is.
    """
    for attempt in range(1, ATTEMPTS + 1):
        done = _run_once(cmd, cwd, timeout, env)
        race = None if done.returncode == 0 or attempt == ATTEMPTS else known_race(done.output)
        if race is None:
            return done
        warnings.warn(f"{' '.join(cmd[:3])}: {retry_notice('the command', attempt + 1, race)}", stacklevel=2)
    raise AssertionError("unreachable")


def _run_once(cmd: list[str], cwd: Path | None, timeout: float, env: Mapping[str, str] | None) -> Run:
    proc = subprocess.run(
        cmd,
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=timeout,
        check=False,
    )
    return Run(proc.returncode, proc.stdout)


class Images:
    """Unique image names for one test, removed afterwards."""

    def __init__(self) -> None:
        self.names: list[str] = []
        self.suffix = uuid.uuid4().hex[:10]

    def name(self, base: str, registry: str | None = None) -> str:
        """A fresh ``repo:tag`` for this test."""
        repo = f"{registry}/goshfile-e2e/{base}" if registry else f"goshfile-e2e/{base}"
        image = f"{repo}:{self.suffix}"
        self.names.append(image)
        return image


def buildx(context: Path, *args: str, file: str = "goshfile.yaml") -> Run:
    """``docker buildx build --progress=plain -f FILE ARGS CONTEXT``."""
    return run(["docker", "buildx", "build", "--progress=plain", "-f", str(context / file), *args, str(context)])


def write(folder: Path, files: dict[str, str]) -> Path:
    """Write ``files`` (relative path -> text) under ``folder``; return ``folder``."""
    for rel, text in files.items():
        target = folder / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    return folder


def image_run(image: str, *command: str) -> str:
    """Run ``command`` in a container of ``image`` and return its output; fail on a non-zero exit."""
    result = run(["docker", "run", "--rm", "--network", "none", image, *command])
    assert result.returncode == 0, result.output
    return result.output


def interfaces(proc_net_dev: str) -> set[str]:
    """The network interface names in a copy of ``/proc/net/dev``."""
    return {line.split(":")[0].strip() for line in proc_net_dev.splitlines()[2:] if ":" in line}


def saved_digests(image: str) -> tuple[str, str]:
    """(manifest digest, config digest) of ``image`` from its ``docker save`` archive (an OCI layout on both stores)."""
    saved = subprocess.run(["docker", "save", image], capture_output=True, check=True).stdout
    with tarfile.open(fileobj=io.BytesIO(saved)) as archive:

        def blob(path: str) -> dict[str, Any]:
            member = archive.extractfile(path)
            assert member is not None, path
            parsed: dict[str, Any] = json.loads(member.read())
            return parsed

        manifest = str(blob("index.json")["manifests"][0]["digest"])
        config = str(blob(f"blobs/sha256/{manifest.removeprefix('sha256:')}")["config"]["digest"])
    return manifest, config

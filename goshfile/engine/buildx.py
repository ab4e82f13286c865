"""Run builds through ``docker buildx build`` with the goshfile frontend.

``BUILDKIT_SYNTAX`` selects the frontend image even when a goshfile lacks its
``# syntax=`` line, so ``goshfile build`` and a plain ``docker buildx build``
of a file with that line produce the same image.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from goshfile import __version__
from goshfile.engine.races import ATTEMPTS, TAIL, known_race, retry_notice
from goshfile.engine.terminal import run_on_terminal
from goshfile.errors import EngineError, InputError
from goshfile.secrets import REFUSAL, looks_secret

FRONTEND_IMAGE = f"teamgosh/goshfile:{__version__}"
ARCHIVE = "image.tar"  # with rewrite_timestamp: the exported image, loaded into the engine after the build


@dataclass(frozen=True)
class BuildRequest:
    """One image build."""

    context: Path
    file: Path
    tags: tuple[str, ...] = ()
    build_args: dict[str, str] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)
    build_contexts: dict[str, str] = field(default_factory=dict)
    push: bool = False
    no_cache: bool = False
    platform: str | None = None  # one os/arch[/variant], or several joined by commas
    frontend_image: str = FRONTEND_IMAGE
    progress: str = "auto"
    secrets: tuple[str, ...] = ()  # buildx --secret specs (id=ID,src=FILE|env=VAR): never the values
    ssh: tuple[str, ...] = ()  # buildx --ssh specs (default, ID=SOCKET|KEY)
    target: str | None = None  # build the image as it is after this step
    # BuildKit's own exporter option (containerd image store): file times after SOURCE_DATE_EPOCH become it
    rewrite_timestamp: bool = False
    # BuildKit's own SLSA provenance attestation (``mode=min`` or ``mode=max``); None: none is added
    buildkit_provenance: str | None = None

    @property
    def platforms(self) -> list[str]:
        """The target platforms asked for (empty: the engine's)."""
        return [p.strip() for p in (self.platform or "").split(",") if p.strip()]


@dataclass(frozen=True)
class BuildResult:
    """What the engine reports about a finished build."""

    image_id: str | None
    digest: str | None
    metadata: dict[str, Any]


class Builder(Protocol):
    """Something that builds images."""

    def build(self, request: BuildRequest) -> BuildResult:
        """Build ``request``; raise :class:`EngineError` when the build fails."""


class BuildxBuilder:
    """:class:`Builder` that runs ``docker buildx build`` (progress goes to this process's stderr)."""

    def __init__(self, docker: str = "docker", relay: Callable[[bytes], None] | None = None) -> None:
        self.docker = docker
        self.relay = relay  # where buildx's output lines go (None: this process's stderr, or its terminal)

    def command(self, request: BuildRequest, metadata_file: Path) -> list[str]:
        """The ``docker buildx build`` command line for ``request``."""
        for name in (*request.build_args, *request.labels):
            if looks_secret(name):
                raise InputError(f"{name} {REFUSAL}")
        cmd = [self.docker, "buildx", "build", "--progress", request.progress, "-f", str(request.file)]
        cmd += ["--build-arg", f"BUILDKIT_SYNTAX={request.frontend_image}"]
        cmd += ["--metadata-file", str(metadata_file)]
        for tag in request.tags:
            cmd += ["-t", tag]
        for key, value in sorted(request.build_args.items()):
            cmd += ["--build-arg", f"{key}={value}"]
        for key, value in sorted(request.labels.items()):
            cmd += ["--label", f"{key}={value}"]
        for key, value in sorted(request.build_contexts.items()):
            cmd += ["--build-context", f"{key}={value}"]
        # BuildKit's attestation makes the result an index with the build's times in it: only when asked
        cmd += ["--provenance", request.buildkit_provenance or "false"]
        if request.rewrite_timestamp:
            # Docker 28's image exporter always unpacks, which BuildKit refuses with rewrite-timestamp:
            # export an OCI archive (one platform or an index) with rewritten layers and load it
            # (the engine keeps its blobs as they are, so its digests stay)
            cmd += ["--output", f"type=oci,dest={metadata_file.parent / ARCHIVE},rewrite-timestamp=true"]
        elif request.push:
            cmd.append("--push")
        if request.no_cache:
            cmd.append("--no-cache")
        if request.platform:
            cmd += ["--platform", request.platform]
        for spec in request.secrets:
            cmd += ["--secret", spec]
        for spec in request.ssh:
            cmd += ["--ssh", spec]
        if request.target:
            cmd += ["--target", request.target]
        cmd.append(str(request.context))
        return cmd

    def build(self, request: BuildRequest) -> BuildResult:
        if shutil.which(self.docker) is None:
            raise EngineError(f"{self.docker} not found; install Docker with buildx (scripts/setup.sh does)")
        if not request.file.is_file():
            raise InputError(f"{request.file}: no such file")
        with tempfile.TemporaryDirectory(prefix="goshfile-build-") as tmp:
            meta_path = Path(tmp) / "metadata.json"
            cmd = self.command(request, meta_path)
            code, _ = self._retrying("docker buildx build", lambda: self._attempt(cmd, request.progress))
            if code != 0:
                raise EngineError(f"docker buildx build failed (exit status {code}); see its output above")
            if request.rewrite_timestamp:
                self._load(Path(tmp) / ARCHIVE)
            metadata = json.loads(meta_path.read_text()) if meta_path.exists() else {}
        # several platforms: no single config, the index digest names the image
        image_id = metadata.get("containerimage.config.digest") or metadata.get("containerimage.digest")
        digest = metadata.get("containerimage.digest")
        return BuildResult(image_id, digest, metadata)

    def _attempt(self, cmd: list[str], progress: str) -> tuple[int, str]:
        """Run ``cmd`` once: its exit status and the end of its output (to tell a known race by).

        stdout is kept from the caller's: buildx prints the engine's image ID there with
        ``--progress quiet``, which is not the final image once its timestamps are rewritten.
        On a terminal, buildx draws its own progress on a pseudo-terminal that mirrors ours
        (:mod:`.terminal`), so the end of its output can still be read back.
        """
        if self.relay is None and progress in ("auto", "tty") and sys.stderr.isatty():
            sys.stderr.flush()
            return run_on_terminal(cmd, sys.stderr.fileno(), TAIL)
        relay = self.relay or _to_stderr
        tail = bytearray()
        with subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE) as proc:
            assert proc.stderr is not None
            for line in proc.stderr:
                relay(line)
                tail += line
                del tail[: max(0, len(tail) - TAIL)]
        return proc.returncode, tail.decode(errors="replace")

    def _retrying(self, what: str, attempt: Callable[[], tuple[int, str]]) -> tuple[int, str]:
        """Run ``attempt`` until it succeeds or fails other than by a known engine race (:mod:`.races`)."""
        for number in range(1, ATTEMPTS + 1):
            code, output = attempt()
            race = None if code == 0 or number == ATTEMPTS else known_race(output)
            if race is None:
                break
            (self.relay or _to_stderr)(f"{retry_notice(what, number + 1, race)}\n".encode())
        return code, output

    def _load(self, archive: Path) -> None:
        def load() -> tuple[int, str]:
            cmd = [self.docker, "load", "-q", "-i", str(archive)]
            proc = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, check=False)
            return proc.returncode, proc.stderr.decode(errors="replace").strip()

        code, message = self._retrying("docker load", load)
        if code != 0:
            raise EngineError(f"docker load of the built image failed: {message}")


def _to_stderr(chunk: bytes) -> None:
    """Write a chunk of buildx's output to this process's stderr as it comes."""
    buffer = getattr(sys.stderr, "buffer", None)
    if buffer is not None:
        buffer.write(chunk)
        buffer.flush()
    else:
        sys.stderr.write(chunk.decode(errors="replace"))
        sys.stderr.flush()

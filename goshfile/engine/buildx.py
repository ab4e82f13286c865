"""Run builds through ``docker buildx build`` with the goshfile frontend.

``BUILDKIT_SYNTAX`` selects the frontend image even when a goshfile lacks its
``# syntax=`` line, so ``goshfile build`` and a plain ``docker buildx build``
of a file with that line produce the same image.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from goshfile import __version__
from goshfile.errors import EngineError, InputError
from goshfile.secrets import REFUSAL, looks_secret

FRONTEND_IMAGE = f"teamgosh/goshfile:{__version__}"


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
    platform: str | None = None
    frontend_image: str = FRONTEND_IMAGE
    progress: str = "auto"
    secrets: tuple[str, ...] = ()  # buildx --secret specs (id=ID,src=FILE|env=VAR): never the values
    ssh: tuple[str, ...] = ()  # buildx --ssh specs (default, ID=SOCKET|KEY)
    target: str | None = None  # build the image as it is after this step


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

    def __init__(self, docker: str = "docker") -> None:
        self.docker = docker

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
        if request.push:
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
            # stdout is kept from the caller's: buildx prints the engine's image ID there with
            # --progress quiet, which is not the final image once its timestamps are rewritten
            proc = subprocess.run(
                self.command(request, meta_path), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, check=False
            )
            if proc.returncode != 0:
                raise EngineError(f"docker buildx build failed (exit status {proc.returncode}); see its output above")
            metadata = json.loads(meta_path.read_text()) if meta_path.exists() else {}
        image_id = metadata.get("containerimage.config.digest")
        digest = metadata.get("containerimage.digest")
        return BuildResult(image_id, digest, metadata)

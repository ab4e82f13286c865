"""Several ``--platform`` values: one build per platform, returned as one multi-platform result.

BuildKit's image exporters read a multi-platform result from the result's refs map
(one ref per platform id), the metadata ``refs.platforms`` (the ids and their platforms,
in order) and one image config per platform under ``containerimage.config/<id>``; the
``moby`` exporter of an engine with the containerd image store and the registry exporter
write it as an image index.

A run step executes programs of the target platform. Before anything is built,
:func:`check_runnable` refuses a platform the engine's worker cannot run (no native
support, no emulation registered) when the goshfile has run steps, naming the step.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from goshfile.errors import SpecError
from goshfile.llb import Platform
from goshfile.spec import Loaded

CONFIG_KEY = "containerimage.config"
PLATFORMS_KEY = "refs.platforms"


class PlatformBuild(Protocol):
    """One platform's build: the result ref and its metadata (``containerimage.config`` among it)."""

    def build(self, created: datetime | None) -> tuple[str, dict[str, bytes]]: ...


@dataclass(frozen=True)
class MultiResult:
    """What goes back to BuildKit: a ref per platform id, and the result's metadata."""

    refs: dict[str, str]
    metadata: dict[str, bytes]


def worker_platforms(workers_json: str | None) -> list[Platform]:
    """Every platform the first worker in ``BUILDKIT_WORKERS`` (JSON) can run, native first."""
    if not workers_json:
        return []
    try:
        worker = json.loads(workers_json)[0]
        listed = worker.get("Platforms") or worker.get("platforms") or []
        # BuildKit 0.13 writes OS/Architecture/Variant, newer ones (Docker 28) the OCI spellings
        return [
            Platform(
                p.get("OS") or p["os"],
                p.get("Architecture") or p["architecture"],
                p.get("Variant") or p.get("variant") or "",
            )
            for p in listed
        ]
    except (ValueError, LookupError, TypeError, AttributeError):
        return []


def _runs(target: Platform, runnable: Sequence[Platform]) -> bool:
    # a worker listing linux/arm64 runs linux/arm64/v8 and the other way round
    return any(p.os == target.os and p.architecture == target.architecture for p in runnable)


def check_runnable(loaded: Loaded, platforms: Sequence[Platform], runnable: Sequence[Platform]) -> None:
    """Refuse, before building, a platform whose programs the engine cannot run when a step runs one."""
    if not runnable:
        return  # the engine did not say; BuildKit will
    steps = [(i, step) for i, step in enumerate(loaded.spec.steps) if step.run is not None]
    if not steps:
        return
    missing = [p for p in platforms if not _runs(p, runnable)]
    if not missing:
        return
    index, step = steps[0]
    can = ", ".join(str(p) for p in runnable)
    cannot = ", ".join(str(p) for p in missing)
    message = (
        f"step {step.name!r} runs a program, and this engine cannot run {cannot} programs (it runs {can}); "
        f"build {cannot} on an engine that can (native, or with QEMU emulation registered in binfmt_misc), "
        "or use only copy steps for it"
    )
    raise SpecError([loaded.document.problem(("steps", index, "run"), message)])


def platform_id(platform: Platform) -> str:
    """The id BuildKit's exporters key a platform by: ``os/arch[/variant]``."""
    return str(platform)


def build_platforms(
    make: Callable[[Platform], PlatformBuild], platforms: Sequence[Platform], created: datetime | None
) -> MultiResult:
    """Build every platform (base image resolved for each) and assemble one multi-platform result."""
    refs: dict[str, str] = {}
    metadata: dict[str, bytes] = {}
    listed = []
    for platform in platforms:
        key = platform_id(platform)
        ref, meta = make(platform).build(created)
        refs[key] = ref
        for name, value in meta.items():
            metadata[f"{name}/{key}" if name == CONFIG_KEY else name] = value
        entry = {"os": platform.os, "architecture": platform.architecture}
        if platform.variant:
            entry["variant"] = platform.variant
        listed.append({"id": key, "platform": entry})
    metadata[PLATFORMS_KEY] = json.dumps({"platforms": listed}, sort_keys=True).encode()
    return MultiResult(refs, metadata)

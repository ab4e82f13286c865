"""The frontend image's lock (dockerfiles/frontend-requirements.txt) covers pyproject's dependencies, hashed."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]
PIN = re.compile(r"^([A-Za-z0-9._-]+)==([^\s\\]+)")


def lock() -> dict[str, tuple[Version, list[str]]]:
    pins: dict[str, tuple[Version, list[str]]] = {}
    current: str = ""
    for line in (ROOT / "dockerfiles" / "frontend-requirements.txt").read_text().splitlines():
        match = PIN.match(line)
        if match:
            current = canonicalize_name(match.group(1))
            pins[current] = (Version(match.group(2)), [])
        elif "--hash=sha256:" in line:
            pins[current][1].append(line.split("--hash=sha256:")[1].strip(" \\"))
    return pins


def test_every_dependency_is_pinned_within_its_range_with_hashes() -> None:
    pins = lock()
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    for text in project:
        requirement = Requirement(text)
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{name} is not in the lock: run scripts/lock-frontend.sh"
        assert pins[name][0] in requirement.specifier, f"{name} {pins[name][0]} is outside {requirement.specifier}"
    for pinned, (_, hashes) in pins.items():
        assert hashes and all(re.fullmatch(r"[0-9a-f]{64}", h) for h in hashes), pinned


def test_the_image_build_installs_from_the_lock_with_hashes() -> None:
    script = (ROOT / "scripts" / "build-frontend-image.sh").read_text()
    assert '--require-hashes -r "$lock"' in script and "dockerfiles/frontend-requirements.txt" in script

"""Known engine races that a second attempt gets past, and how to tell one from a real failure.

moby/buildkit#6521: on the containerd image store, BuildKit's image exporter checks
that a layer's parent snapshot exists, then prepares the next layer on it; containerd's
garbage collector can remove that parent in between, and the export fails with
``failed to prepare extraction snapshot "...": parent snapshot sha256:... does not
exist: not found``. ``docker load`` unpacks the same way. BuildKit fixed it upstream
(moby/buildkit#6558, March 2026), after the BuildKit inside Debian's docker.io 28.5.2
that ``scripts/current-engine.sh`` runs. Nothing is lost when it happens: the build's
result is still in BuildKit's cache, so a second attempt only exports it again.
"""

from __future__ import annotations

import re

ATTEMPTS = 3  # a first try and two more, only when the failure is this race
TAIL = 64 * 1024  # how much of the end of a command's output is kept to look for it

_LOST_SNAPSHOT = re.compile(r"failed to prepare extraction snapshot .{1,300}?parent snapshot \S+ does not exist")


def lost_snapshot(output: str) -> bool:
    """Whether ``output`` (a failed build's or load's) ends in the race of moby/buildkit#6521."""
    return _LOST_SNAPSHOT.search(output) is not None


def retry_notice(what: str, attempt: int) -> str:
    """The line shown before attempt number ``attempt`` (2 or more) of ``what``."""
    return (
        f"goshfile: {what} failed on a known engine race (the containerd store lost a parent snapshot"
        f" while unpacking, moby/buildkit#6521); trying again ({attempt} of {ATTEMPTS})"
    )

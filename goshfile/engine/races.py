"""Known engine races that a second attempt gets past, and how to tell one from a real failure.

Each is told by the end of the failed command's output (its last :data:`TAIL` bytes), and
tried again only then (:data:`ATTEMPTS` in all): the lost snapshot by its message, the
gateway's closed connection only as the build's own final error line (``ERROR: failed to
solve: ...`` from buildx, ``ERROR: failed to build: failed to solve: ...`` from buildx 0.25 and
later, ``error: ...`` from buildctl), so that a step that prints those
words, or goshfile's own notice, does not count. Nothing is lost by trying again: a goshfile build is
deterministic and its steps are in BuildKit's cache, so another attempt only does the
part that failed again.

- **A lost parent snapshot** (moby/buildkit#6521): on the containerd image store,
  BuildKit's image exporter checks that a layer's parent snapshot exists, then prepares
  the next layer on it; containerd's garbage collector can remove that parent in between,
  and the export fails with ``failed to prepare extraction snapshot "...": parent snapshot
  sha256:... does not exist: not found``. ``docker load`` unpacks the same way. BuildKit
  fixed it upstream (moby/buildkit#6558, March 2026), after the BuildKit inside Debian's
  docker.io 28.5.2 that ``scripts/current-engine.sh`` runs.
- **The gateway's closed connection** (``frontend grpc server closed unexpectedly``):
  BuildKit serves a frontend's gRPC over the frontend container's stdin/stdout, and when
  that connection ends it cancels the container (``frontend/gateway/gateway.go``). When
  it sees the connection end (the frontend's exit closes it) before it sees the container
  exit, it reports this error and drops the result the frontend returned. It is seen now
  and then with BuildKit's own Dockerfile frontend images as well (moby/buildkit#1090,
  and BuildKit's own CI in moby/buildkit#3035); here it was seen only on a machine loaded
  8-13. A frontend that ends without answering (a crash, an out-of-memory kill) can end the
  same way; it is then tried again and fails each time, with its own output above each
  notice, which says so.
"""

from __future__ import annotations

import re
from typing import NamedTuple

ATTEMPTS = 3  # a first try and two more, only when the failure is one of these races
TAIL = 64 * 1024  # how much of the end of a command's output is kept to look for one


class Race(NamedTuple):
    """A known race: how the notice names it and how its failure reads."""

    cause: str  # what happened, as the retry notice says it
    tracked: str  # where upstream follows it
    pattern: str  # searched for in the failed command's output (text: compiled by ``re`` when first used)


LOST_SNAPSHOT = Race(
    "the containerd store lost a parent snapshot while unpacking",
    "moby/buildkit#6521",
    r"failed to prepare extraction snapshot .{1,300}?parent snapshot \S+ does not exist",
)
GATEWAY_CLOSED = Race(
    "BuildKit's gateway saw the frontend's connection end before the frontend's exit, or the frontend "
    'ended without answering: "frontend grpc server closed unexpectedly"',
    "moby/buildkit#1090",
    r"(?im)^(?:error: )?(?:failed to build: )?failed to solve: (?:.*: )?frontend grpc server closed unexpectedly\s*$",
)
RACES = (LOST_SNAPSHOT, GATEWAY_CLOSED)


def known_race(output: str) -> Race | None:
    """The known race ``output`` (a failed build's or load's) ends in, or None for any other failure."""
    for race in RACES:
        if re.search(race.pattern, output):
            return race
    return None


def retry_notice(what: str, attempt: int, race: Race) -> str:
    """The line shown before attempt number ``attempt`` (2 or more) of ``what``, which failed on ``race``."""
    said = f"goshfile: {what} failed on a known engine race ({race.cause}, {race.tracked})"
    return f"{said}; trying again ({attempt} of {ATTEMPTS})"

"""The in-toto Statement (v1) with a SLSA provenance (v1) predicate that ``goshfile build`` writes.

What it records: the image (subject, by digest), the goshfile's digest, the
base image, every gosh source with its commit, the build args, and whether any
step had network (the image is then not hermetic). The values come from the
build request and from the labels the frontend put on the image.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from goshfile import __version__
from goshfile import labels as names
from goshfile.errors import InputError

STATEMENT_TYPE = "https://in-toto.io/Statement/v1"
SLSA_PROVENANCE = "https://slsa.dev/provenance/v1"
BUILD_TYPE = "https://github.com/teamgosh/goshfile/buildtypes/goshfile@v1"
BUILDER_ID = f"https://github.com/teamgosh/goshfile/frontend@{__version__}"


def _digest(value: str) -> dict[str, str]:
    algorithm, _, hexdigest = value.partition(":")
    if not hexdigest:
        raise InputError(f"not a digest: {value!r}")
    return {algorithm: hexdigest}


def _base_dependency(base: str, config: str | None) -> dict[str, Any]:
    """The base image: its URI pinned by its manifest digest, which is also its ``sha256``.

    A base the engine had no registry digest for is named by its config digest
    (``annotations.digestOf: "config"``), the only digest there is.
    """
    dependency: dict[str, Any] = {"uri": f"docker-image://{base}"}
    annotations: dict[str, str] = {}
    if "@" in base:
        dependency["digest"] = _digest(base.split("@", 1)[1])
        if config:
            annotations["imageConfig"] = config
    elif config:
        dependency["digest"] = _digest(config)
        annotations["digestOf"] = "config"
    if annotations:
        dependency["annotations"] = annotations
    return dependency


@dataclass(frozen=True)
class BuildRecord:
    """What a build was, as far as provenance is concerned."""

    image: str
    digest: str  # the image's registry (manifest) digest, or its config digest when not pushed
    labels: dict[str, str]
    build_args: dict[str, str] = field(default_factory=dict)
    goshfile_path: str = "goshfile.yaml"
    context: dict[str, Any] = field(default_factory=dict)  # see goshfile.provenance.context.describe_context
    started: datetime | None = None
    finished: datetime | None = None


def statement(record: BuildRecord) -> dict[str, Any]:
    """The provenance Statement for ``record`` (a JSON-ready dict)."""
    labels = record.labels
    dependencies: list[dict[str, Any]] = []
    base = labels.get(names.BASE)
    if base and base != "scratch":
        dependencies.append(_base_dependency(base, labels.get(names.BASE_CONFIG)))
    for source in json.loads(labels.get(names.SOURCES, "[]")):
        entry: dict[str, Any] = {"uri": source["url"], "digest": {"gitCommit": source["commit"]}}
        extra = {k: source[k] for k in ("ref", "subdir") if k in source}
        if extra:
            entry["annotations"] = extra
        dependencies.append(entry)
    if labels.get(names.GOSH_ADDRESS) and labels.get(names.GOSH_COMMIT_HASH):
        dependencies.append(
            {"uri": labels[names.GOSH_ADDRESS], "digest": {"gitCommit": labels[names.GOSH_COMMIT_HASH]}}
        )
    goshfile: dict[str, Any] = {"path": record.goshfile_path}
    if labels.get(names.DIGEST):
        goshfile["digest"] = _digest(labels[names.DIGEST])
    metadata: dict[str, Any] = {}
    if record.started:
        metadata["startedOn"] = record.started.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if record.finished:
        metadata["finishedOn"] = record.finished.astimezone(UTC).isoformat().replace("+00:00", "Z")
    name = record.image.split("@", 1)[0]
    return {
        "_type": STATEMENT_TYPE,
        "subject": [{"name": name, "digest": _digest(record.digest)}],
        "predicateType": SLSA_PROVENANCE,
        "predicate": {
            "buildDefinition": {
                "buildType": BUILD_TYPE,
                "externalParameters": {
                    "goshfile": goshfile,
                    "context": record.context,
                    "buildArgs": dict(sorted(record.build_args.items())),
                },
                "internalParameters": {"hermetic": labels.get(names.HERMETIC) == "true"},
                "resolvedDependencies": dependencies,
            },
            "runDetails": {"builder": {"id": BUILDER_ID}, "metadata": metadata},
        },
    }


def encode(value: dict[str, Any]) -> bytes:
    """Canonical bytes of a statement (sorted keys, no spaces), the DSSE payload."""
    return json.dumps(value, sort_keys=True, separators=(",", ":")).encode()

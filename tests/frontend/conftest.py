"""Fixtures for the frontend tests: convert goshfiles without an engine, and a fake BuildKit gateway."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest

from goshfile.frontend.convert import BaseImage, Conversion, convert
from goshfile.frontend.options import parse_options
from goshfile.llb import Platform, State, marshal
from tests.frontend.fake_gateway import FakeGateway
from tests.helpers import Graph, load

PLATFORM = Platform("linux", "amd64")
CREATED = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
BASE_REF = "docker.io/library/bash:latest@sha256:" + "a" * 64


@dataclass
class Converted:
    """A conversion, its LLB parsed back and its image config as the exporter reads it."""

    result: Conversion
    graph: Graph
    image: dict[str, Any]

    @property
    def config(self) -> dict[str, Any]:
        return dict(self.image["config"])

    @property
    def labels(self) -> dict[str, str]:
        return dict(self.image["config"].get("Labels") or {})

    def step(self, name: str) -> Any:
        """The op of the step called ``name`` (its progress name is ``[i/n] name``)."""
        return next(op for d, op in self.graph.ops if self.graph.name(d).endswith(f"] {name}"))

    def step_digest(self, name: str) -> str:
        return next(d for d, _ in self.graph.ops if self.graph.name(d).endswith(f"] {name}"))


def run_convert(
    text: str,
    *,
    config: dict[str, Any] | None = None,
    history: list[dict[str, Any]] | None = None,
    opts: dict[str, str] | None = None,
    contexts: tuple[str, ...] = ("context",),
    reference: str | None = BASE_REF,
    build_args: dict[str, str] | None = None,
) -> Converted:
    """Convert ``text`` against a base image with ``config`` and ``history`` (``reference`` None: scratch),
    with the named ``contexts`` given as locals."""
    loaded = load(text, build_args)
    image: dict[str, Any] = {"config": config or {}, **({"history": history} if history is not None else {})}
    base = BaseImage(reference, image, "sha256:" + "c" * 64) if reference else BaseImage.scratch(PLATFORM)
    states = {name: State.local(name, shared_key_hint=name) for name in contexts}
    result = convert(loaded, base, parse_options(opts or {}), states.get, PLATFORM, CREATED)
    rendered = json.loads(result.config.render(CREATED))
    return Converted(result, Graph.of(marshal(result.state.output)), rendered)


@pytest.fixture
def gateway() -> FakeGateway:
    return FakeGateway()

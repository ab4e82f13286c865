"""Gosh sources become read-only mounts and copies of named build contexts, and are recorded in labels."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from goshfile.buildkit import ops_pb2 as pb
from goshfile.errors import SpecError
from goshfile.frontend.convert import BaseImage, convert
from goshfile.frontend.options import parse_options
from goshfile.llb import Platform, State, marshal
from goshfile.spec import load_text
from goshfile.spec.sources import SourceUse

URL = "gosh://0:" + "1" * 64 + "/dao/repo"
COMMIT = "a" * 40
PLATFORM = Platform("linux", "amd64")
GOSHFILE = f"""apiVersion: 1
image: bash:latest
sources:
  app: {{gosh: "{URL}", commit: "{COMMIT}"}}
steps:
  - name: build
    run:
      command: [/bin/sh, -c, "cp -r /src /out"]
      mounts: [{{source: app, dst: /src}}]
  - name: vendor
    copy: {{from: app, src: lib, dst: /vendor/}}
"""


def ops(state: State) -> list[pb.Op]:
    out = []
    for data in getattr(marshal(state.output), "def"):
        op = pb.Op()
        op.ParseFromString(data)
        out.append(op)
    return out


def build(
    text: str, contexts: dict[str, State], opts: dict[str, str] | None = None
) -> tuple[list[pb.Op], dict[str, str]]:
    loaded = load_text(text, "goshfile.yaml", {}, allow_refs=True)
    base = BaseImage("docker.io/library/bash:latest", {"config": {}})
    result = convert(loaded, base, parse_options(opts or {}), contexts.get, PLATFORM, datetime(2026, 1, 1, tzinfo=UTC))
    config = json.loads(result.config.render(datetime(2026, 1, 1, tzinfo=UTC)))
    return ops(result.state), config["config"]["Labels"]


def test_a_named_source_is_mounted_read_only_and_copied_from_its_context() -> None:
    name = SourceUse(URL, COMMIT, "", ()).context_name()
    ops_, labels = build(GOSHFILE, {name: State.local(name)})
    sources = [op.source.identifier for op in ops_ if op.WhichOneof("op") == "source"]
    assert f"local://{name}" in sources
    exec_op = next(op.exec for op in ops_ if op.WhichOneof("op") == "exec")
    mount = next(m for m in exec_op.mounts if m.dest == "/src")
    assert mount.readonly and mount.output == -1
    copy_op = next(op.file for op in ops_ if op.WhichOneof("op") == "file")
    assert copy_op.actions[0].copy.src == "/lib"
    assert json.loads(labels["goshfile.sources"]) == [{"commit": COMMIT, "url": URL}]
    assert labels["goshfile.digest"].startswith("sha256:")


def test_a_missing_source_context_names_the_context_to_provide() -> None:
    name = SourceUse(URL, COMMIT, "", ()).context_name()
    with pytest.raises(SpecError) as info:
        build(GOSHFILE, {})
    assert f"--build-context {name}=DIR" in str(info.value)
    assert str(info.value).startswith("goshfile.yaml:4:8: sources.app: gosh source")


def test_a_branch_is_used_through_its_pin() -> None:
    text = GOSHFILE.replace(f'commit: "{COMMIT}"', "commit: main")
    pinned = SourceUse(URL, "main", "", ()).context_name(COMMIT)
    opts = {f"build-arg:gosh-pin:{URL}#main": COMMIT}
    _, labels = build(text, {pinned: State.local(pinned)}, opts)
    assert json.loads(labels["goshfile.sources"]) == [{"commit": COMMIT, "ref": "main", "url": URL}]
    with pytest.raises(SpecError) as info:
        build(text, {pinned: State.local(pinned)})
    assert "'main' is a branch or tag" in str(info.value)

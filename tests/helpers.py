"""Helpers shared by the unit tests: load goshfiles, collect their problems, read LLB Definitions back."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from goshfile.buildkit import ops_pb2 as pb
from goshfile.errors import SpecError
from goshfile.llb import op_digest
from goshfile.spec import Loaded, load_text

HEADER = "apiVersion: 1\nimage: bash:latest\n"
COMMIT = "a" * 40
GOSH_URL = "gosh://0:" + "1" * 64 + "/dao/repo"
WALLET = "ab" * 32

SEED = Path(__file__).resolve().parents[1] / "examples" / "seed" / "goshfile.yaml"
DESIGN_SEED = """# syntax=teamgosh/goshfile
apiVersion: 1
image: bash:latest
steps:
  - name: print date
    run:
      command: ["/usr/local/bin/bash"]
      args: [-c, "(date +'%s %H:%M:%S %Z'; echo \\"Hi there\\") | tee /message.txt"]
"""

FULL = f"""# syntax=teamgosh/goshfile
apiVersion: 1
x-top: {{anything: [1, 2]}}
image: "bash:${{BASH_VERSION}}"
entrypoint: [/usr/local/bin/bash, -c]
cmd: ["cat /message.txt"]
env: {{LANG: C.UTF-8, PORT: "8080"}}
workdir: /app
user: "1000"
labels: {{org.example.team: build}}
args: {{BASH_VERSION: "5.2", GREETING: null}}
sources:
  lib: {{gosh: "{GOSH_URL}#:src", commit: "{COMMIT}", x-note: pinned}}
steps:
  - name: compile
    x-comment: steps take x- keys too
    run:
      command: [/bin/sh, -c]
      args: ["echo ${{GREETING}} > /out.txt"]
      env: {{CC: gcc}}
      workdir: /src
      user: root
      network: default
      mounts:
        - {{type: cache, dst: /root/.cache, id: build-cache, sharing: locked, x-why: speed}}
        - {{type: tmpfs, dst: /tmp, size: 1048576}}
        - {{type: bind, dst: /ctx, from: context, src: /sub, readonly: false}}
        - {{gosh: "{GOSH_URL}", commit: "{COMMIT}", dst: /gosh, readonly: true}}
        - {{type: gosh, source: lib, dst: /lib}}
  - name: collect
    copy: {{src: [a.txt, dir/], dst: out/, from: compile, chown: "1000:1000"}}
  - name: vendor
    copy: {{gosh: "{GOSH_URL}", commit: "{COMMIT}", src: lib, dst: /vendor}}
  - name: single
    copy: {{src: README.md, dst: /README.md}}
"""


def load(
    text: str, build_args: dict[str, str] | None = None, *, lint: bool = False, filename: str = "goshfile.yaml"
) -> Loaded:
    """Load ``text``: with ``build_args`` (default none given), or as ``goshfile lint`` does (``lint``)."""
    return load_text(text, filename, None if lint else (build_args or {}))


def problems(text: str, build_args: dict[str, str] | None = None, *, lint: bool = False) -> list[str]:
    """The problems ``text`` has, each as the one line the CLI prints."""
    with pytest.raises(SpecError) as info:
        load(text, build_args, lint=lint)
    return [str(p) for p in info.value.problems]


@dataclass
class Graph:
    """A ``pb.Definition`` parsed back: ops in order, by digest, and the result."""

    definition: pb.Definition
    ops: list[tuple[str, pb.Op]]

    @classmethod
    def of(cls, definition: pb.Definition) -> Graph:
        ops = []
        for data in getattr(definition, "def"):
            op = pb.Op()
            op.ParseFromString(data)
            ops.append((op_digest(data), op))
        return cls(definition, ops)

    @classmethod
    def parse(cls, data: bytes) -> Graph:
        definition = pb.Definition()
        definition.ParseFromString(data)
        return cls.of(definition)

    @property
    def digests(self) -> list[str]:
        return [d for d, _ in self.ops]

    def op(self, digest: str) -> pb.Op:
        return next(op for d, op in self.ops if d == digest)

    def of_type(self, kind: str) -> list[pb.Op]:
        return [op for _, op in self.ops if op.WhichOneof("op") == kind]

    @property
    def final(self) -> pb.Op:
        return self.ops[-1][1]

    @property
    def result(self) -> pb.Op:
        """The op the final bare op points at."""
        return self.op(self.final.inputs[0].digest)

    def inputs(self, op: pb.Op) -> list[pb.Op]:
        return [self.op(i.digest) for i in op.inputs]

    def name(self, digest: str) -> str:
        return self.definition.metadata[digest].description.get("llb.customname", "")

    def named(self, name: str) -> tuple[str, pb.Op]:
        """The digest and op whose progress name is ``name``."""
        return next((d, op) for d, op in self.ops if self.name(d) == name)

    def sources(self) -> list[str]:
        return [op.source.identifier for op in self.of_type("source")]

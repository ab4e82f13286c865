"""Identical graphs give byte-identical Definitions: in one process, and across processes with other hash seeds."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from goshfile.llb import marshal, serialize
from tests.helpers import FULL, Graph
from tests.llb.graphs import sample, sample_bytes

ROOT = Path(__file__).resolve().parents[2]

# Loads and converts the full goshfile (maps of env, labels, mounts) and prints the Definition's bytes in hex.
CONVERT = """
import sys
from datetime import UTC, datetime
from goshfile.frontend.convert import BaseImage, convert
from goshfile.frontend.options import parse_options
from goshfile.llb import Platform, State, marshal, serialize
from goshfile.spec import load_text
loaded = load_text(sys.stdin.read(), "goshfile.yaml", {"GREETING": "hi"})
def resolve(name):
    return State.local(name, shared_key_hint=name, exclude_patterns=["b", "a"])
base = BaseImage("docker.io/library/bash:5.2", {"config": {"Env": ["PATH=/bin"], "Labels": {"z": "1", "a": "2"}}})
result = convert(loaded, base, parse_options({}), resolve, Platform("linux", "amd64"), datetime(2026, 1, 1, tzinfo=UTC))
print(serialize(marshal(result.state.output)).hex())
"""


def run_python(args: list[str], seed: str, stdin: str = "") -> bytes:
    env = {**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, input=stdin, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    return bytes.fromhex(done.stdout.strip())


def test_the_same_graph_built_twice_gives_the_same_bytes() -> None:
    one, two = marshal(sample().output), marshal(sample().output)
    assert serialize(one) == serialize(two)
    assert list(getattr(one, "def")) == list(getattr(two, "def"))
    assert Graph.of(one).digests == Graph.of(two).digests


def test_marshalling_the_same_state_twice_gives_the_same_bytes() -> None:
    state = sample()
    assert serialize(marshal(state.output)) == serialize(marshal(state.output))


def test_separate_processes_with_different_hash_seeds_agree() -> None:
    here = sample_bytes()
    script = [str(ROOT / "tests" / "llb" / "graphs.py")]
    assert run_python(script, "1") == here
    assert run_python(script, "12345") == here


def test_a_converted_goshfile_is_identical_across_processes() -> None:
    first = run_python(["-c", CONVERT], "0", FULL)
    second = run_python(["-c", CONVERT], "4242", FULL)
    assert first == second
    assert len(getattr(Graph.parse(first).definition, "def")) >= 6

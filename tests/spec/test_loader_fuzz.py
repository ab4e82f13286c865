"""Property-based: any bytes given as a goshfile end in a valid model or a SpecError with positions.

A loaded model must also convert to LLB without any other exception (what lints, builds).
Each case has a deadline (hypothesis' per-example setting); nothing here measures time.
``GOSHFILE_FUZZ_EXAMPLES`` sets the number of cases per property (default 100).
"""

from __future__ import annotations

import os
import string
from datetime import UTC, datetime, timedelta
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from goshfile.buildkit import ops_pb2 as pb
from goshfile.errors import GoshfileError, SpecError
from goshfile.frontend.convert import BaseImage, convert
from goshfile.frontend.options import BuildOptions
from goshfile.llb import Platform, State, marshal, serialize
from goshfile.spec.loader import Loaded, load_bytes
from tests.helpers import COMMIT, DESIGN_SEED, FULL, GOSH_URL, Graph

EXAMPLES = int(os.environ.get("GOSHFILE_FUZZ_EXAMPLES", "100"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=timedelta(seconds=5),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
PLATFORM = Platform.parse("linux/amd64")

FIELDS = [
    "apiVersion", "image", "steps", "name", "run", "copy", "command", "args", "env", "mounts", "type", "dst",
    "src", "from", "gosh", "commit", "chown", "size", "id", "sharing", "readonly", "source", "sources",
    "labels", "workdir", "user", "network", "entrypoint", "cmd", "x-ext", "tmpfs", "cache", "bind",
]  # fmt: skip
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=-(10**40), max_value=10**40),
    st.floats(allow_nan=True),
    st.text(max_size=30),
    st.sampled_from(["/app", "bash:latest", "1000:1000", "\u0663", "gosh", "tmpfs", "cache", "bind", "scratch",
                     GOSH_URL, f"{GOSH_URL}#:../../etc", f"{GOSH_URL}#main:src", COMMIT, "a" * 64, "${X}"]),
)  # fmt: skip
DATA = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.one_of(st.sampled_from(FIELDS), st.text(max_size=8)), inner, max_size=6),
    ),
    max_leaves=40,
)
# Bytes that matter to YAML: indicators, quotes, escapes, line breaks, controls and odd Unicode.
SPICE = [
    *(c.encode() for c in "&*!|>{}[],:#-?%@`'\"\\\n\t\r "),
    *(b"\x00", b"\x01", b"\x7f", b"\xc2\x85", b"\xef\xbf\xbe", b"\xed\xa0\x80", b"\xff", b"\\ud800", b"\\x00"),
    *(b"!!python/name:os.system ", b"&a ", b"*a", b"9" * 30),
]
SEEDS = [DESIGN_SEED.encode(), FULL.encode()]


def _resolve(name: str) -> State:
    return State.local(name, shared_key_hint=name)


def check(data: bytes) -> Loaded | None:
    """Load ``data``: a model (which then converts and serializes) or a SpecError with real positions."""
    lines = len(data.decode("utf-8", errors="replace").splitlines()) + 2  # YAML breaks lines at CR and NEL too
    try:
        loaded = load_bytes(data, "f.yaml", {"GREETING": "hi"})
    except SpecError as exc:
        assert exc.problems
        for problem in exc.problems:
            assert problem.file == "f.yaml"
            assert 1 <= problem.line <= lines and problem.column >= 1, problem
            assert problem.message
        return None
    _definition(loaded)
    return loaded


def _definition(loaded: Loaded) -> pb.Definition | None:
    """The LLB ``loaded`` converts to, serialized once; None for a reason outside the file (a context)."""
    base = BaseImage.scratch(PLATFORM) if loaded.spec.image == "scratch" else BaseImage("docker.io/library/x:1", {})
    try:
        converted = convert(loaded, base, BuildOptions(), _resolve, PLATFORM, created=datetime.fromtimestamp(0, UTC))
    except GoshfileError:
        return None
    definition = marshal(converted.state.output)
    serialize(definition)
    return definition


@FUZZ
@given(DATA)
def test_generated_documents_load_or_fail_with_positions(value: Any) -> None:
    check(yaml.safe_dump(value, allow_unicode=True).encode("utf-8", errors="surrogatepass"))


@FUZZ
@given(
    st.sampled_from(["apiVersion: 1\nimage: bash:latest\n", "apiVersion: 1\nimage: scratch\n"]),
    st.lists(st.dictionaries(st.sampled_from(FIELDS), DATA, max_size=5), max_size=3),
)
def test_generated_steps_load_or_fail_with_positions(head: str, steps: list[dict[str, Any]]) -> None:
    body = yaml.safe_dump({"steps": steps}, allow_unicode=True)
    check((head + body).encode("utf-8", errors="surrogatepass"))


@FUZZ
@given(st.binary(max_size=400))
def test_random_bytes_load_or_fail_with_positions(data: bytes) -> None:
    check(data)


@FUZZ
@given(st.text(alphabet=st.sampled_from([*string.printable, "\x00", "\u0085", "\ufeff", "\u0663"]), max_size=300))
def test_random_text_loads_or_fails_with_positions(text: str) -> None:
    check(text.encode())


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 8))):
        at = draw(st.integers(0, len(data)))
        op = draw(st.sampled_from(["insert", "delete", "flip", "repeat"]))
        if op == "insert":
            data[at:at] = draw(st.one_of(st.sampled_from(SPICE), st.binary(min_size=1, max_size=4)))
        elif op == "delete":
            del data[at : at + draw(st.integers(1, 20))]
        elif op == "flip" and at < len(data):
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif op == "repeat":
            piece = data[at : at + draw(st.integers(1, 40))]
            data[at:at] = piece * draw(st.integers(1, 50))
    return bytes(data)


@FUZZ
@given(mutated())
def test_mutated_goshfiles_load_or_fail_with_positions(data: bytes) -> None:
    check(data)


def test_the_seeds_themselves_load() -> None:
    for seed in SEEDS:
        loaded = load_bytes(seed, "f.yaml", {"GREETING": "hi"})  # a SpecError here fails the test with its problems
        assert [s.name for s in loaded.spec.steps] == [s["name"] for s in yaml.safe_load(seed)["steps"]]
        definition = _definition(loaded)  # the fuzzers' own conversion turns it into LLB, one exec per run step
        assert definition is not None
        runs = [s for s in yaml.safe_load(seed)["steps"] if "run" in s]
        assert len(Graph.of(definition).of_type("exec")) == len(runs)

"""Definitions beyond BuildKit's 4 MiB gateway limit: sent without the source map, else refused (and by lint)."""

from __future__ import annotations

import re

import pytest

from goshfile.frontend import fit, subrequests
from tests.frontend.fake_gateway import FakeGateway
from tests.frontend.test_build import build
from tests.frontend.test_subrequests import ask, payload
from tests.helpers import HEADER, load

STEPS = HEADER + "steps:\n" + "".join(f"  - name: s{i}\n    run: {{command: [/bin/true, '{i}']}}\n" for i in range(40))


def sizes(gateway: FakeGateway) -> tuple[int, int]:
    """The bytes of the build's definition with and without its source map."""
    assert build(gateway, STEPS)[0] == 0
    final = gateway.graph(-1).definition
    lean = type(final)()
    lean.CopyFrom(final)
    lean.ClearField("Source")
    return final.ByteSize(), lean.ByteSize()


def test_a_definition_within_the_limit_keeps_its_source_map(gateway: FakeGateway) -> None:
    assert build(gateway, STEPS)[0] == 0
    assert gateway.graph(-1).definition.HasField("Source")
    assert fit.MAX_DEFINITION < fit.GATEWAY_LIMIT == 4 << 20


def test_over_the_limit_the_source_map_goes_first(gateway: FakeGateway, monkeypatch: pytest.MonkeyPatch) -> None:
    whole, lean = sizes(FakeGateway())
    monkeypatch.setattr(fit, "MAX_DEFINITION", (whole + lean) // 2)
    assert build(gateway, STEPS)[0] == 0 and gateway.errors == []
    final = gateway.graph(-1)
    assert not final.definition.HasField("Source") and len(final.ops) == 42


def test_a_definition_too_large_even_without_it_is_refused_saying_what_to_do(
    gateway: FakeGateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, lean = sizes(FakeGateway())
    monkeypatch.setattr(fit, "MAX_DEFINITION", lean // 2)
    assert build(gateway, STEPS)[0] == 0
    [(_, message)] = gateway.errors
    assert message.startswith("goshfile.yaml:3:1: steps: the build definition is ")
    assert re.search(r"BuildKit.s gateway accepts at most 4 MiB \(about \d+ of these steps\)", message)
    assert len(gateway.solves) == 1  # nothing but the goshfile was solved


def test_lint_refuses_what_the_build_would(gateway: FakeGateway, monkeypatch: pytest.MonkeyPatch) -> None:
    _, lean = sizes(FakeGateway())
    monkeypatch.setattr(subrequests, "MAX_DEFINITION", lean // 2)
    metadata = ask(gateway, "frontend.lint", STEPS)
    [warning] = payload(metadata)["warnings"]
    assert warning["ruleName"] == "DefinitionTooLarge" and "at most 4 MiB" in warning["detail"]
    assert metadata["result.statuscode"] == b"1"
    estimate = subrequests.definition_size(load(STEPS, lint=True), {})
    assert estimate is not None and abs(estimate - lean) < lean // 5  # close to what the build sends
    monkeypatch.setattr(subrequests, "MAX_DEFINITION", estimate * 10 // 9 + 10)
    assert payload(ask(FakeGateway(), "frontend.lint", STEPS))["warnings"] == []

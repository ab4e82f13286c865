"""The offline LLB: the frontend's own path over a gateway that reads local folders."""

from __future__ import annotations

from pathlib import Path

import pytest

from goshfile.errors import InputError
from goshfile.llb import Platform, to_json
from goshfile.workflows.llb import goshfile_llb

AMD64 = Platform("linux", "amd64")


def test_the_base_is_used_by_name_and_the_context_is_read_with_its_ignores(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("goshfile.yaml").write_text(
        "apiVersion: 1\nimage: bash:latest\nargs: {X: 'default'}\nsteps:\n  - name: add\n    copy: {src: f, dst: /f}\n"
    )
    Path(".dockerignore").write_text("*.log\n")
    result = goshfile_llb("goshfile.yaml", {"X": "1", "UNUSED": "2"}, AMD64)
    ops = to_json(result.definition)
    assert ops[0]["op"]["source"]["identifier"] == "docker-image://docker.io/library/bash:latest"
    assert any("UNUSED" in warning for warning in result.warnings)  # the frontend's own warnings come back


def test_a_missing_goshfile_and_a_missing_context_are_bad_input(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(InputError, match=r"nope\.yaml: no such file"):
        goshfile_llb("nope.yaml", {}, AMD64)
    steps = "steps:\n  - name: c\n    copy: {src: a, dst: /a, from: x}\n"
    Path("g.yaml").write_text("apiVersion: 1\nimage: scratch\n" + steps)
    with pytest.raises(InputError, match="x"):  # a context the build would not have either
        goshfile_llb("g.yaml", {}, AMD64)

"""Subrequests through real buildx: outline, targets and lint answer without running a step, in the shapes
buildx prints for BuildKit's own Dockerfile frontend."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.helpers import Images, Run, write

pytestmark = pytest.mark.docker

GOSHFILE = """# syntax=teamgosh/goshfile
apiVersion: 1
image: bash:latest
args:
  GREETING: hello
  NAME: null
steps:
  - name: greet
    run:
      command: [/usr/local/bin/bash, -c, "echo $GREETING > /greet.txt"]
      mounts:
        - {type: cache, dst: /cache}
  - name: use secret
    run:
      command: [/usr/local/bin/bash, -c, "test -s /run/secrets/token"]
      mounts:
        - {type: secret, id: token}
        - {type: ssh, required: false}
  - name: fails
    run:
      command: [/usr/local/bin/bash, -c, "echo THIS-STEP-RAN; exit 3"]
"""

# The same build as a Dockerfile, for BuildKit's builtin frontend.
DOCKERFILE = """FROM bash:latest AS greet
ARG GREETING=hello
RUN --mount=type=cache,target=/cache echo $GREETING > /greet.txt
FROM greet AS usesecret
RUN --mount=type=secret,id=token,required=true --mount=type=ssh test -s /run/secrets/token
FROM usesecret AS fails
RUN echo THIS-STEP-RAN; exit 3
"""


def _print(folder: Path, what: str, file: str, args: tuple[str, ...]) -> subprocess.CompletedProcess[str]:
    """``BUILDX_EXPERIMENTAL=1 docker buildx build --print=WHAT`` (buildx 0.13's spelling of --call)."""
    return subprocess.run(
        [
            "docker",
            "buildx",
            "build",
            "--progress=plain",
            f"--print={what}",
            "-f",
            str(folder / file),
            *args,
            str(folder),
        ],
        env={**os.environ, "BUILDX_EXPERIMENTAL": "1"},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def ask(folder: Path, what: str, file: str = "goshfile.yaml", *args: str) -> Run:
    """A subrequest's exit status and its whole output (stdout, then stderr)."""
    proc = _print(folder, what, file, args)
    return Run(proc.returncode, proc.stdout + proc.stderr)


def answer(folder: Path, what: str, file: str = "goshfile.yaml", *args: str) -> str:
    """The printed answer (stdout) of a subrequest that must succeed and run no step."""
    proc = _print(folder, what, file, args)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "THIS-STEP-RAN" not in proc.stderr  # the progress: the step never ran (its command is in stdout)
    assert "[1/3]" not in proc.stderr and "[base]" not in proc.stderr  # no step and no base image were solved
    return proc.stdout


@pytest.fixture
def folder(tmp_path: Path, images: Images) -> Path:
    return write(tmp_path, {"goshfile.yaml": GOSHFILE, "Dockerfile": DOCKERFILE})


def shape(value: Any) -> Any:
    """The keys of JSON objects, recursively (lists by their first item), without the values."""
    if isinstance(value, dict):
        return {k: shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [shape(value[0])] if value else []
    return type(value).__name__


def test_targets_answer_in_the_dockerfile_frontends_shape_without_running_a_step(folder: Path) -> None:
    ours = json.loads(answer(folder, "targets,format=json"))
    theirs = json.loads(answer(folder, "targets,format=json", "Dockerfile"))
    assert [t["name"] for t in ours["targets"]] == ["greet", "use secret", "fails"]
    assert [t.get("default", False) for t in ours["targets"]] == [False, False, True]
    assert set(ours) == set(theirs) == {"targets", "sources"}
    for mine, builtin in zip(ours["targets"], theirs["targets"], strict=True):
        assert set(builtin) - {"description"} <= set(mine)
        assert shape(mine["location"]) == shape(builtin["location"])
    assert [t["location"]["ranges"][0]["start"]["line"] for t in ours["targets"]] == [8, 13, 19]
    text = answer(folder, "targets").splitlines()
    builtin_text = answer(folder, "targets", "Dockerfile").splitlines()
    assert text[0].split() == builtin_text[0].split() == ["TARGET", "DESCRIPTION"]
    assert text[3].startswith("fails (default)") and builtin_text[3].startswith("fails (default)")


def test_outline_answers_in_the_dockerfile_frontends_shape_without_running_a_step(folder: Path) -> None:
    ours = json.loads(answer(folder, "outline,format=json"))
    theirs = json.loads(answer(folder, "outline,format=json", "Dockerfile"))
    for key in ("name", "secrets", "ssh", "sources"):
        assert shape(ours[key]) == shape(theirs[key]), key
    assert ours["name"] == theirs["name"] == "fails"
    assert [(s["name"], s.get("required", False)) for s in ours["secrets"]] == [("token", True)]
    assert [(s["name"], s.get("required", False)) for s in ours["ssh"]] == [("default", False)]
    assert [(s["name"], s.get("required", False)) for s in theirs["secrets"]] == [("token", True)]
    assert [(a["name"], a.get("value")) for a in ours["args"]] == [("GREETING", "hello"), ("NAME", None)]
    assert ours["args"][0]["location"]["ranges"][0]["start"]["line"] == 5
    text = answer(folder, "outline")
    builtin = answer(folder, "outline", "Dockerfile")
    for table in ("SECRET   REQUIRED\ntoken    true\n", "SSH       REQUIRED\ndefault   \n"):
        assert table in text and table in builtin
    assert "BUILD ARG   VALUE   DESCRIPTION\nGREETING    hello" in text


def test_describe_lists_the_subrequests(folder: Path) -> None:
    names = [d["name"] for d in json.loads(answer(folder, "subrequests.describe,format=json"))]
    assert names == ["frontend.outline", "frontend.targets", "frontend.lint", "frontend.subrequests.describe"]


def test_lint_of_a_valid_goshfile_runs_no_step(folder: Path) -> None:
    assert (
        answer(folder, "lint", "goshfile.yaml", "--build-arg", "NAME=x").strip() == "Check complete, no warnings found."
    )
    advice = answer(folder, "lint")  # without build args: NAME has no default, which a build needs
    assert "WARNING: RequiredBuildArg\ngoshfile.yaml:6: build arg NAME has no default" in advice


def test_lint_shows_every_problem_with_the_goshfiles_lines(tmp_path: Path, images: Images) -> None:
    write(
        tmp_path,
        {
            "goshfile.yaml": """# syntax=teamgosh/goshfile
apiVersion: 1
image: bash:latest
steps:
  - name: bad
    run:
      command: /usr/local/bin/bash
      netwrk: none
  - name: bad
    run: {command: [/bin/true], mounts: [{type: secret, id: t, uid: 4294967296}]}
"""
        },
    )
    out = answer(tmp_path, "lint")
    assert "WARNING: UnknownField\ngoshfile.yaml:8: steps[0].run.netwrk: unknown field" in out
    assert "   8 | >>>       netwrk: none" in out
    assert "WARNING: DuplicateStepName\ngoshfile.yaml:9: steps[1].name: duplicate step name" in out
    assert "goshfile.yaml:10: steps[1].run.mounts[0].uid" in out
    assert "Check complete, 4 warnings have been found!" in out


def test_a_subrequest_on_a_broken_goshfile_fails_showing_its_lines(tmp_path: Path, images: Images) -> None:
    write(
        tmp_path, {"goshfile.yaml": GOSHFILE.replace("network", "x").replace("type: cache,", "type: cache, size: 1,")}
    )
    result = ask(tmp_path, "targets")
    assert result.returncode != 0
    assert "goshfile.yaml:12:25: steps[0].run.mounts[0].size: unknown field" in result.output
    assert "  12 | >>>         - {type: cache, size: 1, dst: /cache}" in result.output  # buildx's snippet

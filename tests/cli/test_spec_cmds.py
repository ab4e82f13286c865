"""`goshfile lint`, `goshfile llb` and `goshfile schema`, run in-process through goshfile.cli.main.main."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from goshfile.cli.main import main
from goshfile.spec.schema import render
from tests.helpers import DESIGN_SEED, HEADER, Graph

BAD = HEADER + "bogus: 1\nenv: {PORT: 8080}\n"


@pytest.fixture
def seed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The seed goshfile as ./goshfile.yaml (the commands' default file)."""
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "goshfile.yaml"
    path.write_text(DESIGN_SEED)
    return path


def write(tmp_path: Path, text: str, name: str = "g.yaml") -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_lint_ok(seed: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lint"]) == 0
    out, err = capsys.readouterr()
    assert out == "" and err == "goshfile.yaml: ok (1 step)\n"


def test_lint_prints_every_problem_and_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, BAD)
    assert main(["lint", "-f", path]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err.splitlines() == [
        f"{path}:3:1: bogus: unknown field (extension fields must start with x-)",
        f"{path}:4:13: env.PORT: must be a string, not a number (quote it in YAML)",
        f"goshfile: error: 2 problems in {path}",
    ]
    assert "Traceback" not in err


def test_lint_counts_one_problem(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, "apiVersion: 1\n")
    assert main(["lint", "--file", path]) == 1
    assert capsys.readouterr().err.splitlines() == [
        f"{path}:1:1: image: is required",
        f"goshfile: error: 1 problem in {path}",
    ]


def test_lint_checks_required_args_only_with_build_args(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, HEADER + "args: {NEEDED: null}\n")
    assert main(["lint", "-f", path]) == 0  # without build args, a required one is a warning
    assert f"goshfile: warning: {path}:3:8: build arg NEEDED has no default: a build needs --build-arg NEEDED=..." in (
        capsys.readouterr().err
    )
    assert main(["lint", "-f", path, "--build-arg", "OTHER=1"]) == 1
    err = capsys.readouterr().err
    assert f"{path}:3:8: args.NEEDED: build arg NEEDED has no default; give it with --build-arg NEEDED=..." in err
    assert main(["lint", "-f", path, "--build-arg", "NEEDED=1", "--build-arg", "EXTRA=2"]) == 0
    err = capsys.readouterr().err
    assert err.splitlines() == [
        f"goshfile: warning: build args not declared in {path} 'args' were ignored: EXTRA",
        f"goshfile: warning: {path}:1: the first line is not '# syntax=teamgosh/goshfile': plain "
        "'docker buildx build' will read the file as a Dockerfile (goshfile build works either way)",
        f"{path}: ok (0 steps)",
    ]


def test_lint_of_a_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = str(tmp_path / "nope.yaml")
    assert main(["lint", "-f", missing]) == 2
    assert capsys.readouterr().err == f"goshfile: error: {missing}: no such file\n"


def test_lint_of_a_file_that_is_not_utf8(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "bin.yaml"
    path.write_bytes(b"\xff\xfe\x00")
    assert main(["lint", "-f", str(path)]) == 1
    assert capsys.readouterr().err == (
        f"{path}:1:1: not UTF-8 text (byte 0xff at offset 0)\ngoshfile: error: 1 problem in {path}\n"
    )


def test_verbose_shows_the_traceback(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, BAD)
    assert main(["--verbose", "llb", "-f", path]) == 2
    err = capsys.readouterr().err
    assert "Traceback (most recent call last)" in err and "SpecError" in err
    assert err.rstrip().endswith(f"goshfile: error: 2 problems in {path}")
    assert main(["-v", "lint", "-f", str(tmp_path / "missing.yaml")]) == 2
    err = capsys.readouterr().err
    assert "Traceback (most recent call last)" in err and "InputError" in err
    assert "FileNotFoundError" in err  # the cause is chained
    assert main(["lint", "-f", str(tmp_path / "missing.yaml")]) == 2
    assert "Traceback" not in capsys.readouterr().err


def test_llb_json_has_the_exec_op(seed: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["llb", "--json"]) == 0
    lines = capsys.readouterr().out.splitlines()
    entries = [json.loads(line) for line in lines]  # one object per op, one per line
    assert [e["type"] for e in entries] == ["source", "exec", "result"]
    assert entries[0]["op"]["source"]["identifier"] == "docker-image://docker.io/library/bash:latest"
    exec_ = entries[1]["op"]["exec"]
    assert exec_["meta"]["args"][:2] == ["/usr/local/bin/bash", "-c"]
    assert exec_["network"] == "NONE"
    assert entries[1]["metadata"]["description"]["llb.customname"] == "[1/1] print date"
    assert entries[2]["op"]["inputs"][0]["digest"] == entries[1]["digest"]


def test_llb_binary_is_a_definition(seed: Path, capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    assert main(["llb"]) == 0
    graph = Graph.parse(capsysbinary.readouterr().out)
    assert [op.WhichOneof("op") for _, op in graph.ops] == ["source", "exec", None]
    assert graph.result.exec.meta.args[0] == "/usr/local/bin/bash"
    assert main(["llb", "--json"]) == 0
    entries = [json.loads(line) for line in capsysbinary.readouterr().out.splitlines()]
    assert [e["digest"] for e in entries] == graph.digests


def test_llb_platform_build_args_and_contexts(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = 'apiVersion: 1\nimage: "alpine:${V}"\nargs: {V: null}\nsteps:\n'
    text += "  - name: add\n    copy: {src: f, dst: /f}\n  - name: more\n    copy: {src: g, dst: /g, from: extra}\n"
    path = write(tmp_path, text)
    (tmp_path / "extra").mkdir()
    argv = ["llb", "-f", path, "--json", "--platform", "linux/arm64", "--build-arg", "V=3.20"]
    assert main([*argv, "--build-context", f"extra={tmp_path / 'extra'}"]) == 0
    entries = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    sources = [e["op"]["source"]["identifier"] for e in entries if e["type"] == "source"]
    assert sources == ["docker-image://docker.io/library/alpine:3.20", "local://context", "local://extra"]
    assert entries[0]["op"]["platform"] == {"OS": "linux", "Architecture": "arm64"}
    assert main(["llb", "-f", path, "--json", "--build-context", "extra=."]) == 2  # V is required: bad input
    assert "args.V: build arg V has no default" in capsys.readouterr().err
    assert main(argv) == 2  # the context 'extra' is not given, so the build could not run either
    assert "extra" in capsys.readouterr().err


def test_llb_honours_the_dockerignore_as_the_frontend_does(
    seed: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "goshfile.yaml").write_text(HEADER + "steps:\n  - name: add\n    copy: {src: f, dst: /f}\n")
    (tmp_path / ".dockerignore").write_text("# comment\nbuild.log\n")
    assert main(["llb", "--json"]) == 0
    entries = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    context = next(e for e in entries if e["op"].get("source", {}).get("identifier") == "local://context")
    assert json.loads(context["op"]["source"]["attrs"]["local.excludepatterns"]) == ["build.log"]


def test_llb_of_an_invalid_file_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["llb", "-f", write(tmp_path, BAD), "--json"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and "goshfile: error: 2 problems in" in err


def test_schema_prints_the_generated_schema(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema"]) == 0
    out = capsys.readouterr().out
    assert out == render()
    assert json.loads(out)["title"] == "goshfile"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["nosuch"], "No such command 'nosuch'"),
        (["lint", "--bogus"], "No such option '--bogus'"),
        (["llb", "--platform", "bad"], "Invalid value for --platform: platform 'bad' is not of the form os/arch"),
        (["llb", "--build-arg", "novalue"], "Invalid value for --build-arg: 'novalue' is not NAME=VALUE"),
        (["lint", "--build-arg", "=x"], "Invalid value for --build-arg: '=x' is not NAME=VALUE"),
    ],
)
def test_usage_errors_exit_2(seed: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and "Usage: goshfile" in err


def test_version_and_help_exit_0(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.startswith("goshfile, version ")
    assert main(["lint", "--help"]) == 0
    assert "Check a goshfile without building" in capsys.readouterr().out


def test_lint_accepts_the_syntax_line_without_a_warning(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, "# syntax=teamgosh/goshfile:0.1.0\n" + HEADER)
    assert main(["lint", "-f", path]) == 0
    assert "warning" not in capsys.readouterr().err


def test_lint_json_has_the_same_keys_whatever_the_outcome(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = write(tmp_path, HEADER, "good.yaml")
    assert main(["lint", "--json", "-f", good]) == 0
    ok = json.loads(capsys.readouterr().out)
    assert main(["lint", "--json", "-f", write(tmp_path, BAD)]) == 1
    bad = json.loads(capsys.readouterr().out)
    assert set(ok) == set(bad) == {"file", "ok", "steps", "problems", "warnings"}
    assert (ok["ok"], ok["steps"], ok["problems"]) == (True, 0, [])
    assert bad["ok"] is False and bad["steps"] is None
    assert bad["problems"][0] == {"line": 3, "column": 1, "path": "bogus", "message": bad["problems"][0]["message"]}

"""The CLI contract (README "CLI contract"): one exit code per cause, one line per error, tracebacks on -v."""

from __future__ import annotations

import json
from pathlib import Path

import click
import pytest

from goshfile.cli.main import ExitCode, cli, exit_code, main
from goshfile.errors import EngineError, GoshfileError, InputError, SpecError, VerificationError
from goshfile.ledger import SqliteLedger
from tests.ledger.helpers import ALICE, DIGEST, isolate

PUBLIC = ALICE.public_hex


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return isolate(tmp_path, monkeypatch)


def test_exit_codes_are_the_documented_table() -> None:
    assert [int(code) for code in (ExitCode.OK, ExitCode.FAILED, ExitCode.USAGE, ExitCode.UNREACHABLE)] == [0, 1, 2, 3]
    assert exit_code(VerificationError("x")) == 1
    assert exit_code(InputError("x")) == 2
    assert exit_code(SpecError([])) == 2
    assert exit_code(EngineError("x")) == 3
    assert exit_code(GoshfileError("x")) == 1


def test_0_success(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    SqliteLedger(tmp_path / "l.db").sign(ALICE, DIGEST)
    assert main(["check", "-n", str(tmp_path / "l.db"), PUBLIC, DIGEST]) == 0
    assert capsys.readouterr().out == "true\n"


def test_1_check_false(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["check", "-n", str(tmp_path / "l.db"), PUBLIC, DIGEST]) == 1
    out, err = capsys.readouterr()
    assert out == "false\n" and err.startswith("goshfile: error: no valid proof") and err.count("\n") == 1


def test_2_usage_and_bad_input(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check"]) == 2
    assert "Usage: goshfile check" in capsys.readouterr().err
    assert main(["check", "not-a-key", DIGEST]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.startswith("goshfile: error: the PUBLIC argument") and err.count("\n") == 1


def test_3_could_not_check_when_the_node_is_unreachable(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "-n", "http://127.0.0.1:1", PUBLIC, DIGEST]) == 3
    out, err = capsys.readouterr()
    assert out == "" and "cannot reach the node" in err and err.count("\n") == 1 and "Traceback" not in err


def test_verbose_is_parsed_by_click_and_shows_the_chained_cause(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--verbose", "check", "-n", "http://127.0.0.1:1", PUBLIC, DIGEST]) == 3
    err = capsys.readouterr().err
    assert "Traceback (most recent call last)" in err and "EngineError" in err
    assert main(["-v", "lint", "-f", "/nonexistent/goshfile.yaml"]) == 2
    err = capsys.readouterr().err
    assert "FileNotFoundError" in err and "The above exception was the direct cause" in err  # chained
    assert err.endswith("goshfile: error: /nonexistent/goshfile.yaml: no such file\n")
    # "-v" after the command is the command's argument, not the group's option: no traceback
    assert main(["check", "-n", "http://127.0.0.1:1", PUBLIC, DIGEST, "-v"]) == 2
    assert "Traceback" not in capsys.readouterr().err


def test_help_states_the_exit_codes() -> None:
    assert cli.help is not None and "3 could not check" in " ".join(cli.help.split())
    with click.Context(cli) as ctx:
        assert "--verbose" in cli.get_help(ctx)


def test_check_json_keeps_its_keys_for_true_false_and_unreachable(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    ledger = str(tmp_path / "l.db")
    SqliteLedger(tmp_path / "l.db").sign(ALICE, DIGEST)
    assert main(["check", "--json", "-n", ledger, PUBLIC, DIGEST]) == 0
    true = json.loads(capsys.readouterr().out)
    assert main(["check", "--json", "-n", ledger, PUBLIC, "sha256:" + "cd" * 32]) == 1
    false = json.loads(capsys.readouterr().out)
    assert main(["check", "--json", "-n", "http://127.0.0.1:1", PUBLIC, DIGEST]) == 3
    down = json.loads(capsys.readouterr().out)
    assert set(true) == set(false) == set(down) == {"public", "content", "address", "valid", "error"}
    assert (true["valid"], false["valid"], down["valid"]) == (True, False, None)
    assert true["error"] is None and down["error"]["type"] == "EngineError"
    assert "cannot reach the node" in down["error"]["message"]

"""The CLI's command table (goshfile/cli/commands.py) and what its light commands import."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import click

from goshfile.cli.commands import COMMANDS
from goshfile.cli.main import cli, main

HEAVY = (
    "docker",
    "grpc",
    "pydantic",
    "httpx",
    "google.protobuf",
    "goshfile.frontend",
    "goshfile.images",
    "http.client",
    "ssl",
)


def test_every_listed_line_is_the_commands_own_help() -> None:
    for name, entry in COMMANDS.items():
        command = entry.load()
        assert command.name == name, name
        assert entry.short_help == command.get_short_help_str(limit=1000), name


def test_every_command_of_the_group_is_in_the_table() -> None:
    assert set(cli.commands) <= set(COMMANDS)
    assert cli.list_commands(click.Context(cli)) == sorted(COMMANDS)


def imported_by(
    args: list[str], env: dict[str, str] | None = None, watched: tuple[str, ...] = HEAVY
) -> tuple[int, list[str]]:
    """Run ``goshfile ARGS`` in a fresh interpreter; its exit status and the ``watched`` modules it imported."""
    code = (  # nothing imported but sys and the CLI: json may be watched too
        "import sys\n"
        "from goshfile.cli.main import main\n"
        f"rc = main({args!r})\n"
        f"watched = {watched!r}\n"  # each name, and the modules inside it
        "heavy = sorted(m for m in sys.modules if m in watched or m.startswith(tuple(w + '.' for w in watched)))\n"
        "print(repr([int(rc), heavy]), file=sys.stderr)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=False)
    rc, heavy = ast.literal_eval(proc.stderr.strip().splitlines()[-1])
    return int(rc), list(heavy)


def test_help_and_version_import_no_command() -> None:
    assert imported_by(["--help"]) == (0, [])
    assert imported_by(["--version"]) == (0, [])


def signed_ledger(folder: Path) -> tuple[str, str, str]:
    """A ledger file in ``folder`` with one proof: the ledger, the signer's public key, the digest signed."""
    ledger = str(folder / "ledger.db")
    key = folder / "key.json"
    assert main(["keys", "generate", "-o", str(key)]) == 0
    public = json.loads(key.read_text())["public"]
    digest = "sha256:" + "ab" * 32
    assert main(["sign", "-n", ledger, "--key-file", str(key), digest]) == 0
    return ledger, public, digest


def test_check_and_addr_on_a_local_ledger_import_neither_docker_nor_grpc_nor_pydantic(tmp_path: Path) -> None:
    ledger, public, digest = signed_ledger(tmp_path)
    assert imported_by(["check", "-n", ledger, public, digest]) == (0, [])
    assert imported_by(["addr", "-n", ledger, public, digest]) == (0, [])


def test_check_and_addr_do_not_load_the_log_records(tmp_path: Path) -> None:
    # check and addr read one proof: the log's records (goshfile.ledger.log) are for sign and verify-log
    ledger, public, digest = signed_ledger(tmp_path)
    watched = ("goshfile.ledger.log", "goshfile.ledger.client")
    assert imported_by(["check", "-n", ledger, public, digest], watched=watched) == (0, [])
    assert imported_by(["addr", "-n", ledger, public, digest], watched=watched) == (0, [])
    assert "goshfile.ledger.log" in imported_by(["node", "verify-log", "-n", ledger], watched=watched)[1]


def test_addr_loads_no_ledger_backend_and_creates_no_file(tmp_path: Path) -> None:
    # addr hashes the key and the content: -n is checked, never opened, so sqlite3 stays unloaded
    ledger, public, digest = signed_ledger(tmp_path)
    watched = ("sqlite3", "goshfile.ledger.sqlite")
    assert imported_by(["addr", "-n", ledger, public, digest], watched=watched) == (0, [])
    absent = tmp_path / "absent" / "ledger.db"
    assert imported_by(["addr", "-n", str(absent), public, digest], watched=watched) == (0, [])
    assert not absent.parent.exists()
    code, loaded = imported_by(["check", "-n", ledger, public, digest], watched=watched)
    assert code == 0 and set(watched) <= set(loaded)  # check reads the proof: the same watch sees it


def test_addr_and_check_start_without_json_dataclasses_or_what_sign_needs(tmp_path: Path) -> None:
    # what only other commands or options use, kept off the two commands scripts call most; no key file
    # or GOSH config on this machine (reading one, to refuse a secret typed as PUBLIC, loads json)
    ledger, public, digest = signed_ledger(tmp_path)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WALLET_", "GOSH_"))}
    env |= {"GOSHFILE_HOME": str(tmp_path / "home"), "GOSH_CONFIG_PATH": str(tmp_path / "no-config.json")}
    watched = ("json", "dataclasses", "goshfile.ledger.protocol", "goshfile.ledger.proof", "goshfile.cli.ledger_cmds")
    assert imported_by(["addr", "-n", ledger, public, digest], env, watched) == (0, [])
    code, loaded = imported_by(["check", "-n", ledger, public, digest], env, watched)
    assert code == 0 and set(loaded) == {"goshfile.ledger.protocol", "goshfile.ledger.proof"}  # it reads a proof
    code, loaded = imported_by(["check", "--json", "-n", ledger, public, digest], env, watched)
    assert code == 0 and "json" in loaded  # the same watch sees json when --json asks for it


def test_commands_that_other_modules_extend_are_whole_when_loaded_lazily() -> None:
    keys = cli.get_command(click.Context(cli), "keys")
    assert isinstance(keys, click.Group)
    assert {"generate", "public", "export", "import", "trust"} <= set(keys.commands)


def test_help_does_not_import_shutil() -> None:
    code = (
        "import sys\nfrom goshfile.cli.main import main\n"
        "main(['--help'])\nprint('shutil' in sys.modules, file=sys.stderr)"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert proc.stderr.strip().splitlines()[-1] == "False"

"""A wallet secret typed in any slot of any command is never printed back (stdout or stderr).

The command tree is walked, so a new command or option is covered without editing this test.
The secret is the machine's own key (the default key file), so that a secret typed where a public
key goes can be recognised; engines and registries are pointed at closed loopback ports.
"""

from __future__ import annotations

import io
import sys
from collections.abc import Iterator
from pathlib import Path

import click
import pytest

from goshfile.cli.main import cli, main
from goshfile.keys import KeyPair, default_key_file, write_key_file
from goshfile.ledger import SqliteLedger
from tests.ledger.helpers import DIGEST, isolate

SIGNER = KeyPair.from_secret_hex("5" * 63 + "7")
SECRET = SIGNER.reveal_secret()
GIVER = KeyPair.from_secret_hex("9" * 63 + "1")
GIVER_SECRET = GIVER.reveal_secret()
IMAGE = "127.0.0.1:1/secret-test:1"  # a closed loopback port: fails at once, contacts nothing else


def commands(group: click.Group = cli, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], click.Command]]:
    ctx = click.Context(group)
    for name in sorted(group.list_commands(ctx)):  # a lazy group loads each command here
        command = group.get_command(ctx, name)
        assert command is not None
        if isinstance(command, click.Group):
            yield from commands(command, (*path, name))
        else:
            yield (*path, name), command


def base_arguments(path: tuple[str, ...], tmp: Path) -> list[str]:
    """An invocation that gets past argument parsing (and, with the slot filled, does as little as possible)."""
    goshfile = tmp / "goshfile.yaml"
    goshfile.write_text("apiVersion: 1\nimage: bash:latest\n")
    return {
        ("lint",): ["-f", str(goshfile)],
        ("llb",): ["-f", str(goshfile), "--json"],
        ("build",): [str(tmp)],
        ("sign",): ["-n", str(tmp / "net.db"), DIGEST],
        ("check",): ["-n", str(tmp / "net.db"), SIGNER.public_hex, DIGEST],
        ("addr",): [SIGNER.public_hex, DIGEST],
        ("keys", "generate"): ["-o", str(tmp / "new.json")],
        ("node", "serve"): ["--listen", "256.0.0.1:1"],  # cannot be bound: the command ends
        ("node", "verify-log"): ["-n", str(tmp / "net.db")],
        ("image-hash",): [IMAGE],
        ("verify",): ["-n", str(tmp / "net.db"), IMAGE],
    }.get(path, [])


def invocations(path: tuple[str, ...], command: click.Command, tmp: Path) -> Iterator[list[str]]:
    """The base invocation with the secret put in each slot in turn (and given as an extra argument)."""
    base = base_arguments(path, tmp)
    yield [*path, *base, SECRET]
    yield [*path, SECRET, *base]
    for param in command.params:
        if isinstance(param, click.Option):
            if param.is_flag or param.count:
                continue
            flag = max(param.opts, key=len)
            rest = _without(base, param.opts)
            for value in (SECRET, f"X={SECRET}", f"0:{SECRET}", SECRET.upper(), f"0x{SECRET}"):
                yield [*path, *rest, flag, value]
            yield [*path, *rest, f"{flag}={SECRET}"]
        elif isinstance(param, click.Argument):
            positional = [a for a in base if not a.startswith("-") and base[base.index(a) - 1][:1] != "-"]
            for i in range(max(len(positional), 1)):
                replaced = list(base)
                if positional:
                    replaced[base.index(positional[i])] = SECRET
                else:
                    replaced.append(SECRET)
                yield [*path, *replaced]
    if path == ("sign",):  # the giver slots, against the signer's and the giver's own secrets
        for giver in (SECRET, f"0:{SECRET}", GIVER_SECRET, f"0:{GIVER_SECRET.upper()}"):
            yield [*path, "-n", str(tmp / "net.db"), "-g", giver, "-s", GIVER_SECRET, DIGEST]


def _without(args: list[str], opts: list[str]) -> list[str]:
    out: list[str] = []
    skip = False
    for arg in args:
        if skip:
            skip = False
        elif arg in opts:
            skip = True
        else:
            out.append(arg)
    return out


@pytest.fixture
def machine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    isolate(tmp_path, monkeypatch)
    write_key_file(default_key_file(), SIGNER)
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
    monkeypatch.setenv("GOSH_NETWORK", str(tmp_path / "net.db"))
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)  # files named after the secret (keys generate -o SECRET) land here
    return work


def test_no_secret_is_printed_from_any_slot_of_any_command(machine: Path, capfd: pytest.CaptureFixture[str]) -> None:
    runs = 0
    leaks: list[str] = []
    for path, command in commands():
        for argv in invocations(path, command, machine):
            code = main(argv)
            out, err = capfd.readouterr()
            runs += 1
            assert isinstance(code, int)
            for secret in (SECRET, GIVER_SECRET):
                if secret in (out + err).lower():
                    leaks.append(f"goshfile {' '.join(argv)}\n{out}{err}")
    assert runs > 100  # every command, every slot
    assert not leaks, "a secret was printed:\n" + "\n".join(leaks[:5])


def test_a_giver_that_is_a_secret_never_lands_in_the_ledger(machine: Path, capfd: pytest.CaptureFixture[str]) -> None:
    net = str(machine / "net.db")
    for giver in (SECRET, f"0:{SECRET.upper()}", GIVER_SECRET, f"0:{GIVER_SECRET}"):
        assert main(["sign", "-n", net, "-g", giver, "-s", GIVER_SECRET, DIGEST]) != 0
        assert "goshfile: error: the giver address is a secret key" in capfd.readouterr().err
    assert main(["sign", "-n", net, "-g", "0:" + "ab" * 32, DIGEST]) == 0
    with SqliteLedger(Path(net)) as ledger:
        payers = [record.proof.payer for record in ledger.records()]
    assert payers == ["0:" + "ab" * 32]


def test_a_secret_typed_as_the_public_key_is_refused(machine: Path, capfd: pytest.CaptureFixture[str]) -> None:
    assert main(["addr", SECRET, DIGEST]) != 0
    out, err = capfd.readouterr()
    assert out == "" and "the PUBLIC argument is a secret key" in err and SECRET not in err
    assert main(["addr", SIGNER.public_hex, DIGEST]) == 0

"""``goshfile sign``, ``check``, ``addr`` (as GOSH's sign-cli) and ``goshfile keys``: output, exit codes, errors."""

from __future__ import annotations

import io
import json
import stat
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import pytest

from goshfile.cli.main import main
from goshfile.keys import KeyPair, default_key_file
from goshfile.ledger import SqliteLedger, address, default_ledger_path
from goshfile.ledger.server import serving
from tests.ledger.helpers import ALICE, BOB, DIGEST, OTHER_DIGEST, isolate

SECRET = ALICE.reveal_secret()
PUBLIC = ALICE.public_hex
WALLET = "0:" + "77" * 32  # a giver wallet address
ALICE_ADDRESS = address(PUBLIC, DIGEST)


@dataclass
class Run:
    code: int
    out: str
    err: str


class Runner(Protocol):
    def __call__(self, *args: str, stdin: str = "") -> Run: ...


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return isolate(tmp_path, monkeypatch)


@pytest.fixture
def goshfile(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Runner:
    """Run the CLI in this process: ``goshfile(*args, stdin=...)`` -> Run."""

    def run(*args: str, stdin: str = "") -> Run:
        capsys.readouterr()
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        code = main(list(args))
        out, err = capsys.readouterr()
        assert SECRET not in out + err and BOB.reveal_secret() not in out + err, "a secret was shown"
        return Run(code, out, err)

    return run


def test_seed_flow_as_with_sign_cli(goshfile: Runner, tmp_path: Path) -> None:
    network = str(tmp_path / "net.db")
    signed = goshfile("sign", "-n", network, "-g", WALLET, "-s", SECRET, SECRET, DIGEST)
    assert (signed.code, signed.out, signed.err) == (0, ALICE_ADDRESS + "\n", "")
    assert goshfile("check", "-n", network, PUBLIC, DIGEST).out == "true\n"
    assert goshfile("addr", "-n", network, PUBLIC, DIGEST).out == ALICE_ADDRESS + "\n"
    proof = SqliteLedger(Path(network)).get(PUBLIC, DIGEST)
    assert proof is not None and proof.payer == WALLET
    assert SECRET not in Path(network).read_bytes().hex() + Path(network).read_text(errors="replace")


def test_giver_without_workchain_gets_0_prepended(goshfile: Runner) -> None:
    assert goshfile("sign", "-g", "77" * 32, SECRET, DIGEST).code == 0
    proof = SqliteLedger(default_ledger_path()).get(PUBLIC, DIGEST)
    assert proof is not None and proof.payer == WALLET


def test_default_ledger_and_idempotent_sign(goshfile: Runner) -> None:
    first = goshfile("sign", SECRET, DIGEST)
    second = goshfile("sign", SECRET, DIGEST)
    assert first.out == second.out == ALICE_ADDRESS + "\n"
    assert len(SqliteLedger(default_ledger_path()).records()) == 1


def test_check_true_and_false(goshfile: Runner) -> None:
    goshfile("sign", SECRET, DIGEST)
    assert (goshfile("check", PUBLIC, DIGEST).code, goshfile("check", PUBLIC, DIGEST).out) == (0, "true\n")
    for args in ((PUBLIC, OTHER_DIGEST), (BOB.public_hex, DIGEST)):
        result = goshfile("check", *args)
        assert (result.code, result.out) == (1, "false\n")
        assert "no valid proof of" in result.err


def test_check_of_a_forged_proof_is_false(goshfile: Runner, tmp_path: Path) -> None:
    from tests.ledger.test_sqlite import _forge

    ledger = SqliteLedger(tmp_path / "forged.db")
    _forge(ledger, DIGEST, ALICE, BOB)  # right address, Bob's signature
    result = goshfile("check", "-n", str(ledger.path), PUBLIC, DIGEST)
    assert (result.code, result.out) == (1, "false\n")


def test_secret_from_standard_input(goshfile: Runner) -> None:
    result = goshfile("sign", "-", DIGEST, stdin=SECRET + "\n")
    assert (result.code, result.out) == (0, ALICE_ADDRESS + "\n")


def test_keys_from_the_environment(goshfile: Runner, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WALLET_SECRET", SECRET)
    monkeypatch.setenv("WALLET_PUBLIC", PUBLIC)
    assert goshfile("sign", DIGEST).out == ALICE_ADDRESS + "\n"
    assert goshfile("check", DIGEST).out == "true\n"
    assert goshfile("addr", DIGEST).out == ALICE_ADDRESS + "\n"


def test_keys_from_gosh_config(goshfile: Runner, home: Path) -> None:
    config = home / ".gosh" / "config.json"
    config.parent.mkdir()
    wallet = {"profile": "me", "pubkey": PUBLIC, "secret": SECRET}
    config.write_text(json.dumps({"primary-network": "n", "networks": {"n": {"user-wallet": wallet}}}))
    assert goshfile("sign", DIGEST).out == ALICE_ADDRESS + "\n"
    assert goshfile("check", DIGEST).code == 0


def test_keys_generate_then_sign_with_the_default_key_file(goshfile: Runner) -> None:
    made = goshfile("keys", "generate")
    assert made.code == 0 and "wrote a new key pair" in made.err
    path = default_key_file()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    data = json.loads(path.read_text())
    assert made.out == data["public"] + "\n"
    assert data["secret"] not in made.out + made.err
    signed = goshfile("sign", DIGEST)
    assert signed.out == address(data["public"], DIGEST) + "\n"
    assert goshfile("check", DIGEST).out == "true\n"
    public = goshfile("keys", "public")
    assert public.out == data["public"] + "\n" and "key file" in public.err
    again = goshfile("keys", "generate")
    assert again.code == 2 and "already exists" in again.err
    assert json.loads(path.read_text()) == data
    assert goshfile("keys", "generate", "--force").out != made.out


def test_keys_generate_to_a_file_and_use_it(goshfile: Runner, tmp_path: Path) -> None:
    path = tmp_path / "mine.json"
    public = goshfile("keys", "generate", "-o", str(path)).out.strip()
    assert goshfile("sign", "--key-file", str(path), DIGEST).out == address(public, DIGEST) + "\n"
    assert goshfile("check", "--key-file", str(path), DIGEST).out == "true\n"
    assert goshfile("keys", "public", "--key-file", str(path)).out == public + "\n"


def test_keys_public_of_a_secret(goshfile: Runner) -> None:
    assert goshfile("keys", "public", SECRET).out == PUBLIC + "\n"
    assert goshfile("keys", "public", "-", stdin=SECRET).out == PUBLIC + "\n"


def test_addr_needs_no_ledger(goshfile: Runner) -> None:
    assert goshfile("addr", "-n", "http://127.0.0.1:1", PUBLIC, DIGEST).out == ALICE_ADDRESS + "\n"
    assert goshfile("addr", PUBLIC, DIGEST).code == 0
    assert not default_ledger_path().exists()


def test_addr_refuses_a_node_token_that_check_refuses(goshfile: Runner, monkeypatch: pytest.MonkeyPatch) -> None:
    # addr contacts no node, but a token that check and sign would refuse is refused here too
    monkeypatch.setenv("GOSHFILE_NODE_TOKEN", "not a token")
    for command in ("addr", "check"):
        done = goshfile(command, "-n", "./here.db,http://127.0.0.1:1", PUBLIC, DIGEST)
        assert done.code == 2 and "GOSHFILE_NODE_TOKEN" in done.err, command
    assert goshfile("addr", "-n", "./here.db", PUBLIC, DIGEST).out == ALICE_ADDRESS + "\n"  # no URL: no token read


def test_through_a_node(goshfile: Runner, tmp_path: Path) -> None:
    with serving(tmp_path / "ledger.db") as node:
        assert goshfile("sign", "-n", node.url, SECRET, DIGEST).out == ALICE_ADDRESS + "\n"
        assert goshfile("check", "-n", f"http://127.0.0.1:1,{node.url}", PUBLIC, DIGEST).out == "true\n"
    assert SqliteLedger(tmp_path / "ledger.db").check(PUBLIC, DIGEST)


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (("sign", SECRET[:-1], DIGEST), "the SECRET argument is not 64 hex characters"),
        (("sign", SECRET, "sha256:abc"), "looks like a digest but is not sha256:<64 lowercase hex>"),
        (("sign", SECRET, "sha256:" + "AB" * 32), "looks like a digest"),
        (("sign", SECRET, ""), "the content is empty"),
        (("sign", "-n", "nowhere", SECRET, DIGEST), "node endpoint 'nowhere' (from -n) is neither"),
        (("sign", "-n", "ftp://x", SECRET, DIGEST), "unsupported node endpoint"),
        (("sign", "-n", "http://127.0.0.1:1", SECRET, DIGEST), "cannot reach the node http://127.0.0.1:1"),
        (("sign", "-g", "nope", SECRET, DIGEST), "giver address 'nope' is not a GOSH address"),
        (("sign", "-s", "1234", SECRET, DIGEST), "the giver secret (-s) is not 64 hex characters"),
        (("sign", "-s", BOB.reveal_secret()[:-1] + "x", SECRET, DIGEST), "the giver secret (-s) is not 64 hex"),
        (("sign", "-e", "lots", SECRET, DIGEST), "-e/--value 'lots' is not an amount"),
        (("sign", DIGEST), "no secret key: give it as an argument"),
        (("sign", "-", DIGEST), "the secret read from standard input is not 64 hex characters"),
        (("sign", "--key-file", "/nonexistent/k.json", DIGEST), "key file /nonexistent/k.json: no such file"),
        (("check", "abc", DIGEST), "the PUBLIC argument 'abc' is not 64 hex characters"),
        (("check", PUBLIC, "sha256:"), "looks like a digest"),
        (("check", DIGEST), "no public key"),
        (("check", "-n", "http://127.0.0.1:1", PUBLIC, DIGEST), "cannot reach the node"),
        (("check", "-n", "", PUBLIC, DIGEST), "no node endpoint given (from -n)"),
        (("addr", PUBLIC, "sha512:00"), "looks like a digest"),
        (("addr", "-n", "bad", PUBLIC, DIGEST), "is neither an http(s):// URL"),
        (("addr", "x" * 64, DIGEST), "is not 64 hex characters"),
        (("keys", "public", "nope"), "the SECRET argument is not 64 hex characters"),
    ],
)
def test_errors_are_one_line_with_their_exit_code(goshfile: Runner, args: tuple[str, ...], error: str) -> None:
    result = goshfile(*args)
    assert result.code == (3 if "cannot reach" in error else 2)  # could not check; bad input
    assert result.out == ""
    assert result.err.startswith("goshfile: error: ") and result.err.count("\n") == 1
    assert error in result.err


def test_a_key_file_readable_by_others_is_refused(goshfile: Runner, tmp_path: Path) -> None:
    path = tmp_path / "k.json"
    path.write_text(json.dumps({"public": PUBLIC, "secret": SECRET}))
    path.chmod(0o644)
    result = goshfile("sign", "--key-file", str(path), DIGEST)
    assert result.code == 2 and f"run: chmod 600 {path}" in result.err
    assert not default_ledger_path().exists()


def test_env_keys_that_disagree(goshfile: Runner, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WALLET_SECRET", SECRET)
    monkeypatch.setenv("WALLET_PUBLIC", BOB.public_hex)
    result = goshfile("sign", DIGEST)
    assert result.code == 2 and "WALLET_PUBLIC" in result.err and "is not the public key of WALLET_SECRET" in result.err


def test_verbose_errors_do_not_show_the_secret(goshfile: Runner) -> None:
    result = goshfile("-v", "sign", SECRET, "sha256:abc")  # the fixture checks the secret is not shown
    assert result.code == 2 and "Traceback" in result.err


@pytest.mark.parametrize(
    "args",
    [("sign",), ("sign", SECRET, DIGEST, "extra"), ("check",), ("addr", "a", "b", "c"), ("sign", "--nope", DIGEST)],
)
def test_usage_errors_exit_2(goshfile: Runner, args: tuple[str, ...]) -> None:
    result = goshfile(*args)
    assert result.code == 2 and result.out == ""
    assert "Usage: goshfile" in result.err


def test_help_documents_the_argv_exposure_and_the_free_local_node(goshfile: Runner) -> None:
    text = " ".join(goshfile("sign", "--help").out.split())
    assert "visible to other users of this machine" in text
    assert "The local node charges nothing" in text
    assert "'-' (one line read from standard input)" in text


def test_a_generated_key_is_usable_by_sign_cli_style_arguments(goshfile: Runner, tmp_path: Path) -> None:
    pair = KeyPair.generate()
    network = f"file://{tmp_path}/l.db"
    assert goshfile("sign", "-n", network, pair.reveal_secret(), DIGEST).code == 0
    assert goshfile("check", "-n", network, pair.public_hex, DIGEST).out == "true\n"

"""The trusted-signers file and --signer values."""

from __future__ import annotations

from pathlib import Path

import pytest

from goshfile.errors import InputError
from goshfile.keys.formats import public_pem
from goshfile.verify.trust import (
    add_trusted_signer,
    default_trusted_signers_file,
    pinned_signers,
    read_trusted_signers,
    signer_argument,
)
from tests.ledger.helpers import ALICE, BOB, isolate


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return isolate(tmp_path, monkeypatch)


def test_the_default_file_is_under_goshfile_home_else_the_config_home(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert default_trusted_signers_file() == home / "goshfile" / "trusted-signers"
    monkeypatch.delenv("GOSHFILE_HOME")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "cfg"))
    assert default_trusted_signers_file() == home / "cfg" / "goshfile" / "trusted-signers"


def test_one_key_per_line_with_an_optional_name_and_comments(tmp_path: Path) -> None:
    path = tmp_path / "signers"
    path.write_text(f"# who we trust\n{ALICE.public_hex.upper()} release team\n\n{BOB.public_hex}  # bob\n")
    signers = read_trusted_signers(path)
    assert [(s.public, s.name) for s in signers] == [(ALICE.public_hex, "release team"), (BOB.public_hex, None)]
    assert signers[0].origin == f"{path}:2"
    path.write_text("not-a-key name\n")
    with pytest.raises(InputError, match=f"{path}:1: 'not-a-key' is not a public key"):
        read_trusted_signers(path)


def test_add_appends_once_and_keeps_what_was_there(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "signers"
    add_trusted_signer(ALICE.public_hex, "alice", path)
    add_trusted_signer(public_pem(BOB.public_hex), None, path)
    add_trusted_signer(ALICE.public_hex, "again", path)
    assert path.read_text() == f"{ALICE.public_hex} alice\n{BOB.public_hex}\n"
    with pytest.raises(InputError, match="one line"):
        add_trusted_signer(BOB.public_hex, "a # b", path)


def test_signer_arguments_replace_the_file(tmp_path: Path) -> None:
    add_trusted_signer(ALICE.public_hex)
    assert [s.public for s in pinned_signers()] == [ALICE.public_hex]
    pem = tmp_path / "bob.pem"
    pem.write_text(public_pem(BOB.public_hex))
    assert [s.public for s in pinned_signers([str(pem)])] == [BOB.public_hex]
    assert signer_argument(BOB.public_hex).origin == "--signer"
    with pytest.raises(InputError, match="neither a public key"):
        signer_argument("nope")

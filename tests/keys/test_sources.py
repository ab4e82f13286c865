"""Key sources: their precedence, key files (permissions, format), GOSH's config, and secrets kept out of messages."""

from __future__ import annotations

import io
import json
import os
import stat
from pathlib import Path

import pytest

from goshfile.errors import InputError
from goshfile.keys import (
    KeyPair,
    default_key_file,
    find_public,
    find_signer,
    load_public,
    load_signer,
    read_key_file,
    write_key_file,
)
from goshfile.keys.sources import gosh_wallet

KEYS = [KeyPair.generate() for _ in range(5)]
ARG, FILE, ENV, CONFIG, DEFAULT = KEYS


def _key_file(path: Path, pair: KeyPair, *, mode: int = 0o600, public: str | None = None) -> Path:
    path.write_text(json.dumps({"public": public or pair.public_hex, "secret": pair.reveal_secret()}))
    path.chmod(mode)
    return path


def _config(
    home: Path, monkeypatch: pytest.MonkeyPatch, wallet: dict[str, str], *, primary: str | None = "main"
) -> Path:
    path = home / "gosh.json"
    networks = {"main": {"endpoints": ["https://example.invalid"], "user-wallet": {"profile": "me", **wallet}}}
    data: dict[str, object] = {"networks": networks}
    if primary:
        data["primary-network"] = primary
    path.write_text(json.dumps(data))
    monkeypatch.setenv("GOSH_CONFIG_PATH", str(path))
    return path


@pytest.fixture
def everything(home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every source holds a different key; returns the --key-file path."""
    key_file = _key_file(home / "file.json", FILE)
    monkeypatch.setenv("WALLET_SECRET", ENV.reveal_secret())
    monkeypatch.setenv("WALLET_PUBLIC", ENV.public_hex)
    _config(home, monkeypatch, {"pubkey": CONFIG.public_hex, "secret": CONFIG.reveal_secret()})
    write_key_file(default_key_file(), DEFAULT)
    return key_file


def test_signer_precedence(everything: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert find_signer(ARG.reveal_secret(), key_file=everything) == (ARG, "the SECRET argument")
    assert find_signer(None, key_file=everything) == (FILE, f"key file {everything}")
    assert find_signer() == (ENV, "WALLET_SECRET")
    monkeypatch.delenv("WALLET_SECRET")
    pair, origin = find_signer()
    assert pair == CONFIG and origin.startswith("networks.main.user-wallet in ")
    monkeypatch.delenv("GOSH_CONFIG_PATH")
    assert find_signer() == (DEFAULT, f"key file {default_key_file()}")
    default_key_file().unlink()
    with pytest.raises(InputError, match=r"no secret key: .*WALLET_SECRET.*goshfile keys generate"):
        load_signer()


def test_public_precedence(everything: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert load_public(ARG.public_hex, key_file=everything) == ARG.public_hex
    assert load_public(None, key_file=everything) == FILE.public_hex
    assert find_public() == (ENV.public_hex, "WALLET_PUBLIC")
    monkeypatch.delenv("WALLET_PUBLIC")
    assert find_public() == (ENV.public_hex, "WALLET_SECRET")  # derived from the secret
    monkeypatch.delenv("WALLET_SECRET")
    assert load_public() == CONFIG.public_hex
    monkeypatch.delenv("GOSH_CONFIG_PATH")
    assert load_public() == DEFAULT.public_hex
    default_key_file().unlink()
    with pytest.raises(InputError, match="no public key"):
        load_public()


def test_secret_from_standard_input() -> None:
    assert load_signer("-", stdin=io.StringIO(ARG.reveal_secret() + "\nignored\n")) == ARG
    with pytest.raises(InputError, match="the secret read from standard input is not 64 hex"):
        load_signer("-", stdin=io.StringIO(""))


def test_public_only_from_wallet_public(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WALLET_PUBLIC", ARG.public_hex.upper())
    assert load_public() == ARG.public_hex
    with pytest.raises(InputError, match="no secret key"):
        load_signer()


def test_env_keys_that_disagree_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WALLET_SECRET", ARG.reveal_secret())
    monkeypatch.setenv("WALLET_PUBLIC", FILE.public_hex)
    for call in (load_signer, load_public):
        with pytest.raises(InputError, match=r"WALLET_PUBLIC .* is not the public key of WALLET_SECRET") as info:
            call()
        assert ARG.reveal_secret() not in str(info.value)


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o644, 0o660, 0o610, 0o601])
def test_key_file_open_to_others_is_refused(home: Path, mode: int) -> None:
    path = _key_file(home / "k.json", ARG, mode=mode)
    with pytest.raises(InputError, match=f"permissions .* let others access it; run: chmod 600 {path}") as info:
        load_signer(key_file=path)
    assert ARG.reveal_secret() not in str(info.value)


def test_key_file_forms(home: Path) -> None:
    assert load_signer(key_file=_key_file(home / "a.json", ARG, mode=0o400)) == ARG
    plain = home / "plain"
    plain.write_text(ARG.reveal_secret() + "\n")
    plain.chmod(0o600)
    assert load_signer(key_file=plain) == ARG
    public_only = home / "public.json"
    public_only.write_text(json.dumps({"public": ARG.public_hex}))
    public_only.chmod(0o644)  # no secret in it: readable by others is fine
    assert load_public(key_file=public_only) == ARG.public_hex
    with pytest.raises(InputError, match="has no 'secret'"):
        load_signer(key_file=public_only)


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("{not json", "not valid JSON"),
        ("[1, 2]", "expected a JSON object"),
        ("{}", "has neither 'public' nor 'secret'"),
        ('{"secret": 5}', "'secret' must be a string"),
        ('{"public": 5}', "'public' must be a string"),
        ('{"secret": "abc"}', "the secret in key file .* is not 64 hex characters"),
        ("abc", "the secret in key file .* is not 64 hex characters"),
    ],
)
def test_malformed_key_files(home: Path, text: str, error: str) -> None:
    path = home / "bad.json"
    path.write_text(text)
    path.chmod(0o600)
    with pytest.raises(InputError, match=error):
        load_signer(key_file=path)


def test_key_file_whose_public_does_not_match_its_secret(home: Path) -> None:
    path = _key_file(home / "k.json", ARG, public=FILE.public_hex)
    with pytest.raises(InputError, match="'public' is not the public key of its 'secret'") as info:
        load_signer(key_file=path)
    assert ARG.reveal_secret() not in str(info.value)


def test_missing_and_folder_key_files(home: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        load_signer(key_file=home / "missing.json")
    with pytest.raises(InputError, match="is a folder"):
        load_signer(key_file=home)


def test_write_key_file(home: Path) -> None:
    path = home / "deep" / "keys.json"
    write_key_file(path, ARG)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert json.loads(path.read_text()) == {"public": ARG.public_hex, "secret": ARG.reveal_secret()}
    assert read_key_file(path).pair == ARG
    with pytest.raises(InputError, match="already exists; not overwriting"):
        write_key_file(path, FILE)
    assert read_key_file(path).pair == ARG
    write_key_file(path, FILE, overwrite=True)
    assert read_key_file(path).pair == FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert sorted(os.listdir(path.parent)) == ["keys.json"]  # no temporary file left


def test_gosh_config(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert gosh_wallet() is None  # no file
    _config(home, monkeypatch, {"pubkey": CONFIG.public_hex})
    wallet = gosh_wallet()
    assert wallet is not None and wallet.public == CONFIG.public_hex and wallet.pair is None
    assert load_public() == CONFIG.public_hex
    _config(home, monkeypatch, {"secret": CONFIG.reveal_secret()}, primary=None)
    assert gosh_wallet() is None  # no primary network: no wallet chosen
    assert gosh_wallet(network="main") is not None


def test_default_gosh_config_path(home: Path) -> None:
    (home / ".gosh").mkdir()
    (home / ".gosh" / "config.json").write_text(
        json.dumps({"primary-network": "n", "networks": {"n": {"user-wallet": {"secret": CONFIG.reveal_secret()}}}})
    )
    assert find_signer()[0] == CONFIG


@pytest.mark.parametrize(
    ("wallet", "error"),
    [
        ({"pubkey": ARG.public_hex, "secret": CONFIG.reveal_secret()}, "'networks.main.user-wallet.pubkey' is not"),
        ({"secret": "12"}, "'networks.main.user-wallet.secret' in .* is not 64 hex"),
        ({"pubkey": "12"}, "user-wallet.pubkey' in .* '12' is not 64 hex"),
    ],
)
def test_bad_gosh_config_wallets(
    home: Path, monkeypatch: pytest.MonkeyPatch, wallet: dict[str, str], error: str
) -> None:
    _config(home, monkeypatch, wallet)
    with pytest.raises(InputError, match=error) as info:
        load_public()
    assert CONFIG.reveal_secret() not in str(info.value)


def test_gosh_config_that_is_not_json(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = home / "gosh.json"
    path.write_text('{"primary-network": "main", "networks": {"main": {"user-wallet": {"secret": "' + "ab" * 32)
    monkeypatch.setenv("GOSH_CONFIG_PATH", str(path))
    with pytest.raises(InputError, match="is not valid JSON: line 1") as info:
        load_signer()
    assert "abab" not in str(info.value)

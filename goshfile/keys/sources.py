"""Where wallet keys come from, in order of precedence.

A signer (secret key) is taken from the first of:

1. the argument given on the command line (``-`` reads one line from standard input);
2. ``--key-file FILE``;
3. ``WALLET_SECRET`` (checked against ``WALLET_PUBLIC`` when both are set);
4. GOSH's config file (``$GOSH_CONFIG_PATH`` or ``~/.gosh/config.json``):
   ``networks.<primary-network>.user-wallet.secret`` (checked against its ``pubkey``);
5. the default key file :func:`default_key_file`, written by ``goshfile keys generate``.

A public key is taken from the argument, ``--key-file``, ``WALLET_PUBLIC``, the public key of
``WALLET_SECRET``, the config's ``user-wallet.pubkey`` (or of its secret), then the default key file.

A key file is GOSH's (and its SDK's) JSON form ``{"public": "<64 hex>", "secret": "<64 hex>"}``, or a
file holding only the 64-hex secret. A key file that holds a secret is refused when group or others
have any permission on it, as ssh refuses such private keys. No message ever shows a secret.
"""

from __future__ import annotations

import contextlib
import os
import stat
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple, TextIO

from goshfile.config import config_path, read_config
from goshfile.errors import InputError
from goshfile.files import read_small_file
from goshfile.keys.keypair import KEY_HEX, KeyPair, parse_public
from goshfile.paths import data_home

ENV_SECRET = "WALLET_SECRET"
ENV_PUBLIC = "WALLET_PUBLIC"
STDIN = "-"
MAX_KEY_FILE_BYTES = 64 << 10
"""A key file is a few hundred bytes; a larger one (or a device, a FIFO) is refused, not read without end."""


def default_key_file() -> Path:
    """``<data home>/keys/wallet.json``: where ``goshfile keys generate`` writes by default."""
    return data_home() / "keys" / "wallet.json"


class KeyFile(NamedTuple):
    """What a key file holds: a pair (when it has the secret) and/or a public key.

    This module's records are named tuples, not frozen dataclasses: the key sources are on every
    command's start-up path, and a dataclass's generated methods take about 0.5 ms to compile.
    """

    path: Path
    pair: KeyPair | None
    public: str


def read_key_file(path: Path) -> KeyFile:
    """Read and check a key file (see the module docstring); InputError when unusable."""
    raw, info = read_small_file(path, limit=MAX_KEY_FILE_BYTES, what="key file")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError(f"key file {path}: not UTF-8 text") from None
    public: str | None = None
    secret: str | None = None
    stripped = text.strip()
    if stripped.startswith(("{", "[")):
        import json  # here: key sources are on every command's path, a key file only on some

        try:
            data: Any = json.loads(stripped)
        except json.JSONDecodeError as exc:
            raise InputError(f"key file {path}: not valid JSON (line {exc.lineno}: {exc.msg})") from None
        except RecursionError:
            raise InputError(f"key file {path}: not valid JSON (nested too deeply)") from None
        if not isinstance(data, dict):
            raise InputError(f"key file {path}: expected a JSON object with 'public' and 'secret'")
        public, secret = data.get("public"), data.get("secret")
        if public is not None and not isinstance(public, str):
            raise InputError(f"key file {path}: 'public' must be a string")
        if secret is not None and not isinstance(secret, str):
            raise InputError(f"key file {path}: 'secret' must be a string")
        if public is None and secret is None:
            raise InputError(f"key file {path}: has neither 'public' nor 'secret'")
    else:
        secret = stripped
    pair = None
    if secret is not None:
        if info.st_mode & 0o077:
            raise InputError(
                f"key file {path} holds a secret but its permissions {stat.filemode(info.st_mode)} let others "
                f"access it; run: chmod 600 {path}"
            )
        pair = KeyPair.from_secret_hex(secret, what=f"the secret in key file {path}")
    if public is not None:
        public = parse_public(public, what=f"the public key in key file {path}")
        if pair is not None and not pair.matches(public):
            raise InputError(f"key file {path}: 'public' is not the public key of its 'secret'")
    return KeyFile(path, pair, public or (pair.public_hex if pair else ""))


def write_key_file(path: Path, pair: KeyPair, *, overwrite: bool = False) -> None:
    """Write ``pair`` as a JSON key file readable only by its owner (mode 0600).

    An existing file is kept (InputError) unless ``overwrite``; the file is replaced atomically.
    """
    if path.exists() and not overwrite:
        raise InputError(f"{path} already exists; not overwriting a key file (use --force to replace it)")
    import json  # here: as in read_key_file

    data = json.dumps({"public": pair.public_hex, "secret": pair.reveal_secret()}, indent=2) + "\n"
    import tempfile  # here: only writing a key file needs it, and reading keys is on every command's path

    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, temp = tempfile.mkstemp(prefix=".keys-", dir=path.parent)  # mkstemp creates it with mode 0600
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            if overwrite:
                os.replace(temp, path)
            else:
                os.link(temp, path)  # fails if the file appeared meanwhile
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temp)
    except FileExistsError:
        raise InputError(f"{path} already exists; not overwriting a key file (use --force to replace it)") from None
    except OSError as exc:
        raise InputError(f"cannot write key file {path}: {exc.strerror}") from None


class GoshWallet(NamedTuple):
    """``networks.<name>.user-wallet`` of GOSH's config file (either key may be missing)."""

    origin: str
    public: str | None
    pair: KeyPair | None


def gosh_wallet(path: Path | None = None, network: str | None = None) -> GoshWallet | None:
    """The user wallet of ``network`` (default: ``primary-network``) in GOSH's config, or None."""
    path = path or config_path()
    data = read_config(path)
    if data is None:
        return None
    name = network or data.get("primary-network")
    if not name:
        return None
    if not isinstance(name, str):
        raise InputError(f"the GOSH config {path}: 'primary-network' must be a string")
    networks = data.get("networks")
    entry = networks.get(name) if isinstance(networks, dict) else None
    wallet = entry.get("user-wallet") if isinstance(entry, dict) else None
    if wallet is None:
        return None
    where = f"networks.{name}.user-wallet"
    origin = f"{where} in {path}"
    if not isinstance(wallet, dict):
        raise InputError(f"the GOSH config {path}: '{where}' must be an object")
    public, secret = wallet.get("pubkey"), wallet.get("secret")
    if public is not None and not isinstance(public, str):
        raise InputError(f"the GOSH config {path}: '{where}.pubkey' must be a string")
    if secret is not None and not isinstance(secret, str):
        raise InputError(f"the GOSH config {path}: '{where}.secret' must be a string")
    pair = KeyPair.from_secret_hex(secret, what=f"'{where}.secret' in {path}") if secret else None
    public = parse_public(public, what=f"'{where}.pubkey' in {path}") if public else None
    if pair is not None and public is not None and not pair.matches(public):
        raise InputError(f"the GOSH config {path}: '{where}.pubkey' is not the public key of its secret")
    return GoshWallet(origin, public, pair)


def _env_pair() -> KeyPair | None:
    secret = os.environ.get(ENV_SECRET, "").strip()
    if not secret:
        return None
    pair = KeyPair.from_secret_hex(secret, what=ENV_SECRET)
    public = os.environ.get(ENV_PUBLIC, "").strip()
    if public and not pair.matches(parse_public(public, what=ENV_PUBLIC)):
        raise InputError(f"{ENV_PUBLIC} ({public}) is not the public key of {ENV_SECRET}")
    return pair


def find_signer(
    argument: str | None = None, *, key_file: Path | None = None, stdin: TextIO | None = None
) -> tuple[KeyPair, str]:
    """The signing key and where it came from (see the module docstring for the order)."""
    if argument is not None:
        if argument == STDIN:
            line = (stdin or sys.stdin).readline()
            return KeyPair.from_secret_hex(line, what="the secret read from standard input"), "standard input"
        return KeyPair.from_secret_hex(argument, what="the SECRET argument"), "the SECRET argument"
    if key_file is not None:
        loaded = read_key_file(key_file)
        if loaded.pair is None:
            raise InputError(f"key file {key_file} has no 'secret'")
        return loaded.pair, f"key file {key_file}"
    pair = _env_pair()
    if pair is not None:
        return pair, ENV_SECRET
    wallet = gosh_wallet()
    if wallet is not None and wallet.pair is not None:
        return wallet.pair, wallet.origin
    default = default_key_file()
    if default.exists():
        loaded = read_key_file(default)
        if loaded.pair is not None:
            return loaded.pair, f"key file {default}"
    raise InputError(
        f"no secret key: give it as an argument ('-' reads it from standard input), use --key-file FILE, "
        f"set {ENV_SECRET}, add networks.<name>.user-wallet.secret to {config_path()}, "
        f"or create {default} with 'goshfile keys generate'"
    )


def load_signer(argument: str | None = None, *, key_file: Path | None = None, stdin: TextIO | None = None) -> KeyPair:
    """The signing key (see :func:`find_signer`)."""
    return find_signer(argument, key_file=key_file, stdin=stdin)[0]


def _known_publics(key_file: Path | None) -> set[str]:
    """The public keys this machine's key sources name (each source that cannot be read is left out)."""
    found: set[str] = set()
    readers: list[Callable[[], set[str]]] = [
        lambda: {os.environ.get(ENV_PUBLIC, "").strip().lower()},
        lambda: {pair.public_hex} if (pair := _env_pair()) else set(),
        lambda: {w.public or "", w.pair.public_hex if w.pair else ""} if (w := gosh_wallet()) else set(),
        lambda: {read_key_file(default_key_file()).public} if default_key_file().is_file() else set(),
        lambda: {read_key_file(key_file).public} if key_file is not None else set(),
    ]
    for read in readers:
        with contextlib.suppress(InputError):
            found |= read()
    return found - {""}


def secret_of_known_key(value: str | None, *, key_file: Path | None = None, also: KeyPair | None = None) -> str | None:
    """The public key ``value`` derives when it is the secret of a known key (see :func:`refuse_secret`), else None."""
    text = (value or "").strip().lower().removeprefix("0x")
    text = text.split(":", 1)[1] if ":" in text else text
    if not KEY_HEX.match(text):
        return None
    derived = KeyPair.from_secret_hex(text).public_hex
    known = _known_publics(key_file) | ({also.public_hex} if also is not None else set())
    return derived if derived in known else None


def refuse_secret(value: str | None, what: str, *, key_file: Path | None = None, also: KeyPair | None = None) -> None:
    """InputError (not showing the value) when ``value`` is a secret key: one that derives a known public key.

    A secret typed where a public key or an address goes would otherwise be printed, put in a
    label or recorded in the ledger. Known: the keys of this machine's key sources, and ``also``.
    """
    derived = secret_of_known_key(value, key_file=key_file, also=also)
    if derived is not None:
        raise InputError(
            f"{what} is a secret key (the secret of public key {derived}), not shown; "
            "give the public key or address instead, and keep the secret out of command lines"
        )


def find_public(argument: str | None = None, *, key_file: Path | None = None) -> tuple[str, str]:
    """A public key (lowercase hex) and where it came from (see the module docstring for the order).

    An argument that is a known key's secret is refused (:func:`refuse_secret`).
    """
    if argument is not None:
        refuse_secret(argument, "the PUBLIC argument", key_file=key_file)
        return parse_public(argument, what="the PUBLIC argument"), "the PUBLIC argument"
    if key_file is not None:
        return read_key_file(key_file).public, f"key file {key_file}"
    public = os.environ.get(ENV_PUBLIC, "").strip()
    if public:
        pair = _env_pair()  # checks the two agree when both are set
        return (pair.public_hex if pair else parse_public(public, what=ENV_PUBLIC)), ENV_PUBLIC
    pair = _env_pair()
    if pair is not None:
        return pair.public_hex, ENV_SECRET
    wallet = gosh_wallet()
    if wallet is not None and (wallet.public or wallet.pair):
        return wallet.public or (wallet.pair.public_hex if wallet.pair else ""), wallet.origin
    default = default_key_file()
    if default.exists():
        return read_key_file(default).public, f"key file {default}"
    raise InputError(
        f"no public key: give it as an argument, use --key-file FILE, set {ENV_PUBLIC}, "
        f"add networks.<name>.user-wallet.pubkey to {config_path()}, or create {default} with 'goshfile keys generate'"
    )


def load_public(argument: str | None = None, *, key_file: Path | None = None) -> str:
    """A public key (see :func:`find_public`)."""
    return find_public(argument, key_file=key_file)[0]

"""``goshfile keys export|import|trust``: wallet keys in the formats cosign and shells use, and trusted signers."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from goshfile.cli.options import key_file_option
from goshfile.errors import InputError
from goshfile.keys import default_key_file, find_public, find_signer, write_key_file
from goshfile.keys.formats import FORMATS, env_lines, import_key, pkcs8_pem, public_pem
from goshfile.verify.trust import add_trusted_signer, default_trusted_signers_file

PASSWORD_ENV = "COSIGN_PASSWORD"


def _write_secret(path: Path, text: str, force: bool) -> None:
    """Write ``text`` to a new file of mode 0600 (replace only with ``force``)."""
    flags = os.O_WRONLY | os.O_CREAT | (os.O_TRUNC if force else os.O_EXCL)
    try:
        fd = os.open(path, flags, 0o600)
    except FileExistsError:
        raise InputError(f"{path} already exists; not overwriting (use --force to replace it)") from None
    except OSError as exc:
        raise InputError(f"cannot write {path}: {exc.strerror}") from None
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        os.fchmod(out.fileno(), 0o600)
        out.write(text)


@click.command("export")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="pem", show_default=True, help="What to write.")
@key_file_option
@click.option("-o", "--out", type=click.Path(dir_okay=False, path_type=Path), help="Write to this file.")
@click.option("--wallet", metavar="ADDRESS", help="With --format env: the giver wallet address (default: $WALLET).")
@click.option("--force", is_flag=True, help="Replace --out; print a secret to a terminal.")
def export_cmd(fmt: str, key_file: Path | None, out: Path | None, wallet: str | None, force: bool) -> None:
    """Write the wallet key in another format.

    \b
      pem    the public key as an ed25519 PEM, for `cosign verify --key wallet.pem`
      pkcs8  the secret as a PKCS#8 PEM, for `cosign import-key-pair --key FILE`
      env    export WALLET=... WALLET_PUBLIC=... WALLET_SECRET=... lines for a shell
    \b
    A secret (pkcs8, env) goes to --out with mode 0600, or to a pipe; never to a
    terminal without --force.
    \b
      goshfile keys export --format pem -o wallet.pem
      goshfile keys export --format pkcs8 -o wallet.key && cosign import-key-pair --key wallet.key
      eval "$(goshfile keys export --format env)"
    """
    if fmt == "pem":
        public, _ = find_public(key_file=key_file)
        text = public_pem(public)
        if out is not None:
            out.write_text(text, encoding="utf-8")
        else:
            click.echo(text, nl=False)
        return
    pair, _ = find_signer(key_file=key_file)
    text = pkcs8_pem(pair) if fmt == "pkcs8" else env_lines(pair, wallet or os.environ.get("WALLET") or None)
    if out is not None:
        _write_secret(out, text, force)
        click.echo(f"goshfile: wrote the secret key ({fmt}) to {out} (mode 0600)", err=True)
        return
    if sys.stdout.isatty() and not force:
        raise InputError(f"not printing a secret key to a terminal: use -o FILE, a pipe, or --force (--format {fmt})")
    click.echo(text, nl=False)


@click.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("-o", "--out", type=click.Path(dir_okay=False, path_type=Path), help="The key file to write.")
@click.option("--force", is_flag=True, help="Replace an existing key file.")
def import_cmd(file: Path, out: Path | None, force: bool) -> None:
    """Import FILE as the wallet key: a PKCS#8 ed25519 key, or a cosign key file (password: $COSIGN_PASSWORD).

    \b
      goshfile keys import wallet.key
      COSIGN_PASSWORD=... goshfile keys import cosign.key
    Writes the default key file (or --out) with mode 0600 and prints the public key.
    """
    pair = import_key(file.read_bytes(), os.environ.get(PASSWORD_ENV), what=f"key file {file}")
    path = out or default_key_file()
    write_key_file(path, pair, overwrite=force)
    click.echo(f"goshfile: imported the key pair of {file} into {path}", err=True)
    click.echo(pair.public_hex)


@click.command("trust")
@click.argument("public", metavar="PUBLIC")
@click.argument("name", required=False)
@click.option("--file", "path", type=click.Path(dir_okay=False, path_type=Path), help="The trusted-signers file.")
def trust_cmd(public: str, name: str | None, path: Path | None) -> None:
    """Add PUBLIC (64 hex, or a PEM file) to the trusted signers that `goshfile verify` pins.

    The default file is $GOSHFILE_HOME/trusted-signers, else ~/.config/goshfile/trusted-signers.
    """
    text = Path(public).read_text(encoding="utf-8") if Path(public).is_file() else public
    signer = add_trusted_signer(text, name, path)
    click.echo(f"goshfile: {signer.public} is trusted in {path or default_trusted_signers_file()}", err=True)
    click.echo(signer.public)


def register(group: click.Group) -> None:
    """Add export, import and trust to the ``keys`` group."""
    keys = group.commands["keys"]
    if not isinstance(keys, click.Group):
        raise TypeError("the keys command is not a group")
    for command in (export_cmd, import_cmd, trust_cmd):
        keys.add_command(command)

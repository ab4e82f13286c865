"""``goshfile sign`` (as GOSH's sign-cli) and ``goshfile keys``: signing proofs, and wallet keys.

``check`` and ``addr``, which sign nothing, are in :mod:`goshfile.cli.check_cmd` and :mod:`goshfile.cli.addr_cmd`.
"""

from __future__ import annotations

import re
from pathlib import Path

import click

from goshfile.cli.options import key_and_content, key_file_option, network_option
from goshfile.errors import InputError
from goshfile.keys import KeyPair, default_key_file, find_signer, write_key_file
from goshfile.ledger import normalize_payer, open_ledger
from goshfile.ledger.protocol import refuse_secret_payer

GIVER_HELP = (
    "The giver wallet that pays for the deployment on GOSH, recorded as the proof's payer "
    "('0:' is prepended when missing). The local node charges nothing."
)
GIVER_SECRET_HELP = (
    "The giver's secret key (GOSH). Checked for form, never stored or shown; the local node charges "
    "nothing, so it is not needed there."
)
_AMOUNT = r"^[0-9]+(?:\.[0-9]+)?$"  # text: compiled by re when sign is given -e


@click.command()
@network_option
@click.option("-g", "--giver", metavar="ADDRESS", help=GIVER_HELP)
@click.option("-s", "--giver-secret", metavar="SECRET", help=GIVER_SECRET_HELP)
@click.option(
    "-e", "--value", metavar="AMOUNT", help="Top-up amount for the deployment (GOSH); the local node ignores it."
)
@key_file_option
@click.option(
    "--image",
    "is_image",
    is_flag=True,
    help="CONTENT is an image in a registry (REGISTRY/REPO:TAG or ...@sha256:...): sign its digest in the ledger "
    "and store a cosign-format signature in its repository (tag sha256-<hex>.sig).",
)
@click.argument("args", nargs=-1, metavar="[SECRET] CONTENT")
def sign(
    network: str | None,
    giver: str | None,
    giver_secret: str | None,
    value: str | None,
    key_file: Path | None,
    is_image: bool,
    args: tuple[str, ...],
) -> None:
    """Sign CONTENT (an image digest, sha256:<64 hex>) and print the proof's address.

    \b
    As GOSH's sign-cli:  goshfile sign -n ENDPOINTS -g GIVER -s GIVER_SECRET SECRET CONTENT
    SECRET (64 hex) is the signer's secret key. On the command line it is visible to other users of
    this machine (ps, /proc) and in shell history. Prefer '-' (one line read from standard input), or
    leave SECRET out: then --key-file FILE, WALLET_SECRET, the user wallet in GOSH's config
    (~/.gosh/config.json) or the default key file ('goshfile keys generate') is used, in that order.
    The same exposure applies to -s GIVER_SECRET.

    Signing the same content again prints the same address and records nothing new.

    \b
    The image form signs what a registry holds, as `cosign sign --key` does, and records the proof:
      goshfile sign --image 127.0.0.1:5000/app:1      # prints the proof address; see `goshfile verify`
    """
    secret, content = key_and_content(args, "SECRET")
    giver_pair = KeyPair.from_secret_hex(giver_secret, what="the giver secret (-s)") if giver_secret else None
    if value is not None and not re.match(_AMOUNT, value.strip()):
        raise InputError(f"-e/--value {value!r} is not an amount (a decimal number)")
    payer = normalize_payer(giver)
    refuse_secret_payer(payer, *([giver_pair.public_hex] if giver_pair else []))  # -g must not be -s
    signer, _ = find_signer(secret, key_file=key_file)
    ledger = open_ledger(network)
    try:
        if is_image:
            # here: only the image form talks to a registry (httpx); check, addr and sign stay light
            from goshfile.cosign.sign import sign_registry_image
            from goshfile.images.registry import RegistryClient

            signed = sign_registry_image(content, signer, ledger, RegistryClient())
            click.echo(f"goshfile: signed {signed.image}@{signed.digest}: {signed.signature.tag}", err=True)
            proof = signed.proof
        else:
            proof = ledger.sign(signer, content, payer)
    finally:
        ledger.close()
    click.echo(proof.address)


@click.group()
def keys() -> None:
    """Wallet keys: ed25519 pairs, 64 hex characters each."""


@keys.command()
@click.option(
    "-o",
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where to write the pair (default: the default key file under the data home).",
)
@click.option("--force", is_flag=True, help="Replace an existing file.")
def generate(out: Path | None, force: bool) -> None:
    """Write a new key pair to a file readable only by you (mode 0600) and print its public key.

    The secret is written only to the file, never printed. The default file is used by sign
    when no other key source is given.
    """
    path = out or default_key_file()
    pair = KeyPair.generate()
    write_key_file(path, pair, overwrite=force)
    click.echo(f"goshfile: wrote a new key pair to {path}", err=True)
    click.echo(pair.public_hex)


@keys.command("public")
@key_file_option
@click.argument("secret", required=False, metavar="[SECRET]")
def public_cmd(key_file: Path | None, secret: str | None) -> None:
    """Print the public key of the signing key (SECRET, '-' for standard input, or the usual sources)."""
    pair, origin = find_signer(secret, key_file=key_file)
    click.echo(f"goshfile: the secret key from {origin}", err=True)
    click.echo(pair.public_hex)

"""``goshfile addr`` (as GOSH's sign-cli): the address of a proof, computed here, no ledger opened.

A module of its own so that ``addr`` imports only what it uses: the key sources, the endpoint
parser that checks ``-n``, and the contract's address (not the ledger, its backends or JSON output).
"""

from __future__ import annotations

from pathlib import Path

import click

from goshfile.cli.options import key_and_content, key_file_option, network_option
from goshfile.keys.sources import find_public
from goshfile.ledger.contract import address
from goshfile.ledger.endpoints import check_endpoints


@click.command()
@network_option
@key_file_option
@click.argument("args", nargs=-1, metavar="[PUBLIC] CONTENT")
def addr(network: str | None, key_file: Path | None, args: tuple[str, ...]) -> None:
    """Print the address of PUBLIC's proof of CONTENT (whether it is recorded or not).

    The address depends only on the key and the content; -n is checked but not contacted.

    \b
    Without PUBLIC: --key-file, WALLET_PUBLIC, WALLET_SECRET, GOSH's config, then the default key file.
      goshfile addr "$WALLET_PUBLIC" sha256:DIGEST
    """
    public, content = key_and_content(args, "PUBLIC")
    key, _ = find_public(public, key_file=key_file)
    check_endpoints(network)  # refused as check refuses it (InputError), but neither opened nor contacted
    click.echo(address(key, content))

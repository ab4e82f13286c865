"""``goshfile check`` (as GOSH's sign-cli): whether a proof is recorded and its signature verifies.

A module of its own so that ``check`` imports only the key sources, the ledger it opens and
the contract, not what ``sign`` and ``keys`` need.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from goshfile.cli.options import key_and_content, key_file_option, network_option
from goshfile.cli.render import error_json
from goshfile.errors import GoshfileError, VerificationError
from goshfile.keys.sources import find_public
from goshfile.ledger.endpoints import open_ledger


def _echo_json(value: dict[str, Any]) -> None:
    import json  # here: only --json writes JSON, and check starts faster without it

    click.echo(json.dumps(value, sort_keys=True))


@click.command()
@network_option
@key_file_option
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of true/false.")
@click.argument("args", nargs=-1, metavar="[PUBLIC] CONTENT")
def check(network: str | None, key_file: Path | None, as_json: bool, args: tuple[str, ...]) -> None:
    """Print true when PUBLIC's proof of CONTENT is recorded and its signature verifies, else false.

    \b
    Exit status 0 for true; 1 for false (and a line on stderr saying why); 3 when the check could not
    be made because the node could not be reached or answered an error (nothing on stdout, the error
    on stderr); 2 for bad input.
    Without PUBLIC: --key-file, WALLET_PUBLIC, WALLET_SECRET, GOSH's config, then the default key file.
      goshfile check -n http://127.0.0.1:8750 "$WALLET_PUBLIC" sha256:DIGEST
    --json: {"public", "content", "address", "valid" (null when not checked), "error"}.
    """
    public, content = key_and_content(args, "PUBLIC")
    key, _ = find_public(public, key_file=key_file)
    ledger = open_ledger(network)
    address = ledger.address(key, content)
    shape = {"public": key, "content": content, "address": address, "valid": None, "error": None}
    try:
        valid = ledger.check(key, content)
    except VerificationError:
        valid = False
    except GoshfileError as exc:
        if as_json:
            _echo_json({**shape, "error": error_json(exc)})
        raise
    finally:
        ledger.close()
    if as_json:
        _echo_json({**shape, "valid": valid})
    else:
        click.echo("true" if valid else "false")
    if not valid:  # exit status 1 through the one error handler, with the reason on stderr
        raise VerificationError(f"no valid proof of {content} by {key} is recorded (address {address})")

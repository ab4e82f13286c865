"""Options shared by several commands, and their parsing into plain values."""

from __future__ import annotations

from pathlib import Path

import click

NETWORK_HELP = (
    "Comma-separated endpoints of one network, tried in order: http(s)://host:port for a node "
    "('goshfile node serve'), a path or file:// URL for a local ledger. "
    "Default: $GOSH_NETWORK, else the local ledger."
)
network_option = click.option("-n", "--network", metavar="ENDPOINTS", help=NETWORK_HELP)
key_file_option = click.option(
    "--key-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help='Read the key from this file ({"public": ..., "secret": ...}, mode 0600).',
)
BUILD_ARG_OPTION = click.option(
    "--build-arg", "build_args", multiple=True, metavar="NAME=VALUE", help="Set a build arg declared in 'args'."
)


def key_and_content(args: tuple[str, ...], key: str) -> tuple[str | None, str]:
    """sign-cli's ``[KEY] CONTENT`` arguments (sign, check, addr): the key (None when left out) and the content."""
    if len(args) == 2:
        return args[0], args[1]
    if len(args) == 1:
        return None, args[0]
    raise click.UsageError(f"expected [{key}] CONTENT, got {len(args)} arguments")


def pairs(values: tuple[str, ...], option: str, form: str = "KEY=VALUE") -> dict[str, str]:
    """``KEY=VALUE`` items of a repeatable option; a usage error names the option otherwise."""
    out: dict[str, str] = {}
    for item in values:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"'{item}' is not {form}", param_hint=option)
        out[key] = value
    return out


def build_args_of(values: tuple[str, ...]) -> dict[str, str]:
    """The ``--build-arg NAME=VALUE`` items."""
    return pairs(values, "--build-arg", "NAME=VALUE")

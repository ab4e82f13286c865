"""A command for tests/cli/test_lazy.py, imported only when it runs."""

from __future__ import annotations

import click


@click.command()
@click.argument("who")
def hello(who: str) -> None:
    """Say hello to WHO. More text that --help does not list."""
    click.echo(f"hello {who}")

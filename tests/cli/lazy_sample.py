"""A command for tests/cli/test_lazy.py, imported only when it runs."""

from __future__ import annotations

import click


@click.command()
@click.argument("who")
def hello(who: str) -> None:
    """Say hello to WHO. More text that --help does not list."""
    click.echo(f"hello {who}")


@click.group()
def tools() -> None:
    """Tools."""


def add_more(group: click.Group) -> None:
    """Add a subcommand to ``tools`` (as a module extending another module's group does)."""
    tools_group = group.commands["tools"]
    assert isinstance(tools_group, click.Group)
    tools_group.add_command(click.Command("more", callback=lambda: click.echo("more")))

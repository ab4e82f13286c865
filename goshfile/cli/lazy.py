"""A click group whose subcommands are imported only when they run.

``goshfile --help``, ``--version`` and a light command such as ``check`` must not
pay for importing every command's library (Docker SDK, gRPC, the spec's model, the web
stack). Each lazy command is named by ``"module:attribute"`` with the short help
line that ``--help`` lists, so listing the commands imports none of them;
``tests/cli/test_lazy.py`` checks that every listed line is the command's own.
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Mapping
from typing import Any, NamedTuple

import click

from goshfile import startup


class LazyCommand(NamedTuple):
    """Where a command lives and the line ``--help`` shows for it.

    A named tuple, not a frozen dataclass: the table is built on every start, and a dataclass's
    generated methods cost about 0.5 ms to compile, a named tuple's a quarter of that.
    """

    target: str  # "package.module:attribute"
    short_help: str  # the command's first sentence, as ``command.get_short_help_str(limit=1000)`` gives it
    extend: tuple[str, ...] = ()  # "module:function"s called with the group once the command is in it

    def load(self) -> click.Command:
        """Import the command."""
        command = _resolve(self.target)
        if not isinstance(command, click.Command):
            raise TypeError(f"{self.target} is not a click command")
        return command


def _resolve(target: str) -> Any:
    module, _, attribute = target.partition(":")
    return getattr(importlib.import_module(module), attribute)


def terminal_columns() -> int:
    """The terminal's width as ``shutil.get_terminal_size`` gives it (``COLUMNS``, then the terminal, then 80)."""
    try:
        return int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        pass
    try:
        return os.get_terminal_size(sys.__stdout__.fileno()).columns if sys.__stdout__ else 80
    except (OSError, ValueError):
        return 80


class _Context(click.Context):
    """click's context, with the help width found without ``shutil`` (which imports bz2 and lzma)."""

    def make_formatter(self) -> click.HelpFormatter:
        if self.terminal_width is None:
            width = max(min(terminal_columns(), self.max_content_width or 80) - 2, 50)
            return self.formatter_class(width=width, max_width=self.max_content_width)
        return super().make_formatter()


class LazyGroup(click.Group):
    """A :class:`click.Group` with subcommands imported on first use."""

    context_class = _Context

    def __init__(self, *args: Any, lazy: Mapping[str, LazyCommand] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy: dict[str, LazyCommand] = dict(lazy or {})

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in self.lazy:
            entry = self.lazy[cmd_name]
            self.add_command(entry.load(), cmd_name)
            for hook in entry.extend:  # e.g. more subcommands of a group, registered by another module
                _resolve(hook)(self)
            startup.resume()  # the command is imported: the collector (paused by the console script) runs again
        return super().get_command(ctx, cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The commands section of ``--help``, from the table for commands not imported yet."""
        rows: list[tuple[str, str]] = []
        limit = formatter.width - 6 - max((len(n) for n in self.list_commands(ctx)), default=0)
        for name in self.list_commands(ctx):
            command = self.commands.get(name)
            if command is None:
                stand_in = click.Command(name, help=self.lazy[name].short_help)  # click's own truncation
                rows.append((name, stand_in.get_short_help_str(limit)))
            elif not command.hidden:
                rows.append((name, command.get_short_help_str(limit)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)

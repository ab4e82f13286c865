from __future__ import annotations

import sys

import click
import pytest
from click.testing import CliRunner

from goshfile.cli.lazy import LazyCommand, LazyGroup

SAMPLE = "tests.cli.lazy_sample"


def group() -> click.Group:
    @click.group(cls=LazyGroup, lazy={"hello": LazyCommand(f"{SAMPLE}:hello", "Say hello to WHO.")})
    def cli() -> None:
        """A test CLI."""

    @cli.command()
    def eager() -> None:
        """An eager command."""

    return cli


@pytest.fixture(autouse=True)
def unimported() -> None:
    sys.modules.pop(SAMPLE, None)


def test_help_lists_lazy_commands_without_importing_them() -> None:
    result = CliRunner().invoke(group(), ["--help"])
    assert result.exit_code == 0, result.output
    assert "hello  Say hello to WHO." in result.output and "eager  An eager command." in result.output
    assert SAMPLE not in sys.modules


def test_a_lazy_command_is_imported_when_it_runs() -> None:
    result = CliRunner().invoke(group(), ["hello", "you"])
    assert result.exit_code == 0 and result.output == "hello you\n"
    assert SAMPLE in sys.modules


def test_a_lazy_commands_own_help_comes_from_the_command() -> None:
    result = CliRunner().invoke(group(), ["hello", "--help"])
    assert result.exit_code == 0 and "More text that --help does not list." in result.output


def test_an_unknown_command_is_a_usage_error() -> None:
    result = CliRunner().invoke(group(), ["nope"])
    assert result.exit_code == 2 and "No such command 'nope'" in result.output


def test_a_target_that_is_not_a_command_is_refused() -> None:
    with pytest.raises(TypeError, match="is not a click command"):
        LazyCommand("tests.cli.lazy_sample:click", "x").load()


def test_a_lazy_command_can_be_extended_by_another_module_when_loaded() -> None:
    lazy = {"tools": LazyCommand(f"{SAMPLE}:tools", "Tools.", extend=(f"{SAMPLE}:add_more",))}

    @click.group(cls=LazyGroup, lazy=lazy)
    def cli() -> None:
        """A test CLI."""

    result = CliRunner().invoke(cli, ["tools", "more"])
    assert result.exit_code == 0 and result.output == "more\n"

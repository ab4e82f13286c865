"""``goshfile lint``, ``goshfile llb`` and ``goshfile schema``: work on a goshfile without an engine."""

from __future__ import annotations

import json
import re
import sys
from datetime import UTC, datetime
from pathlib import Path

import click

from goshfile.frontend.convert import BaseImage, convert
from goshfile.frontend.options import BuildOptions
from goshfile.images import reference
from goshfile.llb import Platform, State, marshal, serialize, to_json
from goshfile.spec import Loaded, load_text
from goshfile.spec.loader import read_goshfile
from goshfile.spec.schema import render


def _read(path: str) -> tuple[str, str]:
    return read_goshfile(Path(path), path), path  # bounded in size and kind, UTF-8 checked with a position


def _build_args(values: tuple[str, ...]) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in values:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise click.BadParameter(f"{item!r} is not NAME=VALUE", param_hint="--build-arg")
        out[name] = value
    return out


SYNTAX_LINE = re.compile(r"^#\s*syntax\s*=\s*(docker\.io/)?teamgosh/goshfile(:[\w.-]+)?(@sha256:[0-9a-f]{64})?\s*$")
FILE_OPTION = click.option(
    "-f", "--file", "file", default="goshfile.yaml", show_default=True, help="The goshfile to read."
)
BUILD_ARG_OPTION = click.option(
    "--build-arg", "build_args", multiple=True, metavar="NAME=VALUE", help="Set a build arg declared in 'args'."
)


@click.command()
@FILE_OPTION
@click.option(
    "--build-arg",
    "build_args",
    multiple=True,
    metavar="NAME=VALUE",
    help="Also check substitution with these build args (without any, required args are not checked).",
)
def lint(file: str, build_args: tuple[str, ...]) -> None:
    """Check a goshfile without building: every problem with its file:line:column.

    Exit status 0 when the file is valid, 1 with the problems on stderr otherwise.
    """
    text, name = _read(file)
    loaded = load_text(text, name, _build_args(build_args) if build_args else None)
    warnings = list(loaded.warnings)
    first = text.splitlines()[0].strip() if text.strip() else ""
    if not SYNTAX_LINE.match(first):
        warnings.append(
            f"{name}:1: the first line is not '# syntax=teamgosh/goshfile': plain 'docker buildx build' "
            "will read the file as a Dockerfile (goshfile build works either way)"
        )
    for warning in warnings:
        click.echo(f"goshfile: warning: {warning}", err=True)
    count = len(loaded.spec.steps)
    click.echo(f"{name}: ok ({count} step{'' if count == 1 else 's'})", err=True)


def _local_llb(loaded: Loaded, options: BuildOptions, platform: Platform) -> State:
    image = loaded.spec.image
    if image == "scratch":
        base = BaseImage.scratch(platform)
    else:
        ref = reference.parse(image)
        base = BaseImage(str(ref), {})
    contexts = {
        "context": State.local("context", shared_key_hint="context", progress_name="[internal] load build context")
    }

    def resolve(name: str) -> State | None:
        return contexts.get(name) or State.local(name, shared_key_hint=name)

    return convert(loaded, base, options, resolve, platform, created=datetime.fromtimestamp(0, UTC)).state


@click.command()
@FILE_OPTION
@BUILD_ARG_OPTION
@click.option("--platform", default="linux/amd64", show_default=True, help="Target platform os/arch[/variant].")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object per op instead of the binary Definition.")
def llb(file: str, build_args: tuple[str, ...], platform: str, as_json: bool) -> None:
    """Print the LLB a goshfile turns into.

    Without --json the binary pb.Definition is written to stdout, ready for
    `buildctl build --local context=. --local dockerfile=.` on a standalone buildkitd.
    The base image is used by name here (the frontend pins it by digest when building).
    """
    text, name = _read(file)
    loaded = load_text(text, name, _build_args(build_args))
    try:
        target = Platform.parse(platform)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--platform") from None
    definition = marshal(_local_llb(loaded, BuildOptions(filename=name), target).output)
    if as_json:
        click.echo(json.dumps(to_json(definition), indent=2))
    else:
        sys.stdout.buffer.write(serialize(definition))


@click.command()
def schema() -> None:
    """Print the goshfile JSON schema (generated from the model)."""
    click.echo(render(), nl=False)


def register(group: click.Group) -> None:
    """Add these commands to the CLI."""
    for command in (lint, llb, schema):
        group.add_command(command)

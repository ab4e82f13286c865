"""``goshfile lint``, ``goshfile llb`` and ``goshfile schema``: work on a goshfile without an engine."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from goshfile.cli.options import BUILD_ARG_OPTION, build_args_of, pairs
from goshfile.llb import Platform, serialize, to_json
from goshfile.spec.schema import render
from goshfile.workflows.lint import lint as lint_file
from goshfile.workflows.llb import goshfile_llb

FILE_OPTION = click.option(
    "-f", "--file", "file", default="goshfile.yaml", show_default=True, help="The goshfile to read."
)


@click.command()
@FILE_OPTION
@click.option(
    "--build-arg",
    "build_args",
    multiple=True,
    metavar="NAME=VALUE",
    help="Also check substitution with these build args; then every required arg must be given "
    "(without any, each required arg is a warning).",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object: file, ok, steps, problems, warnings.")
def lint(file: str, build_args: tuple[str, ...], as_json: bool) -> None:
    """Check a goshfile without building: every problem with its file:line:column.

    \b
    Exit status 0 when the file is valid (warnings on stderr), 1 with the problems on stderr
    otherwise, 2 when the file cannot be read.
      goshfile lint -f goshfile.yaml --build-arg NAME=world
    """
    report = lint_file(file, build_args_of(build_args) if build_args else None)
    if as_json:
        click.echo(
            json.dumps(
                {
                    "file": report.file,
                    "ok": report.ok,
                    "steps": report.steps if report.ok else None,
                    "problems": [
                        {"line": p.line, "column": p.column, "path": p.path, "message": p.message}
                        for p in report.problems
                    ],
                    "warnings": report.warnings,
                },
                sort_keys=True,
            )
        )
    else:
        for warning in report.warnings:
            click.echo(f"goshfile: warning: {warning}", err=True)
        for problem in report.problems:
            click.echo(str(problem), err=True)
        if report.ok:
            click.echo(f"{file}: ok ({report.steps} step{'' if report.steps == 1 else 's'})", err=True)
        else:
            count = len(report.problems)
            click.echo(f"goshfile: error: {count} problem{'s' if count != 1 else ''} in {file}", err=True)
    if not report.ok:
        raise click.exceptions.Exit(1)


@click.command()
@FILE_OPTION
@BUILD_ARG_OPTION
@click.option(
    "--build-context",
    "contexts",
    multiple=True,
    metavar="NAME=DIR",
    help="A named context for 'from:' (the LLB reads it as the local NAME: buildctl --local NAME=DIR).",
)
@click.option("--platform", default="linux/amd64", show_default=True, help="Target platform os/arch[/variant].")
@click.option(
    "--json", "as_json", is_flag=True, help="Print one JSON object per op, one per line, instead of the Definition."
)
def llb(file: str, build_args: tuple[str, ...], contexts: tuple[str, ...], platform: str, as_json: bool) -> None:
    """Print the LLB a goshfile turns into, as the frontend makes it.

    \b
    Without --json the binary pb.Definition is written to stdout, ready for a standalone buildkitd:
      goshfile llb -f goshfile.yaml | buildctl build --local context=. --local dockerfile=. \\
        --output type=image,name=IMAGE
    With --json, one object per op and line: {"digest", "type", "op", "metadata"?}.
    The base image is used by name here (the frontend pins it by digest when building);
    .dockerignore is read from the current folder (the context).
    """
    try:
        target = Platform.parse(platform)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--platform") from exc
    named = {name: f"local:{name}" for name in pairs(contexts, "--build-context")}
    result = goshfile_llb(file, build_args_of(build_args), target, contexts=named)
    for warning in result.warnings:
        click.echo(f"goshfile: warning: {warning}", err=True)
    if as_json:
        for entry in to_json(result.definition):
            click.echo(json.dumps(entry, sort_keys=True))
    else:
        sys.stdout.buffer.write(serialize(result.definition))


@click.command()
def schema() -> None:
    """Print the goshfile JSON schema (generated from the model): goshfile schema > goshfile.schema.json"""
    click.echo(render(), nl=False)


__all__ = ["FILE_OPTION", "Path"]

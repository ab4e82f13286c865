"""``goshfile``: the command-line entry point and its one error handler.

Every command is a thin skin over the library. Errors raised on purpose
(:class:`goshfile.errors.GoshfileError`) are printed here as one line each
(``goshfile: error: ...``) with the exit status of their cause (:class:`ExitCode`,
README "CLI contract"); the traceback, with its chained causes, only with ``--verbose``.
"""

from __future__ import annotations

import sys
from enum import IntEnum

import click

from goshfile import __version__
from goshfile.cli import redact
from goshfile.cli.commands import COMMANDS
from goshfile.cli.lazy import LazyGroup
from goshfile.errors import EngineError, GoshfileError, InputError, SpecError, VerificationError


class ExitCode(IntEnum):
    """The exit statuses scripts can rely on."""

    OK = 0
    FAILED = 1  # verified false, check false, verification failed, lint found problems
    USAGE = 2  # usage error or bad input (options, goshfile, reference, key)
    UNREACHABLE = 3  # could not check: engine, node, registry unreachable or answering errors
    INTERRUPTED = 130  # Ctrl-C


def exit_code(exc: GoshfileError) -> ExitCode:
    """The exit status for an error raised on purpose."""
    if isinstance(exc, InputError):
        return ExitCode.USAGE
    if isinstance(exc, EngineError):
        return ExitCode.UNREACHABLE
    return ExitCode.FAILED  # VerificationError and any other cause


@click.group(cls=LazyGroup, lazy=COMMANDS, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="goshfile")
@click.option("-v", "--verbose", is_flag=True, help="Show tracebacks (with their causes) on errors.")
@click.pass_context
def cli(ctx: click.Context, verbose: bool) -> None:
    """Build container images from goshfiles with BuildKit, from code pinned in GOSH.

    \b
    A goshfile is YAML whose first line is `# syntax=teamgosh/goshfile`:
      # syntax=teamgosh/goshfile
      apiVersion: 1
      image: bash:latest
      steps:
        - name: say hi
          run: {command: [bash, -c, "echo hi > /hi.txt"]}

    \b
    Build it with the tools you know:
      docker buildx build -f goshfile.yaml -t IMAGE --label WALLET_PUBLIC=KEY .
    or check it without building:
      goshfile lint -f goshfile.yaml

    \b
    Sign with a GOSH wallet key and let anyone verify (the local node by default, -n for others):
      goshfile build . -t REGISTRY/IMAGE --push --sign
      goshfile check WALLET_PUBLIC sha256:DIGEST
      goshfile verify --provenance REGISTRY/IMAGE

    \b
    Code from GOSH, pinned by commit (git push gosh://... works with git-remote-gosh):
      goshfile build gosh://0:<64 hex>/DAO/REPO --commit SHA -t IMAGE

    \b
    Exit status: 0 success; 1 verified false, check false, verification failed or lint
    found problems; 2 usage error or bad input; 3 could not check (engine, node or
    registry unreachable or answering errors).
    """
    ctx.obj = {"verbose": verbose}


def _print_traceback() -> None:
    import traceback  # only under --verbose: every command starts faster without it

    traceback.print_exc()


def _error(message: str) -> None:
    click.echo(f"goshfile: error: {' '.join(message.split())}", err=True)


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; return the exit status instead of raising SystemExit."""
    args = sys.argv[1:] if argv is None else list(argv)
    with redact.hiding(redact.typed_tokens(args)):  # a 64-hex value typed may be a secret key
        return _main(args)


def _main(args: list[str]) -> int:
    ctx: click.Context | None = None

    def verbose() -> bool:  # parsed by click itself: the group's own --verbose option
        return bool(ctx is not None and ctx.params.get("verbose"))

    try:
        ctx = cli.make_context("goshfile", args)
        with ctx:
            cli.invoke(ctx)
    except click.exceptions.Exit as exc:
        return int(exc.exit_code)
    except click.exceptions.Abort:
        click.echo("goshfile: aborted", err=True)
        return ExitCode.INTERRUPTED
    except click.UsageError as exc:
        click.echo(redact.usage_error(exc), err=True, nl=False)
        return ExitCode.USAGE
    except click.ClickException as exc:  # click's file errors and the like: bad input
        click.echo(redact.usage_error(exc), err=True, nl=False)
        return ExitCode.USAGE
    except SpecError as exc:
        if verbose():
            _print_traceback()
        for problem in exc.problems:  # file:line:col: path: message, as compilers print them
            click.echo(str(problem), err=True)
        count = len(exc.problems)
        _error(f"{count} problem{'s' if count != 1 else ''} in {exc.problems[0].file}")
        return ExitCode.USAGE
    except GoshfileError as exc:
        if verbose():
            _print_traceback()
        _error(str(exc))
        return exit_code(exc)
    except KeyboardInterrupt:
        click.echo("goshfile: interrupted", err=True)
        return ExitCode.INTERRUPTED
    return ExitCode.OK


__all__ = ["EngineError", "ExitCode", "InputError", "VerificationError", "cli", "exit_code", "main"]

if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

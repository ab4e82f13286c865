"""``goshfile``: the command-line entry point and its one error handler.

Every command is a thin layer over the library. Errors raised on purpose
(:class:`goshfile.errors.GoshfileError`) are printed here as one line
(``goshfile: error: ...``) with exit status 1; the traceback only with
``--verbose``. Usage errors exit 2 (click's convention).
"""

from __future__ import annotations

import sys
import traceback

import click

from goshfile import __version__
from goshfile.cli import build_cmd, image_cmds, ledger_cmds, node_cmds, redact, spec_cmds, verify_cmds
from goshfile.errors import GoshfileError, SpecError

EXIT_FAILURE = 1
EXIT_USAGE = 2


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="goshfile")
@click.option("-v", "--verbose", is_flag=True, help="Show tracebacks and more detail on errors.")
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
    """
    ctx.obj = {"verbose": verbose}


spec_cmds.register(cli)
build_cmd.register(cli)
ledger_cmds.register(cli)
node_cmds.register(cli)
image_cmds.register(cli)
verify_cmds.register(cli)


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; return the exit status instead of raising SystemExit."""
    args = sys.argv[1:] if argv is None else argv
    verbose = "-v" in args or "--verbose" in args
    typed = redact.typed_tokens(args)  # never printed back: any of them may be a secret key
    with redact.hiding_in_stderr(typed):
        return _run(argv, verbose, typed)


def _run(argv: list[str] | None, verbose: bool, typed: set[str]) -> int:
    try:
        rc = cli.main(args=argv, prog_name="goshfile", standalone_mode=False)
    except click.exceptions.Exit as exc:
        return int(exc.exit_code)
    except click.exceptions.Abort:
        click.echo("goshfile: aborted", err=True)
        return EXIT_FAILURE
    except click.ClickException as exc:
        click.echo(redact.usage_error(exc), err=True, nl=False)
        return exc.exit_code
    except SpecError as exc:
        if verbose:
            traceback.print_exc()
        for problem in exc.problems:  # file:line:col: path: message, as compilers print them
            click.echo(redact.error_line(str(problem), typed), err=True)
        count = len(exc.problems)
        file = redact.error_line(exc.problems[0].file, typed)
        click.echo(f"goshfile: error: {count} problem{'s' if count != 1 else ''} in {file}", err=True)
        return EXIT_FAILURE
    except GoshfileError as exc:
        if verbose:
            traceback.print_exc()
        click.echo(redact.error_line(f"goshfile: error: {' '.join(str(exc).split())}", typed), err=True)
        return EXIT_FAILURE
    return rc if isinstance(rc, int) else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

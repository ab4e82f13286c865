"""``goshfile``: the command-line entry point and its one error handler.

Every command is a thin layer over the library. Errors raised on purpose
(:class:`goshfile.errors.GoshfileError`) are printed here as one line
(``goshfile: error: ...``) with exit status 1; the traceback only with
``--verbose``. Usage errors exit 2 (click's convention).
"""

from __future__ import annotations

import sys

import click

from goshfile import __version__
from goshfile.cli.lazy import LazyCommand, LazyGroup
from goshfile.errors import GoshfileError, SpecError

EXIT_FAILURE = 1
EXIT_USAGE = 2

# Every subcommand, imported only when it runs (goshfile --help lists them from here; tests/cli/test_main.py
# checks each line against the command's own help).
COMMANDS: dict[str, LazyCommand] = {
    "addr": LazyCommand(
        "goshfile.cli.ledger_cmds:addr",
        "Print the address of PUBLIC's proof of CONTENT (whether it is recorded or not).",
    ),
    "build": LazyCommand(
        "goshfile.cli.build_cmd:build", "Build an image from a goshfile with docker buildx and the goshfile frontend."
    ),
    "check": LazyCommand(
        "goshfile.cli.ledger_cmds:check",
        "Print true when PUBLIC's proof of CONTENT is recorded and its signature verifies, else false.",
    ),
    "image-hash": LazyCommand(
        "goshfile.cli.image_cmds:image_hash_cmd",
        "Hash the filesystem of IMAGE, independent of timestamps, compression and registry.",
    ),
    "keys": LazyCommand("goshfile.cli.ledger_cmds:keys", "Wallet keys: ed25519 pairs, 64 hex characters each."),
    "lint": LazyCommand(
        "goshfile.cli.spec_cmds:lint", "Check a goshfile without building: every problem with its file:line:column."
    ),
    "llb": LazyCommand("goshfile.cli.spec_cmds:llb", "Print the LLB a goshfile turns into."),
    "node": LazyCommand(
        "goshfile.cli.node_cmds:node",
        "The local node: a ledger of proofs in one SQLite file, usable directly or served over HTTP.",
    ),
    "schema": LazyCommand(
        "goshfile.cli.spec_cmds:schema", "Print the goshfile JSON schema (generated from the model)."
    ),
    "sign": LazyCommand(
        "goshfile.cli.ledger_cmds:sign",
        "Sign CONTENT (an image digest, sha256:<64 hex>) and print the proof's address.",
    ),
    "verify": LazyCommand(
        "goshfile.cli.verify_cmds:verify",
        "Verify who vouches for IMAGE: its WALLET_PUBLIC label, its digest and a proof in the ledger.",
    ),
}


@click.group(cls=LazyGroup, lazy=COMMANDS, context_settings={"help_option_names": ["-h", "--help"]})
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


def _print_traceback() -> None:
    import traceback  # only under --verbose: every command starts faster without it

    traceback.print_exc()


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; return the exit status instead of raising SystemExit."""
    args = sys.argv[1:] if argv is None else argv
    verbose = "-v" in args or "--verbose" in args
    try:
        rc = cli.main(args=argv, prog_name="goshfile", standalone_mode=False)
    except click.exceptions.Exit as exc:
        return int(exc.exit_code)
    except click.exceptions.Abort:
        click.echo("goshfile: aborted", err=True)
        return EXIT_FAILURE
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except SpecError as exc:
        if verbose:
            _print_traceback()
        for problem in exc.problems:  # file:line:col: path: message, as compilers print them
            click.echo(str(problem), err=True)
        count = len(exc.problems)
        click.echo(f"goshfile: error: {count} problem{'s' if count != 1 else ''} in {exc.problems[0].file}", err=True)
        return EXIT_FAILURE
    except GoshfileError as exc:
        if verbose:
            _print_traceback()
        click.echo(f"goshfile: error: {' '.join(str(exc).split())}", err=True)
        return EXIT_FAILURE
    return rc if isinstance(rc, int) else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

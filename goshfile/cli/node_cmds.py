"""``goshfile node``: serve the local node over HTTP and check its tamper-evident log."""

from __future__ import annotations

import signal
import sys
from pathlib import Path
from types import FrameType

import click

from goshfile.errors import VerificationError
from goshfile.ledger import HttpLedger, LogReport, SqliteLedger
from goshfile.ledger.endpoints import LEDGER_FILE, open_node, resolve
from goshfile.ledger.server import NodeServer, parse_listen
from goshfile.paths import node_home

DEFAULT_LISTEN = "127.0.0.1:8750"


@click.group()
def node() -> None:
    """The local node: a ledger of proofs in one SQLite file, usable directly or served over HTTP."""


def _stop(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


@node.command()
@click.option(
    "--listen",
    default=DEFAULT_LISTEN,
    show_default=True,
    metavar="HOST:PORT",
    help="Address to serve on (port 0 picks a free one). Anyone who can reach it can read the ledger.",
)
@click.option(
    "--node",
    "node_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="The node folder (default: the local node under the data home).",
)
@click.option(
    "--ledger",
    type=click.Path(dir_okay=False, path_type=Path),
    help=f"The ledger file (default: NODE/{LEDGER_FILE}).",
)
@click.option(
    "--git",
    is_flag=True,
    help="Also serve the node's git repositories under /git/ (pushes are not authenticated: trusted networks only).",
)
@click.option("-q", "--quiet", is_flag=True, help="Do not log requests.")
def serve(listen: str, node_dir: Path | None, ledger: Path | None, git: bool, quiet: bool) -> None:
    """Serve the ledger over HTTP/JSON until interrupted (API: docs/ledger.md).

    Prints the node URL on standard output (the form -n and GOSH_NETWORK take) once it is listening.
    Deployments are recorded only when their signature verifies; reads need no key.
    """
    host, port = parse_listen(listen)
    folder = node_dir or node_home()
    path = ledger or folder / LEDGER_FILE
    store = SqliteLedger(path)
    store.init()  # a file that is not a ledger, or cannot be written, fails here and not on each request
    server = NodeServer(store, host, port, node_path=folder if git else None, quiet=quiet)
    previous = signal.signal(signal.SIGTERM, _stop)
    try:
        click.echo(f"goshfile node: serving {path}{' and git under /git/' if git else ''} at {server.url}", err=True)
        click.echo(server.url)
        sys.stdout.flush()
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        click.echo("goshfile node: stopped", err=True)
    finally:
        signal.signal(signal.SIGTERM, previous)
        server.server_close()


def _summary(report: LogReport) -> str:
    return f"{report.records} record{'s' if report.records != 1 else ''}, head {report.head.hash}"


@node.command("verify-log")
@click.option(
    "-n",
    "--network",
    metavar="ENDPOINTS",
    help="The ledgers to check (as for sign; default: $GOSH_NETWORK, else the local ledger). Each one is checked.",
)
def verify_log(network: str | None) -> None:
    """Check the whole log: every record's hash chain, address and signature, and the recorded head.

    Prints one line per ledger. Exit status 1 with the first broken record when one is broken.
    A node's log is fetched and checked here, without trusting the node.
    """
    broken: list[str] = []
    for endpoint in resolve(network):
        ledger: SqliteLedger | HttpLedger = open_node(endpoint)
        try:
            report = ledger.verify_log()
        finally:
            ledger.close()
        if report.broken is None:
            click.echo(f"{ledger}: ok, {_summary(report)}")
        else:
            broken.append(f"{ledger}: {report.broken}")
    if broken:
        raise VerificationError("; ".join(broken))


def register(group: click.Group) -> None:
    """Add these commands to the CLI."""
    group.add_command(node)

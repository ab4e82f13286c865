"""``goshfile node``: serve the local node over HTTP and check its tamper-evident log."""

from __future__ import annotations

import contextlib
import logging
import os
import resource
import signal
import sys
import time
from pathlib import Path
from types import FrameType

import click

from goshfile import extras
from goshfile.errors import VerificationError
from goshfile.ledger import HttpLedger, LogReport, SqliteLedger
from goshfile.ledger.endpoints import LEDGER_FILE, open_node, resolve
from goshfile.paths import node_home
from goshfile.tokens import ENV_TOKEN, check_token, read_token_file, write_new_token

DEFAULT_LISTEN = "127.0.0.1:8750"
IDLE_TIMEOUT = 10.0  # goshfile.serving.Limits' defaults (that module needs the web extra)
MAX_CONNECTIONS = 1024


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
@click.option("--git", is_flag=True, help="Also serve the node's git repositories under /git/ (pushes need the token).")
@click.option(
    "--token-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help=f"The node's token, which authorizes git pushes (default: ${ENV_TOKEN}; none: no pushes).",
)
@click.option(
    "--deploy-needs-token",
    is_flag=True,
    help="Take a deployment only with the token, besides the signer's signature (which is always checked).",
)
@click.option("--idle-timeout", type=click.FloatRange(0.1, 3600), default=IDLE_TIMEOUT, show_default=True,
              metavar="SECONDS", help="Close a connection that sends no complete request for this long.")  # fmt: skip
@click.option("--max-connections", type=click.IntRange(1, 100_000), default=MAX_CONNECTIONS,
              show_default=True, help="Open connections at once (the longest idle makes room).")  # fmt: skip
@click.option("-q", "--quiet", is_flag=True, help="Do not log requests (errors are always logged).")
def serve(
    listen: str,
    node_dir: Path | None,
    ledger: Path | None,
    git: bool,
    token_file: Path | None,
    deploy_needs_token: bool,
    idle_timeout: float,
    max_connections: int,
    quiet: bool,
) -> None:
    """Serve the ledger over HTTP/JSON until interrupted (API and TLS set-up: docs/ledger.md).

    Prints the node URL on standard output (the form -n and GOSH_NETWORK take) once it is listening.
    Deployments are recorded only when their signature verifies; reads need no key. Example:

    \b
      goshfile node new-token ~/.config/goshfile/node.token
      goshfile node serve --git --token-file ~/.config/goshfile/node.token
    """
    extras.require("web", "goshfile node serve")
    from goshfile.ledger import server as node_server  # the optional web stack, imported only here

    host, port = node_server.parse_listen(listen)
    token = read_token_file(token_file) if token_file else None
    if token is None and os.environ.get(ENV_TOKEN, "").strip():
        token = check_token(os.environ[ENV_TOKEN], f"${ENV_TOKEN}")
    auth = node_server.NodeAuth(token, deploy_needs_token)
    folder = node_dir or node_home()
    path = ledger or folder / LEDGER_FILE
    store = SqliteLedger(path)
    store.init()  # a file that is not a ledger, or cannot be written, fails here and not on each request
    limits = node_server.Limits(idle_timeout=idle_timeout, max_connections=_connection_cap(max_connections))
    _log_to_stderr(quiet)
    server = node_server.NodeServer(
        store, host, port, node_path=folder if git else None, quiet=quiet, auth=auth, limits=limits
    )
    previous = signal.signal(signal.SIGTERM, _stop)
    try:
        what = f"{path}{' and git under /git/' if git else ''}"
        writes = "pushes and deployments with the token" if deploy_needs_token else (
            "pushes with the token" if token and git else "signed deployments")  # fmt: skip
        click.echo(f"goshfile node: serving {what} at {server.url} (writes: {writes})", err=True)
        click.echo(server.url)
        sys.stdout.flush()
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        server.server_close()
    click.echo("goshfile node: stopped", err=True)


def _connection_cap(wanted: int) -> int:
    """``wanted``, lowered to what the open-files limit allows (raised first when it can be)."""
    reserve = 64  # the ledger, git backends, logs
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < wanted + reserve:
        target = wanted + reserve if hard == resource.RLIM_INFINITY else min(hard, wanted + reserve)
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    if soft != resource.RLIM_INFINITY and soft < wanted + reserve:
        capped = max(1, soft - reserve)
        click.echo(f"goshfile node: at most {capped} connections (the open-files limit is {soft})", err=True)
        return capped
    return wanted


def _log_to_stderr(quiet: bool) -> None:
    """Requests (unless quiet) and errors (always) to standard error."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s", "%Y-%m-%dT%H:%M:%SZ"))
    handler.formatter.converter = time.gmtime  # type: ignore[union-attr]
    for name, level in (("goshfile.server", logging.INFO), ("uvicorn.error", logging.WARNING),
                        ("uvicorn.access", logging.WARNING if quiet else logging.INFO)):  # fmt: skip
        logger = logging.getLogger(name)
        logger.handlers = [handler]
        logger.setLevel(level)
        logger.propagate = False


@node.command("new-token")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def new_token(file: Path) -> None:
    """Write a new random node token to FILE (created readable by you only; never overwritten).

    Give the file to 'node serve --token-file' and to pushers as $GOSHFILE_NODE_TOKEN_FILE.
    """
    write_new_token(file)
    click.echo(f"goshfile node: wrote a new token to {file}", err=True)


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

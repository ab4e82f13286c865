"""``goshfile ui``: the verification dashboard in a browser (a thin skin over :mod:`goshfile.ui`)."""

from __future__ import annotations

import logging

import click

from goshfile.cli.options import network_option

DEFAULT_LISTEN = "127.0.0.1:8780"


@click.command()
@click.option(
    "--listen",
    default=DEFAULT_LISTEN,
    show_default=True,
    metavar="HOST:PORT",
    help="Address to serve on (port 0 picks a free one). Only loopback addresses without --allow-remote.",
)
@click.option(
    "--allow-remote",
    is_flag=True,
    help="Allow a non-loopback --listen address. The dashboard speaks plain HTTP: anyone on the path sees the "
    "token, and anyone with it can rebuild images and change your trusted signers. Prefer an SSH tunnel.",
)
@network_option
@click.option("--quiet", is_flag=True, help="Do not log requests (method, path and status) to stderr.")
def ui(listen: str, allow_remote: bool, network: str | None, quiet: bool) -> None:
    """Open the verification dashboard: every local image with its status, its evidence, and Validate.

    \b
    Prints one line with the URL to open; it carries a random access token
    (as Jupyter does), which the browser then keeps as a cookie. Without it
    every page answers 403. Images are checked against the ledger of -n
    (default: the local node).

    \b
    Example:
      goshfile ui
      goshfile ui --listen 127.0.0.1:0        # any free port
      ssh -L 8780:127.0.0.1:8780 builder      # from another machine, rather than --allow-remote
    """
    try:
        from goshfile.ui.dashboard import Dashboard
        from goshfile.ui.serve import parse_listen, require_allowed, serve
        from goshfile.ui.wiring import default_services
    except ImportError as exc:  # the web extra is not installed
        raise click.ClickException(
            f"the dashboard needs goshfile's ui extra: pip install 'goshfile[ui]' ({exc})"
        ) from exc
    where = parse_listen(listen)
    require_allowed(where, allow_remote)  # before touching the engine
    dashboard = Dashboard(default_services(network))
    if not quiet:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("goshfile ui: %(message)s"))
        logger = logging.getLogger("goshfile.ui")
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)

    def announce(url: str) -> None:
        click.echo(f"goshfile ui: open {url}", err=False)

    serve(dashboard, where, allow_remote, announce)

"""Which ledger ``-n`` names: endpoints as GOSH's sign-cli takes them, and the local default.

``-n`` is a comma-separated list of endpoints of one network, tried in order: the next one is used
only when one cannot be reached (an answer, even "not found", is final). Each endpoint is

- ``http(s)://host[:port][/prefix]``: a node started with ``goshfile node serve``;
- ``file:///path`` or a path (absolute, or starting with ``./``, ``../`` or ``~``): a local ledger.
  A path ending in ``.db``, ``.sqlite`` or ``.sqlite3``, or naming an existing file, is the ledger file
  itself; any other path is a node folder whose ledger is ``<folder>/ledger.db``.

Without ``-n``: ``$GOSH_NETWORK`` when set, else the default local ledger
``<data home>/node/ledger.db`` (``$GOSHFILE_HOME/node/ledger.db`` when that is set).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from goshfile.endpoints import ENV_NETWORK, LEDGER_SUFFIXES, HttpNode, LocalNode, Node, parse_endpoints
from goshfile.errors import EngineError, InputError
from goshfile.paths import node_home

if TYPE_CHECKING:  # annotations only: addr and check reach this module without the ledger protocol's
    from goshfile.ledger.client import HttpLedger
    from goshfile.ledger.proof import Proof
    from goshfile.ledger.protocol import Ledger, Signer
    from goshfile.ledger.sqlite import SqliteLedger

LEDGER_FILE = "ledger.db"
FILE_SUFFIXES = LEDGER_SUFFIXES
T = TypeVar("T")


def default_ledger_path() -> Path:
    """The default local ledger: ``<node home>/ledger.db``."""
    return node_home() / LEDGER_FILE


def ledger_file(path: Path) -> Path:
    """The ledger file of a local endpoint (see the module docstring)."""
    if path.suffix in FILE_SUFFIXES or path.is_file():
        return path
    return path / LEDGER_FILE


def open_node(node: Node) -> SqliteLedger | HttpLedger:
    """The ledger of one parsed endpoint (nothing is opened or contacted yet)."""
    if isinstance(node, HttpNode):
        # here: local ledgers need no HTTP client (httpx, ssl) and no token (secrets, hmac, random)
        from goshfile.ledger.client import HttpLedger
        from goshfile.tokens import token_from_env

        return HttpLedger(node.base, token=token_from_env())
    # here too: addr checks -n without opening anything, so it needs no sqlite3
    from goshfile.ledger.sqlite import SqliteLedger

    return SqliteLedger(ledger_file(node.path))


def resolve(network: str | None = None) -> list[Node]:
    """The endpoints ``-n`` (or ``$GOSH_NETWORK``, or the default) names, in order."""
    if network is not None:
        return parse_endpoints(network, origin="-n")
    from_env = os.environ.get(ENV_NETWORK, "")
    if from_env.strip():
        return parse_endpoints(from_env, origin=ENV_NETWORK)
    return [LocalNode(default_ledger_path())]


def check_endpoints(network: str | None = None) -> list[Node]:
    """What :func:`open_ledger` checks, without making a ledger: the endpoints, and the node token if one is a URL."""
    nodes = resolve(network)
    if any(isinstance(node, HttpNode) for node in nodes):
        from goshfile.tokens import token_from_env  # as open_node: only a node URL needs the token's modules

        token_from_env()
    return nodes


def open_ledger(network: str | None = None) -> Ledger:
    """The ledger ``network`` names (a ``-n`` value); see the module docstring. InputError for a bad endpoint."""
    ledgers = [open_node(node) for node in resolve(network)]
    return ledgers[0] if len(ledgers) == 1 else FailoverLedger(ledgers)


class FailoverLedger:
    """Several endpoints of one network: each call goes to the first that can be reached."""

    def __init__(self, ledgers: list[SqliteLedger | HttpLedger]) -> None:
        if not ledgers:
            raise InputError("no ledger endpoint given")
        self.ledgers = ledgers

    def __str__(self) -> str:
        return ", ".join(str(ledger) for ledger in self.ledgers)

    def _first(self, call: Callable[[SqliteLedger | HttpLedger], T]) -> T:
        failures = []
        for ledger in self.ledgers:
            try:
                return call(ledger)
            except EngineError as exc:
                failures.append(str(exc))
        raise EngineError("no endpoint could be used: " + "; ".join(failures))

    def sign(self, signer: Signer, content: str, payer: str | None = None) -> Proof:
        """Sign on the first reachable endpoint."""
        return self._first(lambda ledger: ledger.sign(signer, content, payer))

    def check(self, public: str, content: str) -> bool:
        """Check on the first reachable endpoint."""
        return self._first(lambda ledger: ledger.check(public, content))

    def address(self, public: str, content: str) -> str:
        """The address (the same on every endpoint)."""
        return self.ledgers[0].address(public, content)

    def get(self, public: str, content: str) -> Proof | None:
        """The proof on the first reachable endpoint."""
        return self._first(lambda ledger: ledger.get(public, content))

    def close(self) -> None:
        """Close every endpoint."""
        for ledger in self.ledgers:
            ledger.close()

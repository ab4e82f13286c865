"""Content-signature proofs: who signed which content (an image digest), recorded where anyone can check.

The :class:`Ledger` protocol has three backends behind one interface: the local SQLite file
(:class:`SqliteLedger`, the default), a node over HTTP (:class:`HttpLedger`, served by
``goshfile node serve``), and later the GOSH network. :func:`open_ledger` picks one from a
``-n`` endpoint list. The proof format is in :mod:`goshfile.ledger.contract` and :mod:`goshfile.ledger.proof`,
the tamper-evident
log in :mod:`goshfile.ledger.log`.

Names are loaded on first use, so that a command on the local ledger does not import the HTTP
client (``http.client``, ``ssl``) it does not use.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from goshfile.ledger.client import HttpLedger
    from goshfile.ledger.contract import CONTRACT, address, check_content, message
    from goshfile.ledger.endpoints import FailoverLedger, default_ledger_path, ledger_file, open_ledger
    from goshfile.ledger.log import Broken, Head, LogReport, Record, verify_records
    from goshfile.ledger.proof import Proof, normalize_payer
    from goshfile.ledger.protocol import Deployment, Ledger, Signer, check_proof, prepare
    from goshfile.ledger.sqlite import SqliteLedger

_EXPORTS = {
    "HttpLedger": "client",
    "FailoverLedger": "endpoints",
    "default_ledger_path": "endpoints",
    "ledger_file": "endpoints",
    "open_ledger": "endpoints",
    "Broken": "log",
    "Head": "log",
    "LogReport": "log",
    "Record": "log",
    "verify_records": "log",
    "CONTRACT": "contract",
    "Proof": "proof",
    "address": "contract",
    "check_content": "contract",
    "message": "contract",
    "normalize_payer": "proof",
    "Deployment": "protocol",
    "Ledger": "protocol",
    "Signer": "protocol",
    "check_proof": "protocol",
    "prepare": "protocol",
    "SqliteLedger": "sqlite",
}

__all__ = [
    "CONTRACT",
    "Broken",
    "Deployment",
    "FailoverLedger",
    "Head",
    "HttpLedger",
    "Ledger",
    "LogReport",
    "Proof",
    "Record",
    "Signer",
    "SqliteLedger",
    "address",
    "check_content",
    "check_proof",
    "default_ledger_path",
    "ledger_file",
    "message",
    "normalize_payer",
    "open_ledger",
    "prepare",
    "verify_records",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'goshfile.ledger' has no attribute {name!r}")
    return getattr(importlib.import_module(f"goshfile.ledger.{module}"), name)

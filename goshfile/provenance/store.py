"""Where signed provenance envelopes are kept (one file per image digest under the data folder)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from goshfile.errors import InputError
from goshfile.paths import data_home
from goshfile.provenance import dsse


def provenance_path(digest: str) -> Path:
    """The envelope file of the image with registry digest ``digest``."""
    algorithm, _, hexdigest = digest.partition(":")
    if algorithm != "sha256" or len(hexdigest) != 64:
        raise InputError(f"not an image digest: {digest!r}")
    return data_home() / "provenance" / f"{hexdigest}.dsse.json"


def statement_digest(payload: bytes) -> str:
    """The content string the ledger records for a provenance statement (its payload's sha256)."""
    return "sha256:" + hashlib.sha256(payload).hexdigest()


def save(digest: str, envelope: dsse.Envelope) -> Path:
    """Write ``envelope`` for ``digest`` atomically; return its path."""
    path = provenance_path(digest)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(envelope.to_json(), indent=2) + "\n")
    tmp.replace(path)
    return path


def load(digest: str) -> dsse.Envelope | None:
    """The envelope kept for ``digest``, or None."""
    path = provenance_path(digest)
    if not path.is_file():
        return None
    try:
        return dsse.Envelope.from_json(json.loads(path.read_text()))
    except ValueError:
        raise InputError(f"{path}: not JSON") from None

"""The goshfile spec: YAML text -> typed, validated model (see ``load_text``).

Attributes are loaded on first use, so that importing a light submodule
(``goshfile.spec.pins``, used by the frontend's option parsing) does not load the model and the YAML parser.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from goshfile.spec.loader import Loaded, load_document, load_text
    from goshfile.spec.model import Copy, Goshfile, Run, Step

_EXPORTS = {
    "Loaded": "goshfile.spec.loader",
    "load_document": "goshfile.spec.loader",
    "load_text": "goshfile.spec.loader",
    "Copy": "goshfile.spec.model",
    "Goshfile": "goshfile.spec.model",
    "Run": "goshfile.spec.model",
    "Step": "goshfile.spec.model",
}
__all__ = ["Copy", "Goshfile", "Loaded", "Run", "Step", "load_document", "load_text"]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'goshfile.spec' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)

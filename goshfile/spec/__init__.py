"""The goshfile spec: YAML text -> typed, validated model (see ``load_text``)."""

from goshfile.spec.loader import Loaded, load_document, load_text
from goshfile.spec.model import Copy, Goshfile, Run, Step

__all__ = ["Copy", "Goshfile", "Loaded", "Run", "Step", "load_document", "load_text"]

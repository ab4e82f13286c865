"""LLB in pure Python: immutable states and vertices, marshalled to BuildKit's wire format."""

from goshfile.llb.definition import marshal, op_digest, serialize, to_json
from goshfile.llb.state import State
from goshfile.llb.vertex import Chown, Metadata, MountKind, MountSpec, NetMode, Output, Platform, Sharing

__all__ = [
    "Chown",
    "Metadata",
    "MountKind",
    "MountSpec",
    "NetMode",
    "Output",
    "Platform",
    "Sharing",
    "State",
    "marshal",
    "op_digest",
    "serialize",
    "to_json",
]

"""Start-up settings of the frontend process, applied before anything heavy is imported.

Every build starts a fresh frontend container, so what the interpreter does
before the first gRPC call is paid on every build, cached or not:

the cyclic garbage collector is off while the frontend's modules are imported
(importing gRPC and protobuf and building the descriptors and the spec's records
allocates many long-lived objects; collections during that walk them again and
again), then the imported objects are frozen out of later collections and the
collector runs again.
"""

from __future__ import annotations

import gc


def before_imports() -> None:
    """Call first: the collector off."""
    gc.disable()


def after_imports() -> None:
    """Call once the frontend's modules are imported: freeze them out of collections, collect again."""
    gc.freeze()
    gc.enable()

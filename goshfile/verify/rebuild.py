"""Rebuild verification: rebuild an image from its recorded GOSH commit and compare contents.

The comparison uses goshfile-v2 records (type, mode, owner, size, content
digest, link target of every path), which do not depend on timestamps; when
the two differ, the first differing paths are named.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from goshfile import labels as names
from goshfile.errors import VerificationError
from goshfile.images.content_hash import GOSHFILE_V2, content_hash, goshfile_v2_records, image_layers
from goshfile.images.layer_store import DockerLayers
from goshfile.images.local import ImageArchives, ImageStore
from goshfile.images.tree import Tree
from goshfile.spec.pins import PIN_PREFIX

SHOWN = 10  # differing paths named in a verdict


def image_tree(image: str, layers: DockerLayers | None = None) -> Tree:
    """The merged filesystem of an image (local, or from its registry when the engine lacks it)."""
    return Tree.merge(image_layers(image, engine=layers).layers)


def records(tree: Tree) -> dict[bytes, bytes]:
    """goshfile-v2 records by path."""
    out: dict[bytes, bytes] = {}
    for record in goshfile_v2_records(tree).split(b"\x00")[1:]:
        if record:
            fields = record.split(b" ", 8)
            out[fields[8]] = b" ".join(fields[:8])
    return out


def differences(original: Tree, rebuilt: Tree) -> list[str]:
    """Every path whose record differs, in path order, with what differs."""
    a, b = records(original), records(rebuilt)
    out: list[str] = []
    for path in sorted(a.keys() | b.keys()):
        shown = "/" + path.decode("utf-8", "backslashreplace")
        if path not in b:
            out.append(f"{shown}: only in the image")
        elif path not in a:
            out.append(f"{shown}: only in the rebuild")
        elif a[path] != b[path]:
            out.append(f"{shown}: {a[path].decode()} != {b[path].decode()}")
    return out


@dataclass(frozen=True)
class Reproduced:
    """A rebuild that matched."""

    image: str
    rebuilt: str
    content_hash: str
    same_image_id: bool = False  # also byte-identical (timestamps included)


def verify_rebuild(
    image: str,
    rebuild: Callable[[], str],
    tree: Callable[[str], Tree] = image_tree,
    progress: Callable[[str], None] | None = None,
) -> Reproduced:
    """Rebuild with ``rebuild()`` (returns the rebuilt image's reference) and compare with ``image``."""
    say = progress or (lambda _message: None)
    say(f"reading the files of {image}")
    original = tree(image)
    rebuilt_ref = rebuild()
    say(f"reading the files of the rebuild {rebuilt_ref} and comparing")
    rebuilt = tree(rebuilt_ref)
    found = differences(original, rebuilt)
    if found:
        more = f" (and {len(found) - SHOWN} more)" if len(found) > SHOWN else ""
        raise VerificationError(
            f"{image} is not what its commit builds; differing paths: " + "; ".join(found[:SHOWN]) + more
        )
    return Reproduced(image, rebuilt_ref, content_hash(original, GOSHFILE_V2))


def rebuild_from_labels(
    image: str,
    labels: dict[str, str],
    store: ImageArchives,
    build_args: dict[str, str] | None = None,
    progress: Callable[[str], None] | None = None,
) -> str:
    """Rebuild ``image`` from its GOSH_ADDRESS at GOSH_COMMIT_HASH with no cache; return the rebuilt tag.

    The rebuild runs as ``goshfile build`` does (file times set to the epoch),
    with ``build_args`` when known (from the image's provenance); otherwise
    SOURCE_DATE_EPOCH is the commit's time, as it is by default when building from GOSH.
    """
    from goshfile.engine import BuildRequest, BuildxBuilder
    from goshfile.engine.pipeline import build_image
    from goshfile.engine.plan import plan_build

    url, commit = labels.get(names.GOSH_ADDRESS), labels.get(names.GOSH_COMMIT_HASH)
    if not url or not commit:
        raise VerificationError(f"{image}: no GOSH_ADDRESS and GOSH_COMMIT_HASH labels: nothing to rebuild from")
    tag = f"goshfile-rebuild/{uuid.uuid4().hex[:12]}:check"
    args = {k: v for k, v in (build_args or {}).items() if not k.startswith(PIN_PREFIX)}
    request = BuildRequest(
        context=Path("."),
        file=Path(labels.get(names.GOSH_GOSHFILE) or "goshfile.yaml"),
        tags=(tag,),
        build_args=args,
        labels={k: v for k, v in labels.items() if k == names.WALLET_PUBLIC and "wallet_public" not in args},
        no_cache=True,
        progress="quiet",
    )
    plan = plan_build(request, gosh_context=url, commit=commit)
    build_image(plan.request, BuildxBuilder(), store, {}, progress=progress)
    return tag


def verify_image_rebuild(
    image: str,
    labels: dict[str, str],
    store: ImageArchives,
    build_args: dict[str, str] | None = None,
    image_id: str | None = None,
    progress: Callable[[str], None] | None = None,
) -> Reproduced:
    """Rebuild ``image`` from its recorded commit, compare every path, then remove the rebuild's tag.

    ``image_id`` is the image's config digest (default: the local engine's image ID of ``image``);
    the rebuild is the same image bit for bit when its image ID is that.
    """
    rebuilt: list[str] = []

    def rebuild() -> str:
        rebuilt.append(rebuild_from_labels(image, labels, store, build_args, progress))
        return rebuilt[-1]

    local = store.get(image)
    keep = local.image_id if local else None  # a local image the rebuild may turn out to be
    image_id = image_id or keep
    try:
        result = verify_rebuild(image, rebuild, progress=progress)
        again = store.get(result.rebuilt)
        return replace(result, same_image_id=bool(image_id and again and again.image_id == image_id))
    finally:
        for tag in rebuilt:
            _untag(store, tag, keep)


def _untag(store: ImageStore, tag: str, keep: str | None) -> None:
    """Remove the rebuild's tag; when the rebuild is the very image checked, only if another name keeps it."""
    now = store.get(tag)
    if now is not None and now.image_id == keep and not set(now.tags) - {tag}:
        return  # removing the tag would remove the image that was checked: leave the name
    store.remove(tag)

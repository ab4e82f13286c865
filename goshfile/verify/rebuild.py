"""Rebuild verification: rebuild an image from its recorded GOSH commit and compare contents.

The comparison uses goshfile-v2 records (type, mode, owner, size, content
digest, link target of every path), which do not depend on timestamps; when
the two differ, the first differing paths are named.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from goshfile.errors import VerificationError
from goshfile.images.content_hash import GOSHFILE_V2, content_hash, goshfile_v2_records, image_layers
from goshfile.images.layer_store import DockerLayers
from goshfile.images.local import ImageStore
from goshfile.images.tree import Tree

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


def same_image(rebuilt_id: str | None, image_id: str | None, digests: Iterable[str] = ()) -> bool:
    """Whether the rebuild is the image itself, bit for bit: its engine ID names the same bytes.

    The engine's image ID is the config digest on the classic store and the manifest's digest
    on the containerd store. ``image_id`` is the original's engine ID, or its config digest
    when it is only in a registry; ``digests`` are its registry (manifest) digests. Equal
    digests mean equal bytes whichever object they name, so either match is the same image.
    """
    return bool(rebuilt_id) and rebuilt_id in {d for d in (image_id, *digests) if d}


def untag(store: ImageStore, tag: str, keep: str | None) -> None:
    """Remove the rebuild's tag; when the rebuild is the very image checked, only if another name keeps it."""
    now = store.get(tag)
    if now is not None and now.image_id == keep and not set(now.tags) - {tag}:
        return  # removing the tag would remove the image that was checked: leave the name
    store.remove(tag)

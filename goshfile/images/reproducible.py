"""Make a local image reproducible: set its own layers' timestamps to ``SOURCE_DATE_EPOCH``.

BuildKit's ``rewrite-timestamp`` exporter option does this inside the engine,
but Docker's classic image store (the default up to Docker 28 and the one
Debian's docker.io runs) ignores it, so two builds of the same inputs differ
in the modification times of the files their steps wrote, and so in every
digest. This module does the same rewrite after the build:

1. stream the image out of the engine (``docker save``);
2. for each layer above the base image's (``goshfile.base.layers`` says how
   many are the base's; those stay as they are, as BuildKit leaves them),
   set every time to the epoch (:func:`goshfile.images.timestamps.set_timestamps`;
   BuildKit's option only clamps later times, see there why that is not enough)
   into a temporary file;
3. if any layer changed, write the image config again with the new diff IDs,
   and stream a ``docker load`` archive of the config and the changed layers
   (layers below the first changed one are already in the engine);
4. move the tags to the new image and remove the old one.

The new image ID is the sha256 of a config that depends only on the build's
inputs, so two clean builds of the same goshfile, context, sources and base
image get the same image ID, and on the same engine the same pushed digest.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
import tarfile
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from goshfile import labels
from goshfile.errors import EngineError
from goshfile.images.layer_store import ChunkSource
from goshfile.images.local import ImageArchives, LocalImage
from goshfile.images.tarstream import LayerError, TarReader
from goshfile.images.timestamps import Rewrite, set_timestamps

_DIFF_IDS: Final = re.compile(rb'"diff_ids"\s*:\s*\[([^\]]*)\]')  # the array's items, as written

_MAX_JSON: Final = 16 << 20
_CHUNK: Final = 1 << 20

Progress = Callable[[str], None]


@dataclass(frozen=True)
class Rewritten:
    """The outcome of :func:`rewrite_timestamps`."""

    image_id: str  # the image now (the original when nothing needed to change)
    original_id: str
    epoch: int
    layers: int  # layers looked at (the image's own, above the base image's)
    rewritten: int  # of those, layers whose bytes changed
    times: int  # time fields set to the epoch

    @property
    def changed(self) -> bool:
        """True when a new image was made."""
        return self.image_id != self.original_id


def base_layer_count(image: LocalImage) -> int:
    """How many of ``image``'s layers are its base image's (0 when it does not say)."""
    try:
        count = int(image.labels.get(labels.BASE_LAYERS, "0"))
    except ValueError:
        count = 0
    return max(0, min(count, len(image.layers)))


def _read_layers(
    engine: ImageArchives, image: LocalImage, own: list[str], epoch: int, work: Path, progress: Progress | None
) -> tuple[dict[str, tuple[Path, Rewrite]], bytes]:
    """Stream ``docker save`` once: rewrite the wanted layers into ``work``, keep the config bytes."""
    wanted = set(own)
    config_hex = image.image_id.removeprefix("sha256:")
    config_names = {f"blobs/sha256/{config_hex}".encode(), f"{config_hex}.json".encode()}
    found: dict[str, tuple[Path, Rewrite]] = {}
    config = b""
    stream = ChunkSource(engine.save(image.image_id), None, 0)
    try:
        tar = TarReader(stream)
        for n, entry in enumerate(tar):
            name = entry.name.removeprefix(b"./")
            if not entry.is_regular():
                continue
            if name in config_names:
                config = tar.data() if entry.size <= _MAX_JSON else b""
                continue
            if name.startswith(b"blobs/sha256/"):  # Docker 25+: layers are blobs named by their diff ID
                if "sha256:" + name[13:].decode("ascii", "replace") not in wanted:
                    continue  # a base layer, the manifest or another blob: not ours to change
            elif not name.endswith(b"/layer.tar"):  # older engines: ID/layer.tar, matched by digest below
                continue
            path = work / f"layer-{n}.tar"
            with path.open("wb") as out:
                rewrite = set_timestamps(tar.source(), out.write, epoch)
            if rewrite.original_diff_id in wanted and rewrite.original_diff_id not in found:
                found[rewrite.original_diff_id] = (path, rewrite)
                if progress is not None:
                    progress(
                        f"layer {len(found)}/{len(wanted)} {rewrite.original_diff_id[:19]}: "
                        f"{rewrite.size / 1e6:.1f} MB, {rewrite.changed} time(s) set"
                    )
            else:
                path.unlink()
    finally:
        stream.close()
    missing = wanted - found.keys()
    if missing:
        raise LayerError(f"docker save of {image.image_id} lacks layer {sorted(missing)[0]}")
    if not config or "sha256:" + hashlib.sha256(config).hexdigest() != image.image_id:
        raise LayerError(f"docker save of {image.image_id} lacks the image's config")
    return found, config


def _new_config(config: bytes, old: list[str], new: list[str]) -> bytes:
    """``config`` with its ``rootfs.diff_ids`` (``old``) replaced by ``new`` and every other byte kept.

    Only the array changes, in place: re-serializing would give other bytes for the same JSON (Go's
    encoder writes ``>`` as ``\\u003e``, Python's as ``>``), and then an image that needed new times
    would differ from an identical one whose times were the epoch already, which is left as BuildKit
    wrote it. A config whose array cannot be found once, as written, is re-serialized instead.
    """
    data: dict[str, Any] = json.loads(config)
    rootfs = data.get("rootfs")
    if not isinstance(rootfs, dict) or rootfs.get("diff_ids") != old:
        raise LayerError("the image config's rootfs.diff_ids are not the engine's layers")
    rootfs["diff_ids"] = new
    found = list(_DIFF_IDS.finditer(config))
    if len(found) == 1:
        start, end = found[0].span(1)
        items = found[0][1]
        sep = b", " if b", " in items else b","
        out = config[:start] + sep.join(json.dumps(d).encode() for d in new) + config[end:]
        with contextlib.suppress(ValueError):
            if json.loads(out) == data:
                return out
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode()


def _load_archive(config: bytes, layers: list[Path | None]) -> Iterator[bytes]:
    """A ``docker load`` archive, streamed from the rewritten layer files (none is copied on disk).

    Layers given as None are in the engine already and are left out of the archive.
    """
    names = [f"{i}/layer.tar" for i in range(len(layers))]
    manifest = json.dumps([{"Config": "config.json", "RepoTags": None, "Layers": names}]).encode()
    members: list[tuple[str, bytes | Path]] = [("manifest.json", manifest), ("config.json", config)]
    members += [(name, file) for name, file in zip(names, layers, strict=True) if file is not None]
    for name, content in members:
        info = tarfile.TarInfo(name)
        info.size = content.stat().st_size if isinstance(content, Path) else len(content)
        info.mode = 0o644
        yield info.tobuf(tarfile.PAX_FORMAT)
        if isinstance(content, Path):
            with content.open("rb") as data:
                while chunk := data.read(_CHUNK):
                    yield chunk
        else:
            yield content
        yield bytes(-info.size % tarfile.BLOCKSIZE)
    yield bytes(2 * tarfile.BLOCKSIZE)


def rewrite_timestamps(
    engine: ImageArchives,
    ref: str,
    epoch: int,
    *,
    tags: Iterable[str] = (),
    progress: Progress | None = None,
) -> Rewritten:
    """Set the timestamps in image ``ref``'s own layers to ``epoch``; name the result ``tags``.

    Returns the original image unchanged when every time was the epoch already.
    """
    image = engine.get(ref)
    if image is None:
        raise EngineError(f"no image {ref} in the engine")
    base = base_layer_count(image)
    own = list(image.layers[base:])
    if not own:
        return Rewritten(image.image_id, image.image_id, epoch, 0, 0, 0)
    if progress is not None:
        unlabelled = "" if labels.BASE_LAYERS in image.labels else f" (no {labels.BASE_LAYERS} label: all are its own)"
        progress(f"setting file times in {len(own)} layer(s) of {image.image_id[:19]} to {epoch}{unlabelled}")
    try:
        return _rewrite(engine, image, base, epoch, tags, progress)
    except OSError as exc:  # the temporary folder: full, or not writable
        raise EngineError(f"cannot rewrite {ref}'s layers in {tempfile.gettempdir()} (set TMPDIR): {exc}") from None


def _rewrite(
    engine: ImageArchives, image: LocalImage, base: int, epoch: int, tags: Iterable[str], progress: Progress | None
) -> Rewritten:
    own = list(image.layers[base:])
    with tempfile.TemporaryDirectory(prefix="goshfile-rewrite-") as tmp:
        work = Path(tmp)
        found, config = _read_layers(engine, image, own, epoch, work, progress)
        new_ids = list(image.layers[:base]) + [found[d][1].diff_id for d in own]
        rewritten = sum(1 for d in own if found[d][1].changed)
        times = sum(found[d][1].changed for d in own)
        if new_ids == list(image.layers):
            for tag in tags:
                engine.tag(image.image_id, tag)
            return Rewritten(image.image_id, image.image_id, epoch, len(own), 0, 0)
        first = next(i for i, (a, b) in enumerate(zip(image.layers, new_ids, strict=True)) if a != b)
        files: list[Path | None] = [None] * len(new_ids)
        for i in range(first, len(new_ids)):
            files[i] = found[image.layers[i]][0]
        new_config = _new_config(config, list(image.layers), new_ids)
        new_id = engine.load(_load_archive(new_config, files))
    expected = "sha256:" + hashlib.sha256(new_config).hexdigest()
    if new_id != expected:
        raise EngineError(f"docker load gave image {new_id}, not the rewritten {expected}")
    for tag in tags:
        engine.tag(new_id, tag)
    left = engine.get(image.image_id)
    if left is not None and not left.tags:
        with contextlib.suppress(EngineError):  # in use by a container: it stays, untagged
            engine.remove(image.image_id)
    return Rewritten(new_id, image.image_id, epoch, len(own), rewritten, times)

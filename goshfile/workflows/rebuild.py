"""Verify an image by rebuilding it: rebuild from its recorded GOSH commit, compare, clean up.

The rebuild runs as ``goshfile build`` does (:mod:`goshfile.engine`); the comparison is
:func:`goshfile.verify.rebuild.verify_rebuild`.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

from goshfile import labels as names
from goshfile.engine import BuildRequest, BuildxBuilder
from goshfile.engine.buildx import Builder
from goshfile.engine.pipeline import build_image
from goshfile.engine.plan import plan_build
from goshfile.errors import VerificationError
from goshfile.images.local import ImageArchives
from goshfile.spec.pins import PIN_PREFIX
from goshfile.verify.rebuild import Reproduced, same_image, untag, verify_rebuild

Progress = Callable[[str], None]


def rebuild_from_labels(
    image: str,
    labels: dict[str, str],
    store: ImageArchives,
    build_args: dict[str, str] | None = None,
    progress: Progress | None = None,
    builder: Builder | None = None,
) -> str:
    """Rebuild ``image`` from its GOSH_ADDRESS at GOSH_COMMIT_HASH with no cache; return the rebuilt tag.

    The rebuild runs as ``goshfile build`` does (file times set to the epoch),
    with ``build_args`` when known (from the image's provenance); otherwise
    SOURCE_DATE_EPOCH is the commit's time, as it is by default when building from GOSH.
    ``builder`` (default: buildx, quiet) lets a caller show the build's own progress.
    """
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
    if progress is not None:
        progress(f"rebuilding {image} from {url} at {commit} (no cache)")
    plan = plan_build(request, gosh_context=url, commit=commit)
    build_image(plan.request, builder or BuildxBuilder(), store, {}, progress=progress)
    return tag


def verify_image_rebuild(
    image: str,
    labels: dict[str, str],
    store: ImageArchives,
    build_args: dict[str, str] | None = None,
    image_id: str | None = None,
    progress: Progress | None = None,
    digests: Sequence[str] = (),
) -> Reproduced:
    """Rebuild ``image`` from its recorded commit, compare every path, then remove the rebuild's tag.

    ``image_id`` is the image's engine ID or config digest (default: the local engine's image ID of
    ``image``) and ``digests`` its registry digests; the rebuild is the same image bit for bit when
    its image ID is one of them (:func:`goshfile.verify.rebuild.same_image`, either image store).
    ``progress`` hears each step of the rebuild (the build's own lines included) and the comparison.
    """
    rebuilt: list[str] = []

    def rebuild() -> str:
        rebuilt.append(rebuild_from_labels(image, labels, store, build_args, progress))
        if progress is not None:
            progress(f"comparing every path of {image} with the rebuild")
        return rebuilt[-1]

    local = store.get(image)
    keep = local.image_id if local else None  # a local image the rebuild may turn out to be
    image_id = image_id or keep
    try:
        result = verify_rebuild(image, rebuild, progress=progress)
        again = store.get(result.rebuilt)
        return replace(result, same_image_id=same_image(again.image_id if again else None, image_id, digests))
    finally:
        for tag in rebuilt:
            untag(store, tag, keep)

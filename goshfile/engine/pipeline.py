"""One build as ``goshfile build`` runs it: build, make reproducible, push.

1. choose ``SOURCE_DATE_EPOCH`` (:mod:`goshfile.engine.epoch`) and pass it as a
   build arg, so the image config's and history's times are the epoch;
2. build with the :class:`~goshfile.engine.buildx.Builder` into the engine's
   image store (never pushing from there: the engine's image is not final yet);
3. set the file times in the image's own layers to the epoch
   (:func:`goshfile.images.reproducible.rewrite_timestamps`) on the classic image
   store; on the containerd image store BuildKit's own ``rewrite-timestamp``
   exporter option does it in the build (it clamps times after the epoch; see
   docs/reproducible.md), and the engine's image ID is the manifest digest;
4. push every tag with the engine and report the pushed digest.

Several platforms (``--platform a,b``) make an image index, which only the
containerd image store can hold: on the classic store the build is refused
before it starts, naming the engine that can.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace

from goshfile.engine.buildx import Builder, BuildRequest
from goshfile.engine.epoch import NAME, Epoch, choose_epoch
from goshfile.errors import EngineError, InputError
from goshfile.images.local import ImageArchives
from goshfile.images.reproducible import Rewritten, rewrite_timestamps

Progress = Callable[[str], None]


@dataclass(frozen=True)
class Built:
    """A finished build."""

    image_id: str
    epoch: Epoch
    request: BuildRequest  # what was built, its SOURCE_DATE_EPOCH build arg included
    rewritten: Rewritten | None = None  # None when the rewrite was turned off
    digest: str | None = None  # the pushed manifest digest (with push)


def with_epoch(request: BuildRequest, environ: Mapping[str, str]) -> tuple[BuildRequest, Epoch]:
    """``request`` with its ``SOURCE_DATE_EPOCH`` build arg set, and where the value came from."""
    epoch = choose_epoch(request.context, request.build_args, environ)
    return replace(request, build_args={**request.build_args, NAME: str(epoch.value)}), epoch


def build_image(
    request: BuildRequest,
    builder: Builder,
    images: ImageArchives,
    environ: Mapping[str, str],
    *,
    rewrite: bool = True,
    progress: Progress | None = None,
) -> Built:
    """Build ``request`` reproducibly (see the module docstring); push its tags when it asks to."""
    if request.push and not request.tags:
        raise InputError("--push needs a name to push to: add -t REGISTRY/NAME[:TAG]")
    request, epoch = with_epoch(request, environ)
    if progress is not None:
        progress(f"{NAME}={epoch.value} ({epoch.origin})")
    containerd = images.containerd_store()
    if len(request.platforms) > 1 and not containerd:
        raise EngineError(
            f"--platform {request.platform} makes an image index, which this engine's classic image store "
            "cannot hold: build on an engine with the containerd image store "
            '(Docker 28 in a container: eval "$(scripts/current-engine.sh env)")'
        )
    if request.buildkit_provenance and not containerd:
        raise EngineError(
            "BuildKit's provenance attestation needs an engine with the containerd image store "
            '(Docker 28 in a container: eval "$(scripts/current-engine.sh env)")'
        )
    if containerd and rewrite:
        # docker save/load there speak manifests, not configs: BuildKit rewrites in the build instead
        request = replace(request, rewrite_timestamp=True)
        if progress is not None:
            progress("the engine keeps images in the containerd image store: BuildKit sets the file times")
    result = builder.build(replace(request, push=False))
    if not result.image_id:
        raise EngineError("the engine did not report the built image's ID")
    image_id, rewritten = result.image_id, None
    if containerd:
        rewrite = False
        image_id = result.digest or image_id  # the engine names the image by its manifest (or index) digest
    if rewrite:
        rewritten = rewrite_timestamps(images, result.image_id, epoch.value, tags=request.tags, progress=progress)
        image_id = rewritten.image_id
    digest = None
    if request.push:
        for tag in request.tags:
            if progress is not None:
                progress(f"pushing {tag}")
            pushed = images.push(tag, progress)
            digest = digest or pushed
    return Built(image_id, epoch, request, rewritten, digest)

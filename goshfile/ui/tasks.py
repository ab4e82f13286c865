"""The dashboard's long jobs: rebuild-and-compare (``verify --rebuild``) and content hashes, with progress.

The rebuild is the library's (:func:`goshfile.workflows.rebuild.rebuild_from_labels`
from the image's GOSH commit, then :func:`goshfile.verify.rebuild.differences`), run
with a builder that streams BuildKit's plain progress (step names, layer work) line by
line to the page.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from goshfile.engine.buildx import BuildRequest, BuildResult, BuildxBuilder
from goshfile.images.content_hash import ALGORITHMS, GOSHFILE_V2, content_hash, image_layers
from goshfile.images.local import ImageArchives
from goshfile.images.tree import Tree
from goshfile.ui.evidence import Assessment
from goshfile.ui.jobs import Outcome, Progress
from goshfile.verify.rebuild import SHOWN, differences, same_image, untag
from goshfile.workflows.rebuild import rebuild_from_labels

REPRODUCED = "reproduced bit for bit"


class StreamingBuildx(BuildxBuilder):
    """``docker buildx build --progress plain`` with each progress line handed to ``progress``."""

    def __init__(self, progress: Progress, docker: str = "docker") -> None:
        super().__init__(docker, relay=lambda line: progress(line.decode(errors="replace")))

    def build(self, request: BuildRequest) -> BuildResult:
        return super().build(replace(request, progress="plain"))


def byte_progress(progress: Progress, step: int = 10) -> Callable[[int, int], None]:
    """A ``(done, total)`` byte callback that reports every ``step`` percent as a line."""
    shown = [-1]

    def report(done: int, total: int) -> None:
        percent = 100 if total <= 0 else min(100, done * 100 // total)
        if percent >= shown[0] + step or (percent == 100 and shown[0] != 100):
            shown[0] = percent
            progress(f"read {done / 1e6:.1f} of {total / 1e6:.1f} MB of layers ({percent}%)")

    return report


def merged_tree(image: str, progress: Progress) -> Tree:
    """The merged filesystem of ``image`` (local, else from its registry), reporting the bytes read."""
    return Tree.merge(image_layers(image, progress=byte_progress(progress)).layers)


def rebuild(image: Assessment, store: ImageArchives, progress: Progress) -> str:
    """Rebuild ``image`` from its GOSH_ADDRESS at GOSH_COMMIT_HASH with no cache; return the rebuilt tag."""
    builder = StreamingBuildx(progress)
    return rebuild_from_labels(image.name, image.labels, store, image.build_args, progress=progress, builder=builder)


def validate(image: Assessment, store: ImageArchives, progress: Progress) -> Outcome:
    """Rebuild ``image`` from its commit and compare every path; the rebuild's tag is removed again."""
    progress(f"reading {image.name}")
    original = merged_tree(image.name, progress)
    local = store.get(image.name)
    keep = local.image_id if local else None
    tag = rebuild(image, store, progress)
    try:
        progress(f"reading the rebuild {tag}")
        rebuilt = merged_tree(tag, progress)
        again = store.get(tag)
        rebuilt_id = again.image_id if again else None
        same_id = same_image(rebuilt_id, image.image_id, image.digests)
    finally:
        untag(store, tag, keep)
    found = differences(original, rebuilt)
    if found:
        more = (f"(and {len(found) - SHOWN} more)",) if len(found) > SHOWN else ()
        return Outcome(f"not reproduced: {len(found)} differing path(s)", (*found[:SHOWN], *more), ok=False)
    digest = content_hash(original, GOSHFILE_V2)
    if same_id:
        return Outcome(REPRODUCED, (f"the same image ID {rebuilt_id}", f"content {digest}"))
    return Outcome("reproduced: every file and mode (the image IDs differ)", (f"content {digest}",))


def hashes(image: str, progress: Progress, save: Callable[[list[str]], None]) -> Outcome:
    """Compute every content hash of ``image`` from one read of its layers; hand them to ``save``."""
    progress(f"reading the layers of {image}")
    tree = merged_tree(image, progress)
    found = []
    for algorithm in ALGORITHMS:
        progress(f"hashing with {algorithm}")
        found.append(content_hash(tree, algorithm))
    save(found)
    return Outcome("content hashes computed", tuple(f"{a}: {d}" for a, d in zip(ALGORITHMS, found, strict=True)))

"""``goshfile image-hash``: the content hash of an image's filesystem (local, or from its registry)."""

from __future__ import annotations

import json
import sys
import time
from typing import Any, TextIO

import click

from goshfile.cli.render import error_json
from goshfile.errors import GoshfileError
from goshfile.images.content_hash import ALGORITHMS, DEFAULT_ALGORITHM, ImageHash, image_hash
from goshfile.images.layer_store import SOURCES


def _mb(n: int) -> str:
    return f"{n / 1e6:.1f} MB"


class _Progress:
    """Progress on stderr: click's bar on a terminal, a line per tenth otherwise."""

    def __init__(self, label: str, stream: TextIO) -> None:
        self._label = label
        self._stream = stream
        self._tty = stream.isatty()
        self._bar: Any = None
        self._shown = 0
        self._tenth = -1
        self._last = 0.0

    def __call__(self, done: int, total: int) -> None:
        if self._tty:
            if self._bar is None:
                self._bar = click.progressbar(
                    length=max(total, 1), label=self._label, file=self._stream, show_percent=True, show_eta=True
                )
                self._bar.__enter__()
            if done > self._shown:
                self._bar.update(done - self._shown)
                self._shown = done
            return
        tenth = done * 10 // total if total else 10
        now = time.monotonic()
        if tenth > self._tenth and (tenth == 10 or now - self._last >= 0.5):
            self._tenth, self._last = tenth, now
            click.echo(f"{self._label}: {_mb(done)} of {_mb(total)} ({tenth * 10}%)", file=self._stream)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.__exit__(None, None, None)


def hash_json(
    image: str, algorithm: str, result: ImageHash | None, error: GoshfileError | None = None
) -> dict[str, Any]:
    """The ``--json`` object (README "CLI contract"): the same keys whatever the outcome."""
    return {
        "image": image,
        "image_id": result.image_id if result else None,
        "algorithm": algorithm,
        "hash": result.digest if result else None,
        "source": result.source if result else None,
        "files": result.files if result else None,
        "bytes": result.bytes if result else None,
        "error": error_json(error) if error else None,
    }


@click.command("image-hash")
@click.argument("image")
@click.option(
    "--algorithm",
    type=click.Choice(ALGORITHMS),
    default=DEFAULT_ALGORITHM,
    show_default=True,
    help="goshfile-v2: every entry with type, mode, owner, content, link target; "
    "gosh-v1: GOSH's Docker extension (regular files' contents only, as a container shows them).",
)
@click.option(
    "--source",
    type=click.Choice(SOURCES),
    default="auto",
    show_default=True,
    help="Where to read the layers: the engine's overlay2 storage (local engine, root), "
    "`docker save`, the image's registry (every digest checked, nothing pulled), "
    "or auto: storage, else save, else the registry when the engine has no such image.",
)
@click.option("--json", "as_json", is_flag=True, help="Print a JSON object (hash, image ID, algorithm, counts).")
@click.option(
    "--progress/--no-progress",
    default=None,
    help="Show progress on stderr (default: when stderr is a terminal).",
)
def image_hash_cmd(image: str, algorithm: str, source: str, as_json: bool, progress: bool | None) -> None:
    """Hash the filesystem of IMAGE, independent of timestamps, compression and registry.

    \b
    Prints sha256:<hex>. The layers are read from the engine, or streamed from
    the image's registry when the engine does not have it, and merged
    (whiteouts applied) without creating a container or unpacking anything;
    docs/image-hash.md defines both algorithms. gosh-v1 equals
      docker export $(docker create IMAGE /bin/sh) | tar -x --exclude=etc/mtab --exclude=proc --exclude=dev
      find . -type f -exec sha256sum -b {} + | LC_ALL=C sort | sha256sum
    """
    show = sys.stderr.isatty() if progress is None else progress
    reporter = _Progress(f"hashing {image}", sys.stderr) if show else None
    try:
        result = image_hash(image, algorithm, source=source, progress=reporter)
    except GoshfileError as exc:
        if as_json:  # the same keys, null where unknown, and why
            click.echo(json.dumps(hash_json(image, algorithm, None, exc), indent=2, sort_keys=True))
        raise
    finally:
        if reporter is not None:
            reporter.close()
    if as_json:
        click.echo(json.dumps(hash_json(image, algorithm, result), indent=2, sort_keys=True))
    else:
        click.echo(result.digest)

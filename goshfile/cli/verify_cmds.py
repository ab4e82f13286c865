"""``goshfile verify``: a thin skin over :mod:`goshfile.workflows.verify` (options in, report rendered out)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from goshfile.cli.options import network_option
from goshfile.errors import EngineError
from goshfile.images.local import DockerImageStore, ImageArchives
from goshfile.images.registry import RegistryClient
from goshfile.ledger import open_ledger
from goshfile.verify.report import PIECES, VerifyReport
from goshfile.workflows.verify import (
    REQUIRABLE,
    NoLocalImages,
    Sources,
    VerifyOptions,
    rebuild_check,
    select_images,
    verify_image,
)


def _content_hashes(image: str) -> list[str]:
    """The image's goshfile-v2 and gosh-v1 hashes, from one read of its layers."""
    # here: only an image whose digest has no proof needs its layers read and hashed
    from goshfile.images.content_hash import GOSH_V1, GOSHFILE_V2, content_hash
    from goshfile.verify.rebuild import image_tree

    tree = image_tree(image)
    return [content_hash(tree, algorithm) for algorithm in (GOSHFILE_V2, GOSH_V1)]


def render_text(report: VerifyReport) -> list[str]:
    """The report as lines of text: the verdict, then one line per piece of evidence."""
    if report.verified:
        trust = "a pinned signer" if report.trust == "pinned" else "self-declared by the image's label"
        head = f"verified: {report.image} signed by {report.signer} ({trust})"
    elif report.error is not None:
        head = f"could not check: {report.image}: {report.reason}"
    else:
        head = f"NOT verified: {report.image}: {report.reason}"
    lines = [head]
    for name in PIECES:
        piece = report.piece(name)
        if piece.status == "not-checked":
            continue
        extra = ""
        if name == "ledger" and piece.status == "verified":
            d = piece.details
            extra = f" proof {d['address']} of {d['content']}, recorded {d['recorded_at']}"
        elif name == "registry" and piece.status == "verified":
            extra = f" {piece.details['where']}"
        elif name == "rebuild" and piece.status == "verified":
            lines.append(f"  rebuild: {piece.reason}; content {piece.details['content_hash']}")
            continue
        lines.append(f"  {name}: {piece.status}{extra}" + (f" ({piece.reason})" if piece.reason else ""))
        if name == "provenance" and piece.status == "verified":
            lines += [f"    {line}" for line in piece.details.get("summary", [])]
    return lines


def _show(reports: list[VerifyReport], as_json: bool, *, done: bool = True, worst: int | None = None) -> None:
    """Print ``reports``; when ``done``, exit with the worst status."""
    for report in reports:
        if as_json:
            out: dict[str, Any] = report.to_json()
            click.echo(json.dumps(out, sort_keys=True))
        else:
            for line in render_text(report):
                click.echo(line)
    if done:
        code = worst if worst is not None else max((r.exit_code for r in reports), default=0)
        raise click.exceptions.Exit(code)


@click.command()
@click.argument("images", nargs=-1, metavar="IMAGE...")
@network_option
@click.option("--all", "all_images", is_flag=True, help="Verify the tagged images of the local engine.")
@click.option("--signed", is_flag=True, help="With --all: only images with a WALLET_PUBLIC label.")
@click.option(
    "--label", "label_filters", multiple=True, metavar="KEY[=VALUE]", help="With --all: only images with this label."
)
@click.option(
    "--signer",
    "signers",
    multiple=True,
    metavar="PUBLIC",
    help="Trust only this key (64 hex, or a file with it or an ed25519 PEM public key); repeatable. "
    "Default: the trusted-signers file, else the image's own WALLET_PUBLIC label (self-declared).",
)
@click.option(
    "--require",
    "required",
    multiple=True,
    type=click.Choice(REQUIRABLE),
    help="Fail unless this piece of evidence is verified (repeatable).",
)
@click.option(
    "--kit",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Verify from a kit written by `goshfile save` (no registry, node or network).",
)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per image on stdout (the same keys always).")
@click.option("--provenance", is_flag=True, help="Require the signed provenance and show it (as --require provenance).")
@click.option(
    "--rebuild",
    is_flag=True,
    help="Also rebuild from GOSH_ADDRESS at GOSH_COMMIT_HASH with no cache (with the provenance's build args) "
    "and compare every file, and the image IDs.",
)
@click.option(
    "--content-hash/--no-content-hash",
    default=True,
    show_default=True,
    help="When no proof covers the registry digest, try the image's content hashes (goshfile-v2, gosh-v1).",
)
def verify(
    images: tuple[str, ...],
    network: str | None,
    all_images: bool,
    signed: bool,
    label_filters: tuple[str, ...],
    signers: tuple[str, ...],
    required: tuple[str, ...],
    kit: Path | None,
    as_json: bool,
    provenance: bool,
    rebuild: bool,
    content_hash: bool,
) -> None:
    """Verify IMAGE from what travels with it: label, ledger proof, registry signature, provenance.

    \b
    Works on any machine: the image is read from the local engine, else from
    its registry; signatures (goshfile's or `cosign sign --key`'s) and the
    SLSA provenance attestation are read from the registry, proofs from the
    ledger (-n, default: the local node). Each piece is reported as verified,
    absent or invalid with its reason. Verified when a signature by an
    expected key holds and nothing is invalid.
    \b
      goshfile verify 127.0.0.1:5000/app:1
      goshfile verify --signer "$WALLET_PUBLIC" --require registry --json 127.0.0.1:5000/app:1
      goshfile verify --all --signed
    \b
    Exit status: 0 verified, 1 not verified, 2 bad input, 3 could not check.
    """
    options = VerifyOptions(
        signers=signers,
        require=frozenset(required) | ({"provenance"} if provenance else set()),
        content_hash=content_hash,
        rebuild=rebuild,
        use_cache=kit is None,
    )
    if kit is not None:
        if all_images or rebuild:
            raise click.UsageError("--kit verifies the kit's image: no --all, no --rebuild")
        from goshfile.workflows.kit import KitLedger, KitRegistry  # here: only --kit reads a kit (tarfile)

        registry = KitRegistry(kit)
        sources = Sources(NoLocalImages(), registry, KitLedger(registry))
        _show([verify_image(ref, options, sources) for ref in images or (registry.image,)], as_json)
    engine: ImageArchives | None = None
    try:
        engine = DockerImageStore()
    except EngineError:
        if all_images or rebuild:
            raise  # those need the local engine
    store = engine or NoLocalImages()  # no engine here: images are read from their registries
    refs = list(images)
    if all_images:
        refs += [ref for ref in select_images(store, signed, label_filters) if ref not in refs]
    elif signed or label_filters:
        raise click.UsageError("--signed and --label filter --all")
    if not refs:
        if all_images:
            click.echo("goshfile: no local image matches", err=True)
            return
        raise click.UsageError("name an IMAGE, or use --all")
    progress: Callable[[str], None] = lambda message: click.echo(f"goshfile: {message}", err=True)  # noqa: E731
    ledger = open_ledger(network)
    reports: list[VerifyReport] = []
    try:
        sources = Sources(
            store,
            RegistryClient(),
            ledger,
            content_hashes=_content_hashes,
            rebuild=rebuild_check(engine) if engine is not None else None,
            progress=progress if rebuild else None,
        )
        for ref in refs:
            reports.append(verify_image(ref, options, sources))
            _show(reports[-1:], as_json, done=False)
    finally:
        ledger.close()
    _show([], as_json, worst=max((r.exit_code for r in reports), default=0))

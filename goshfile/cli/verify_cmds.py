"""``goshfile verify``: who vouches for an image, what it was built from, and whether its commit rebuilds it."""

from __future__ import annotations

import json
from typing import Any

import click

from goshfile.cli.ledger_cmds import network_option
from goshfile.errors import GoshfileError, InputError, VerificationError
from goshfile.images.local import DockerImageStore
from goshfile.images.registry import RegistryClient
from goshfile.ledger import open_ledger
from goshfile.verify.provenance import verify_provenance
from goshfile.verify.signature import find_subject, verify_subject
from goshfile.workflows.rebuild import verify_image_rebuild


def _content_hash(image: str) -> list[str]:
    """The image's goshfile-v2 and gosh-v1 hashes, from one read of its layers."""
    from goshfile.images.content_hash import GOSH_V1, GOSHFILE_V2, content_hash
    from goshfile.verify.rebuild import image_tree

    tree = image_tree(image)
    return [content_hash(tree, algorithm) for algorithm in (GOSHFILE_V2, GOSH_V1)]


def _verify_one(ref: str, network: str | None, provenance: bool, rebuild: bool, hashes: bool) -> dict[str, Any]:
    """Every requested check of one image; ``verified`` only when all of them pass."""
    store = DockerImageStore()
    subject = find_subject(ref, store, RegistryClient())
    ledger = open_ledger(network)
    result: dict[str, Any] = {"image": ref, "verified": False}
    reasons: list[str] = []
    recorded_args: dict[str, str] | None = None
    try:
        computed: list[str] = []

        def content_hashes(image: str) -> list[str]:
            if not computed and hashes:
                computed.extend(_content_hash(image))
            return computed

        try:
            verdict = verify_subject(subject, ledger, content_hashes)
            result.update(verdict.to_json())
            if provenance:
                if verdict.kind != "registry digest":
                    raise VerificationError(f"{ref}: provenance is kept by registry digest, and this image has none")
                checked = verify_provenance(verdict.content, verdict.signer, ledger)
                result["provenance"] = checked.statement
                result["provenance_summary"] = checked.summary()
                recorded_args = checked.build_args()
        except VerificationError as exc:
            reasons.append(str(exc))
        if rebuild:
            try:
                reproduced = verify_image_rebuild(ref, subject.labels, store, recorded_args, subject.image_id or None)
                result["rebuild"] = {"content_hash": reproduced.content_hash, "same_image_id": reproduced.same_image_id}
            except VerificationError as exc:
                reasons.append(str(exc))
    finally:
        ledger.close()
    result["verified"] = not reasons
    if reasons:
        result["reason"] = "; ".join(reasons)
    return result


@click.command()
@click.argument("images", nargs=-1, metavar="IMAGE...")
@network_option
@click.option("--all", "all_images", is_flag=True, help="Verify every tagged image in the local engine.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per image on stdout.")
@click.option("--provenance", is_flag=True, help="Also check the signed build provenance and show it.")
@click.option(
    "--rebuild",
    is_flag=True,
    help="Also rebuild from GOSH_ADDRESS at GOSH_COMMIT_HASH with no cache (with the build args of the "
    "provenance, with --provenance) and compare every file, and the image IDs.",
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
    as_json: bool,
    provenance: bool,
    rebuild: bool,
    content_hash: bool,
) -> None:
    """Verify who vouches for IMAGE: its WALLET_PUBLIC label, its digest and a proof in the ledger.

    \b
    The image is read from the local engine, or from its registry when it is
    not there. It is verified when the ledger (-n, default: the local node)
    holds a valid proof that the labelled key signed its registry digest (as
    `goshfile sign` records) or its content hash (as GOSH's Docker extension
    signed). Exit status 0 when every image verifies, 1 otherwise.
    """
    refs = list(images)
    if all_images:
        refs += [tag for image in DockerImageStore().all() for tag in image.tags if tag not in refs]
    if not refs:
        raise click.UsageError("name an IMAGE, or use --all")
    failed = 0
    for ref in refs:
        try:
            result = _verify_one(ref, network, provenance, rebuild, content_hash)
        except (VerificationError, InputError) as exc:
            result = {"image": ref, "verified": False, "reason": str(exc)}
        except GoshfileError as exc:
            if len(refs) == 1:
                raise
            result = {"image": ref, "verified": False, "reason": f"could not be checked: {exc}"}
        failed += not result["verified"]
        if as_json:
            click.echo(json.dumps(result, sort_keys=True))
        elif result["verified"]:
            click.echo(
                f"verified: {ref} signed by {result['signer']} ({result['kind']} {result['content']}, "
                f"proof {result['address']}, recorded {result['recorded_at']})"
            )
            for line in result.get("provenance_summary", []):
                click.echo(f"  provenance: {line}")
            if "rebuild" in result:
                same = (
                    "bit for bit: the same image ID"
                    if result["rebuild"]["same_image_id"]
                    else "every file and mode; the image IDs differ"
                )
                click.echo(f"  rebuild: reproduced {same}; content {result['rebuild']['content_hash']}")
        else:
            click.echo(f"NOT verified: {result['reason']}")
    if failed:
        raise click.exceptions.Exit(1)


def register(group: click.Group) -> None:
    """Add this command to the CLI."""
    group.add_command(verify)

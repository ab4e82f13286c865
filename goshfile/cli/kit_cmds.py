"""``goshfile save``: an image with its signatures, attestations and ledger proofs, for checking offline."""

from __future__ import annotations

from pathlib import Path

import click

from goshfile import labels as names
from goshfile.cli.options import network_option
from goshfile.images import reference
from goshfile.images.registry import RegistryClient
from goshfile.ledger import open_ledger
from goshfile.verify.trust import signer_argument
from goshfile.workflows.kit import save_kit


@click.command()
@click.argument("image", metavar="IMAGE")
@click.option("-o", "--out", type=click.Path(dir_okay=False, path_type=Path), required=True, help="The kit to write.")
@network_option
@click.option("--signer", "signers", multiple=True, metavar="PUBLIC", help="Also take this key's proofs (repeatable).")
def save(image: str, out: Path, network: str | None, signers: tuple[str, ...]) -> None:
    """Write IMAGE (from its registry), its signatures, attestations and ledger proofs into one OCI layout tar.

    \b
      goshfile save 127.0.0.1:5000/app:1 -o app.kit.tar
      goshfile verify --kit app.kit.tar          # on a machine with no network at all
    The proofs are those of the image's WALLET_PUBLIC key (and --signer keys) in the ledger (-n).
    """
    client = RegistryClient()
    labels = client.inspect(reference.parse(image)).labels
    keys = [signer_argument(s).public for s in signers]
    label = labels.get(names.WALLET_PUBLIC, "").strip().lower()
    keys += [label] if label and label not in keys else []
    ledger = open_ledger(network)
    try:
        kit = save_kit(image, out, client, ledger, keys)
    finally:
        ledger.close()
    click.echo(
        f"goshfile: wrote {kit.path}: {kit.image}@{kit.digest}, {kit.manifests} manifests, {kit.blobs} blobs, "
        f"{kit.proofs} ledger proofs",
        err=True,
    )

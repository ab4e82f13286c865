"""``goshfile build``: build a goshfile with docker buildx and the goshfile frontend."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import click

from goshfile.cli.ledger_cmds import key_file_option, network_option
from goshfile.cli.spec_cmds import BUILD_ARG_OPTION, _build_args
from goshfile.engine import BuildRequest, BuildxBuilder
from goshfile.engine.buildx import FRONTEND_IMAGE
from goshfile.engine.epoch import NAME as EPOCH_ARG
from goshfile.engine.epoch import parse_epoch
from goshfile.engine.pipeline import build_image
from goshfile.engine.plan import DEFAULT_FILE, plan_build
from goshfile.engine.publish import publish_and_verify
from goshfile.errors import EngineError
from goshfile.images.local import DockerImageStore
from goshfile.keys import load_signer
from goshfile.keys.sources import refuse_secret


def _pairs(values: tuple[str, ...], option: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in values:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"{item!r} is not KEY=VALUE", param_hint=option)
        out[key] = value
    return out


@click.command()
@click.argument("context", default=".", metavar="CONTEXT")
@click.option(
    "-f",
    "--file",
    "file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The goshfile (default: CONTEXT/goshfile.yaml; for a gosh:// CONTEXT, a path in the repository).",
)
@click.option("--commit", metavar="SHA", help="With a gosh:// CONTEXT: the commit to build (40 hex).")
@click.option(
    "--allow-ref",
    is_flag=True,
    help="Let branches and tags stand for commits (in --commit and in gosh sources); each is resolved and recorded.",
)
@click.option("-t", "--tag", "tags", multiple=True, metavar="IMAGE", help="Name the image (repeatable).")
@BUILD_ARG_OPTION
@click.option("--label", "labels", multiple=True, metavar="KEY=VALUE", help="Add an image label.")
@click.option(
    "--build-context",
    "contexts",
    multiple=True,
    metavar="NAME=DIR",
    help="A named context for 'from:' in copy steps and bind mounts.",
)
@click.option("--wallet-public", metavar="HEX", help="Record the signer's public key as the WALLET_PUBLIC label.")
@click.option("--push", is_flag=True, help="Push the image to its registry.")
@click.option(
    "--sign",
    is_flag=True,
    help="With --push: sign the pushed digest and the build's provenance with the wallet key "
    "(WALLET_SECRET, --key-file, GOSH's config or the default key file), record both in the ledger, then verify.",
)
@network_option
@key_file_option
@click.option(
    "--source-date-epoch",
    metavar="SECONDS",
    help="The time every timestamp of the image is set to (default: the build arg or environment variable "
    "SOURCE_DATE_EPOCH, else the GOSH commit's time, else the time of the last git commit of the context, "
    "else its newest file's time).",
)
@click.option(
    "--rewrite-timestamp/--no-rewrite-timestamp",
    default=True,
    show_default=True,
    help="Set the file times in the image's own layers to SOURCE_DATE_EPOCH, so that the same inputs "
    "give the same image ID and pushed digest.",
)
@click.option("--no-cache", is_flag=True, help="Run every step again.")
@click.option("--platform", metavar="OS/ARCH", help="Target platform (default: the engine's).")
@click.option("--progress", default="auto", show_default=True, type=click.Choice(["auto", "plain", "tty", "quiet"]))
@click.option("--frontend-image", default=FRONTEND_IMAGE, show_default=True, help="The frontend image to build with.")
def build(
    context: str,
    file: Path | None,
    commit: str | None,
    allow_ref: bool,
    tags: tuple[str, ...],
    build_args: tuple[str, ...],
    labels: tuple[str, ...],
    contexts: tuple[str, ...],
    wallet_public: str | None,
    push: bool,
    sign: bool,
    network: str | None,
    key_file: Path | None,
    source_date_epoch: str | None,
    rewrite_timestamp: bool,
    no_cache: bool,
    platform: str | None,
    progress: str,
    frontend_image: str,
) -> None:
    """Build an image from a goshfile with docker buildx and the goshfile frontend.

    \b
    The same as
      docker buildx build -f CONTEXT/goshfile.yaml -t IMAGE CONTEXT
    for a goshfile whose first line is `# syntax=teamgosh/goshfile`, but works
    without that line too, and fetches and verifies the goshfile's gosh://
    sources first (run steps never see the network), and makes the image
    reproducible: SOURCE_DATE_EPOCH sets the config's times and, after the
    build, the file times in the image's own layers are set to it, so the
    same goshfile, context, sources and base image give the same image ID (and,
    on the same engine, the same pushed digest). Prints the image ID (and the
    pushed digest with --push).

    \b
    Build straight from a GOSH repository at a commit:
      goshfile build gosh://0:<64 hex>/dao/repo --commit SHA [-f path/in/repo.yaml] -t IMAGE
    The image is labelled GOSH_ADDRESS, GOSH_COMMIT_HASH, gosh.address,
    gosh.commit and gosh.image.dockerfile.
    """
    refuse_secret(wallet_public, "--wallet-public", key_file=key_file)  # would become a label anyone reads
    signer = None
    if sign:
        if not push or not tags:
            raise click.UsageError("--sign signs the pushed digest: use it with --push and -t IMAGE")
        signer = load_signer(key_file=key_file)
        if wallet_public and wallet_public.lower().removeprefix("0x") != signer.public_hex:
            raise click.BadParameter("is not the signing key's public key", param_hint="--wallet-public")
        wallet_public = signer.public_hex
    from_gosh = context.startswith("gosh:")
    if commit and not from_gosh:
        raise click.BadParameter("--commit goes with a gosh:// CONTEXT", param_hint="--commit")
    args = _build_args(build_args)
    if source_date_epoch is not None:
        args[EPOCH_ARG] = str(parse_epoch(source_date_epoch, "--source-date-epoch"))
    if wallet_public:
        args["wallet_public"] = wallet_public
    local = Path(context)
    request = BuildRequest(
        context=local,
        file=file or (Path(DEFAULT_FILE) if from_gosh else local / DEFAULT_FILE),
        tags=tags,
        build_args=args,
        labels=_pairs(labels, "--label"),
        build_contexts=_pairs(contexts, "--build-context"),
        push=push,
        no_cache=no_cache,
        platform=platform,
        frontend_image=frontend_image,
        progress=progress,
    )
    plan = plan_build(request, gosh_context=context if from_gosh else None, commit=commit, allow_refs=allow_ref)
    for source in ([plan.context_source] if plan.context_source else []) + plan.sources:
        if source.revision != source.commit:
            click.echo(f"goshfile: {source.url} {source.revision} is commit {source.commit}", err=True)
    started = datetime.now(UTC)

    def say(message: str) -> None:
        if progress != "quiet":
            click.echo(f"goshfile: {message}", err=True)

    built = build_image(
        plan.request, BuildxBuilder(), DockerImageStore(), os.environ, rewrite=rewrite_timestamp, progress=say
    )
    if built.rewritten is not None and built.rewritten.changed:
        say(f"file times set: {built.rewritten.original_id} became {built.image_id}")
    click.echo(built.image_id)
    if built.digest:
        click.echo(built.digest)
    if signer is not None:
        if not built.digest:
            raise EngineError("the engine did not report the pushed digest; nothing was signed")
        named: dict[str, str] = {}
        if plan.context_source is not None:  # not this machine's copy of the repository: the repository
            source = plan.context_source
            at = f"{source.url}#{source.commit}" + (f":{source.subdir}" if source.subdir else "")
            named = {"goshfile_path": str(request.file), "context": at}
        published = publish_and_verify(
            tags[0], built.digest, built.request, signer, network, started, datetime.now(UTC), **named
        )
        click.echo(f"goshfile: signed {tags[0]}@{built.digest}: proof {published.proof.address}", err=True)
        click.echo(f"goshfile: provenance {published.envelope}: proof {published.provenance_proof.address}", err=True)
        click.echo(f"goshfile: verified: {tags[0]} signed by {signer.public_hex}", err=True)


def register(group: click.Group) -> None:
    """Add this command to the CLI."""
    group.add_command(build)

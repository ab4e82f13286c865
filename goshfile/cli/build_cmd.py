"""``goshfile build``: build a goshfile with docker buildx and the goshfile frontend."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import click

from goshfile.cli.options import BUILD_ARG_OPTION, build_args_of, key_file_option, network_option, pairs
from goshfile.cli.render import error_json, proof_json, utc
from goshfile.engine import BuildRequest
from goshfile.engine.buildx import FRONTEND_IMAGE
from goshfile.engine.epoch import NAME as EPOCH_ARG
from goshfile.engine.epoch import parse_epoch
from goshfile.engine.plan import DEFAULT_FILE
from goshfile.errors import GoshfileError, InputError
from goshfile.workflows.build import BuildJob, BuildOutcome, PushedNotSigned, check_signing, run_build


def outcome_json(outcome: BuildOutcome | None, error: GoshfileError | None = None) -> dict[str, Any]:
    """The ``--json`` object (README "goshfile build --json"): the same keys whatever the outcome."""
    published = outcome.published if outcome is not None else None
    pushed = error if isinstance(error, PushedNotSigned) else None
    return {
        "image_id": outcome.image_id if outcome else None,
        "original_id": outcome.original_id if outcome else None,
        "tags": list(outcome.tags) if outcome else [],
        "digest": outcome.digest if outcome else (pushed.digest if pushed else None),
        "source_date_epoch": {"value": outcome.epoch.value, "origin": outcome.epoch.origin} if outcome else None,
        "resolved": [{"url": r.url, "revision": r.revision, "commit": r.commit} for r in outcome.resolved]
        if outcome
        else [],
        "signer": outcome.signer if outcome else None,
        "proof": proof_json(published.proof) if published else None,
        "provenance": {"envelope": str(published.envelope), "proof": proof_json(published.provenance_proof)}
        if published
        else None,
        "error": error_json(error) if error else None,
        "finish": pushed.finish if pushed else None,  # the command that signs a pushed, unsigned image
    }


def metadata(outcome: BuildOutcome) -> dict[str, Any]:
    """buildx's ``--metadata-file`` keys for the final image, plus the signature and proofs."""
    data: dict[str, Any] = {"containerimage.config.digest": outcome.image_id, "image.name": ",".join(outcome.tags)}
    if outcome.digest:
        data["containerimage.digest"] = outcome.digest
    published = outcome.published
    data["goshfile.signer"] = outcome.signer
    data["goshfile.proof"] = proof_json(published.proof) if published else None
    data["goshfile.provenance"] = (
        {"envelope": str(published.envelope), "proof": proof_json(published.provenance_proof)} if published else None
    )
    data["goshfile.source_date_epoch"] = outcome.epoch.value
    return data


def _write(path: Path, text: str, option: str) -> None:
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise InputError(f"{option} {path}: {exc.strerror}") from exc


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
    "(WALLET_SECRET, --key-file, GOSH's config or the default key file), record both in the ledger, then verify. "
    "The key and the node are checked before building.",
)
@network_option
@key_file_option
@click.option(
    "--source-date-epoch",
    metavar="SECONDS",
    help="The time every timestamp of the image is set to (default: the build arg or environment variable "
    "SOURCE_DATE_EPOCH, else the GOSH commit's time, else the time of the last git commit of the context, "
    "else the newest time of a file in it that .dockerignore keeps).",
)
@click.option(
    "--rewrite-timestamp/--no-rewrite-timestamp",
    default=True,
    show_default=True,
    help="Set the file times in the image's own layers to SOURCE_DATE_EPOCH, so that the same inputs "
    "give the same image ID and pushed digest.",
)
@click.option("--no-cache", is_flag=True, help="Run every step again.")
@click.option(
    "--secret",
    "secrets",
    multiple=True,
    metavar="id=ID,src=FILE|env=VAR",
    help="A build secret for steps' {type: secret} mounts (passed to buildx; never stored).",
)
@click.option("--ssh", multiple=True, metavar="ID[=SOCKET|KEY]", help="An ssh agent for {type: ssh} mounts (default).")
@click.option("--target", metavar="STEP", help="Build the image as it is after this step.")
@click.option(
    "--platform",
    metavar="OS/ARCH[,OS/ARCH...]",
    help="Target platform(s) (default: the engine's); several make an image index, which needs an engine "
    "with the containerd image store (scripts/current-engine.sh).",
)
@click.option(
    "--buildkit-provenance",
    metavar="MODE",
    type=click.Choice(["mode=min", "mode=max"]),
    help="Also attach BuildKit's own SLSA provenance attestation (containerd image store; it records "
    "the build's times, so the digest is no longer reproducible).",
)
@click.option("--progress", default="auto", show_default=True, type=click.Choice(["auto", "plain", "tty", "quiet"]))
@click.option("--frontend-image", default=FRONTEND_IMAGE, show_default=True, help="The frontend image to build with.")
@click.option("--iidfile", type=click.Path(dir_okay=False, path_type=Path), help="Write the image ID to this file.")
@click.option(
    "--metadata-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the build result metadata (buildx's keys, plus goshfile.signer, goshfile.proof, "
    "goshfile.provenance) to this file as JSON.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the outcome as one JSON object on stdout.")
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
    secrets: tuple[str, ...],
    ssh: tuple[str, ...],
    target: str | None,
    platform: str | None,
    buildkit_provenance: str | None,
    progress: str,
    frontend_image: str,
    iidfile: Path | None,
    metadata_file: Path | None,
    as_json: bool,
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
    on the same engine, the same pushed digest). Prints the image ID on stdout;
    the pushed digest and the proofs are named on stderr.

    \b
    Build, push, sign and verify in one go (a script can read the result):
      goshfile build . -t 127.0.0.1:5000/app:1 --push --sign --metadata-file meta.json
    If signing fails after the push, the error says that the image is pushed but
    not signed, and the command that signs it.

    \b
    Build straight from a GOSH repository at a commit:
      goshfile build gosh://0:<64 hex>/dao/repo --commit SHA [-f path/in/repo.yaml] -t IMAGE
    The image is labelled GOSH_ADDRESS, GOSH_COMMIT_HASH, gosh.address,
    gosh.commit and gosh.image.dockerfile.
    """
    from_gosh = context.startswith("gosh:")
    if commit and not from_gosh:
        raise click.BadParameter("--commit goes with a gosh:// CONTEXT", param_hint="--commit")
    args = build_args_of(build_args)
    if source_date_epoch is not None:
        args[EPOCH_ARG] = str(parse_epoch(source_date_epoch, "--source-date-epoch"))
    local = Path(context)
    request = BuildRequest(
        context=local,
        file=file or (Path(DEFAULT_FILE) if from_gosh else local / DEFAULT_FILE),
        tags=tags,
        build_args=args,
        labels=pairs(labels, "--label"),
        build_contexts=pairs(contexts, "--build-context"),
        push=push,
        no_cache=no_cache,
        platform=platform,
        frontend_image=frontend_image,
        progress=progress,
        secrets=secrets,
        ssh=ssh,
        target=target,
        buildkit_provenance=buildkit_provenance,
    )
    job = BuildJob(
        request, context if from_gosh else None, commit, allow_ref, rewrite_timestamp, sign, network, key_file
    )
    signer = check_signing(job, wallet_public)
    wallet = signer.public_hex if signer is not None else wallet_public
    if wallet:  # the frontend records it as the WALLET_PUBLIC label
        job = replace(job, request=replace(request, build_args={**args, "wallet_public": wallet}))

    def say(message: str) -> None:
        if progress != "quiet":
            click.echo(f"goshfile: {message}", err=True)

    try:
        outcome = run_build(job, signer, progress=say)
    except GoshfileError as exc:
        if as_json:  # the same object, with what is known, then the error as usual
            click.echo(json.dumps(outcome_json(None, exc), sort_keys=True))
        raise
    if outcome.original_id:
        say(f"file times set: {outcome.original_id} became {outcome.image_id}")
    if iidfile is not None:
        _write(iidfile, outcome.image_id, "--iidfile")
    if metadata_file is not None:
        _write(metadata_file, json.dumps(metadata(outcome), indent=2, sort_keys=True) + "\n", "--metadata-file")
    if as_json:
        click.echo(json.dumps(outcome_json(outcome), sort_keys=True))
    else:
        click.echo(outcome.image_id)
    if outcome.digest:
        say(f"pushed {outcome.tags[0]}@{outcome.digest}")
    if outcome.published is not None:
        published = outcome.published
        recorded = utc(published.proof.recorded_at)
        say(f"signed {outcome.tags[0]}@{outcome.digest}: proof {published.proof.address}, recorded {recorded}")
        say(f"provenance {published.envelope}: proof {published.provenance_proof.address}")
        say(f"verified: {outcome.tags[0]} signed by {outcome.signer}")

"""``goshfile build`` as one workflow: signing checked before building, a pushed-but-unsigned image said plainly."""

from __future__ import annotations

from pathlib import Path

import pytest

from goshfile.engine import BuildRequest
from goshfile.errors import EngineError, InputError
from goshfile.keys import write_key_file
from goshfile.workflows.build import BuildJob, PushedNotSigned, check_signing, finish_command, run_build
from tests.engine.test_pipeline import FakeBuilder
from tests.images.fake_engine import FakeImages
from tests.ledger.helpers import ALICE, BOB, isolate

IMAGE = "127.0.0.1:1/goshfile-test/app:1"  # nothing listens on port 1: the registry cannot be reached


@pytest.fixture
def key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    isolate(tmp_path, monkeypatch)
    path = tmp_path / "key.json"
    write_key_file(path, ALICE)
    return path


def job(tmp_path: Path, key: Path, network: str, **kw: object) -> BuildJob:
    (tmp_path / "goshfile.yaml").write_text("apiVersion: 1\nimage: scratch\n")
    request = BuildRequest(
        context=tmp_path,
        file=tmp_path / "goshfile.yaml",
        tags=(IMAGE,),
        push=True,
        build_args={"SOURCE_DATE_EPOCH": "1600000000"},
    )
    return BuildJob(request, sign=True, network=network, key_file=key, **kw)  # type: ignore[arg-type]


def test_signing_needs_push_and_a_tag_and_the_signers_public_key(tmp_path: Path, key: Path) -> None:
    base = job(tmp_path, key, str(tmp_path / "l.db"))
    assert check_signing(base, None) is not None and check_signing(base, ALICE.public_hex.upper()) is not None
    for bad in (
        BuildJob(BuildRequest(tmp_path, tmp_path / "goshfile.yaml", tags=(IMAGE,)), sign=True, key_file=key),
        BuildJob(BuildRequest(tmp_path, tmp_path / "goshfile.yaml", push=True), sign=True, key_file=key),
    ):
        with pytest.raises(InputError, match="use it with --push and -t IMAGE"):
            check_signing(bad, None)
    with pytest.raises(InputError, match="not the signing key's public key"):
        check_signing(base, BOB.public_hex)
    assert check_signing(BuildJob(base.request), None) is None


def test_an_unreachable_node_stops_the_job_before_anything_is_built(tmp_path: Path, key: Path) -> None:
    images = FakeImages()
    builder = FakeBuilder(images)
    signing = job(tmp_path, key, "http://127.0.0.1:1")
    signer = check_signing(signing, None)
    with pytest.raises(EngineError, match="nothing was built: the node cannot record the signature"):
        run_build(signing, signer, builder=builder, images=images, environ={})
    assert builder.requests == [] and images.pushed == {}


def test_signing_that_fails_after_the_push_says_so_and_how_to_finish(tmp_path: Path, key: Path) -> None:
    images = FakeImages()
    ledger = str(tmp_path / "l.db")
    signing = job(tmp_path, key, ledger)
    with pytest.raises(PushedNotSigned) as info:
        run_build(signing, check_signing(signing, None), builder=FakeBuilder(images), images=images, environ={})
    digest = images.pushed[IMAGE]
    error = info.value
    assert (error.image, error.digest) == (IMAGE, digest)
    assert error.finish == f"goshfile sign -n {ledger} --key-file {key} {digest}"
    assert str(error).startswith(f"{IMAGE}@{digest} is pushed but NOT signed (")
    assert str(error).endswith(f"to sign it, run: {error.finish}")
    assert isinstance(error.__cause__, EngineError)  # the registry could not be reached


def test_without_signing_the_outcome_names_image_tags_epoch_and_digest(tmp_path: Path, key: Path) -> None:
    images = FakeImages()
    plain = BuildJob(job(tmp_path, key, "").request)
    progress: list[str] = []
    outcome = run_build(plain, None, builder=FakeBuilder(images), images=images, environ={}, progress=progress.append)
    assert outcome.digest == images.pushed[IMAGE] and outcome.tags == (IMAGE,)
    assert (outcome.epoch.value, outcome.epoch.origin) == (1600000000, "given")
    assert outcome.original_id is not None and outcome.original_id != outcome.image_id
    assert outcome.published is None and outcome.signer is None
    assert progress[0] == "SOURCE_DATE_EPOCH=1600000000 (given)"


def test_the_finish_command_quotes_what_it_must() -> None:
    request = BuildRequest(Path("."), Path("g.yaml"))
    assert finish_command(BuildJob(request), "sha256:ab") == "goshfile sign sha256:ab"
    spaced = BuildJob(request, network="/a b/l.db", key_file=Path("/k k.json"))
    assert finish_command(spaced, "sha256:ab") == "goshfile sign -n '/a b/l.db' --key-file '/k k.json' sha256:ab"

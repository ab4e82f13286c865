"""The seed example, built with plain ``docker buildx build`` and the goshfile frontend."""

from __future__ import annotations

import hashlib
import re
import shutil
from datetime import datetime
from pathlib import Path

import docker
import pytest

from tests.e2e.helpers import Images, buildx, image_run, saved_digests

pytestmark = pytest.mark.docker
SEED = Path(__file__).resolve().parents[2] / "examples" / "seed"


@pytest.fixture
def seed(tmp_path: Path) -> Path:
    shutil.copy(SEED / "goshfile.yaml", tmp_path / "goshfile.yaml")
    return tmp_path


def test_seed_builds_and_the_image_holds_the_message(seed: Path, images: Images) -> None:
    image = images.name("seed")
    result = buildx(seed, "-t", image, "--label", "WALLET_PUBLIC=abc")
    assert result.returncode == 0, result.output
    assert "[1/1] print date" in result.output  # progress shows the step by its name
    lines = image_run(image, "cat", "/message.txt").splitlines()
    assert len(lines) == 2
    assert re.fullmatch(r"\d{10} \d\d:\d\d:\d\d \w+", lines[0]), lines
    assert lines[1] == "Hi there"


def test_label_and_provenance_labels_are_in_the_image_config(seed: Path, images: Images) -> None:
    image = images.name("labels")
    result = buildx(seed, "-t", image, "--label", "WALLET_PUBLIC=abc", "--label", "org.example.team=core")
    assert result.returncode == 0, result.output
    config = docker.from_env().images.get(image).attrs["Config"]
    assert config["Labels"]["WALLET_PUBLIC"] == "abc"
    assert config["Labels"]["org.example.team"] == "core"
    assert config["Labels"]["goshfile.hermetic"] == "true"
    assert config["Labels"]["goshfile.base"].startswith("docker.io/library/bash:latest")
    assert config["Labels"]["goshfile.base.config"] == saved_digests("bash:latest")[1]  # its config's digest
    assert (
        config["Labels"]["goshfile.digest"]
        == "sha256:" + hashlib.sha256((seed / "goshfile.yaml").read_bytes()).hexdigest()
    )
    history = docker.from_env().images.get(image).history()
    assert any("goshfile: print date: run /usr/local/bin/bash -c" in (h.get("CreatedBy") or "") for h in history)


def _vertices(output: str) -> dict[str, list[str]]:
    """Progress lines grouped by vertex number (#N) of plain progress output."""
    names: dict[str, str] = {}
    lines: dict[str, list[str]] = {}
    for line in output.splitlines():
        m = re.match(r"#(\d+) (.*)", line)
        if not m:
            continue
        vid, text = m.groups()
        names.setdefault(vid, text)
        lines.setdefault(names[vid], []).append(text)
    return lines


def test_second_identical_build_is_fully_cached(seed: Path, images: Images) -> None:
    image = images.name("cached")
    first = buildx(seed, "-t", image)
    assert first.returncode == 0, first.output
    second = buildx(seed, "-t", image)
    assert second.returncode == 0, second.output
    steps = {name: lines for name, lines in _vertices(second.output).items() if name.startswith("[1/1]")}
    assert steps, second.output
    for name, lines in steps.items():
        assert "CACHED" in lines, f"{name} ran again:\n{second.output}"


def test_a_cached_rebuild_gives_the_same_image(seed: Path, images: Images, monkeypatch: pytest.MonkeyPatch) -> None:
    # As with a Dockerfile: without SOURCE_DATE_EPOCH the frontend leaves the times to BuildKit's
    # exporter, which takes them from the layers' cache records, so nothing changes when nothing ran.
    # No provenance attestation: on the containerd store it records the build's own start and end
    # times, so it makes every image index new, a Dockerfile build's too.
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)  # buildx would pass it on as the build arg
    image = images.name("same")
    client = docker.from_env()
    assert buildx(seed, "-t", image, "--provenance=false").returncode == 0
    first = client.images.get(image)
    second_build = buildx(seed, "-t", image, "--provenance=false")
    assert second_build.returncode == 0, second_build.output
    second = client.images.get(image)
    assert second.id == first.id
    created = datetime.fromisoformat(second.attrs["Created"].replace("Z", "+00:00"))
    base_created = datetime.fromisoformat(client.images.get("bash:latest").attrs["Created"].replace("Z", "+00:00"))
    assert created > base_created  # the step's layer time, not the base image's


def test_no_cache_runs_the_step_again(seed: Path, images: Images) -> None:
    image = images.name("nocache")
    assert buildx(seed, "-t", image).returncode == 0
    again = buildx(seed, "-t", image, "--no-cache")
    assert again.returncode == 0, again.output
    step = _vertices(again.output)["[1/1] print date"]
    assert "CACHED" not in step
    assert any("Hi there" in line for line in step)


def test_secret_build_arg_is_refused_without_echoing_it(seed: Path, images: Images) -> None:
    image = images.name("secret")
    secret = "5eC2e7" * 10
    result = buildx(seed, "-t", image, "--build-arg", f"WALLET_SECRET={secret}")
    assert result.returncode != 0
    assert "WALLET_SECRET looks like a secret" in result.output
    assert secret not in result.output


def test_undeclared_build_arg_is_shown_as_a_warning(seed: Path, images: Images) -> None:
    result = buildx(seed, "-t", images.name("warn"), "--build-arg", "UNUSED=1")
    assert result.returncode == 0, result.output
    assert "build args not declared in goshfile.yaml 'args' were ignored: UNUSED" in result.output

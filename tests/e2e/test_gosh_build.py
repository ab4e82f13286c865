"""Code from GOSH end to end: push with plain git, build from a pinned commit, hermetically."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import docker
import docker.errors
import pytest

from goshfile.cli.main import main
from goshfile.gosh.fetch import fetch
from goshfile.gosh.url import GoshUrl
from tests.e2e.helpers import Engine, Images, image_run, interfaces, run
from tests.gosh.helpers import SYSTEM, commit, git, isolated_home, replace_loose_object, work_repo

pytestmark = pytest.mark.docker
URL = f"gosh://{SYSTEM}/dao/app"
FRONTEND = ["--frontend-image", "teamgosh/goshfile:latest"]


@pytest.fixture
def node(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private local node and cache (GOSHFILE_HOME), git identity, and git-remote-gosh on PATH."""
    return isolated_home(tmp_path, monkeypatch) / "goshfile"


@pytest.fixture
def pushed(tmp_path: Path, node: Path) -> tuple[str, str, Path]:
    """A repository pushed to the local node in two commits: (first, second, work tree)."""
    repo = work_repo(tmp_path / "work")
    first = commit(repo, {"build.sh": "echo version one\n", "goshfile.yaml": GOSHFILE_IN_REPO})
    git("push", "--quiet", URL, "main", cwd=repo)
    second = commit(repo, {"build.sh": "echo version two\n"})
    git("push", "--quiet", URL, "main", cwd=repo)
    return first, second, repo


GOSHFILE_IN_REPO = """apiVersion: 1
image: bash:latest
steps:
  - name: build
    copy: {src: build.sh, dst: /app/}
  - name: run
    run: {command: [/usr/local/bin/bash, -c, "bash /app/build.sh > /app/out.txt"]}
"""


def mounting(commit_id: str) -> str:
    return f"""apiVersion: 1
image: bash:latest
steps:
  - name: run from gosh
    run:
      command: [/usr/local/bin/bash, -c, "bash /src/build.sh > /out.txt; cat /proc/net/dev > /net.txt"]
      mounts:
        - gosh: "{URL}"
          commit: "{commit_id}"
          dst: /src
"""


def test_a_mounted_repository_is_the_pinned_commit_and_the_step_has_no_network(
    tmp_path: Path, pushed: tuple[str, str, Path], images: Images, capsys: pytest.CaptureFixture[str]
) -> None:
    first, _, _ = pushed
    ctx = tmp_path / "ctx"
    ctx.mkdir()
    (ctx / "goshfile.yaml").write_text(mounting(first))
    image = images.name("gosh-mount")
    assert main(["build", str(ctx), "-t", image, *FRONTEND]) == 0, capsys.readouterr().err
    assert image_run(image, "cat", "/out.txt") == "version one\n"
    assert interfaces(image_run(image, "cat", "/net.txt")) == {"lo"}
    labels = docker.from_env().images.get(image).attrs["Config"]["Labels"]
    assert json.loads(labels["goshfile.sources"]) == [{"commit": first, "url": URL}]


def test_a_branch_needs_allow_ref_and_is_resolved_to_its_commit(
    tmp_path: Path, pushed: tuple[str, str, Path], images: Images, capsys: pytest.CaptureFixture[str]
) -> None:
    _, second, _ = pushed
    ctx = tmp_path / "ctx"
    ctx.mkdir()
    (ctx / "goshfile.yaml").write_text(mounting("main"))
    image = images.name("gosh-ref")
    assert main(["build", str(ctx), "-t", image, *FRONTEND]) == 2
    assert "'main' is not a full commit id" in capsys.readouterr().err
    assert main(["build", str(ctx), "-t", image, "--allow-ref", *FRONTEND]) == 0
    assert f"{URL} main is commit {second}" in capsys.readouterr().err
    assert image_run(image, "cat", "/out.txt") == "version two\n"
    labels = docker.from_env().images.get(image).attrs["Config"]["Labels"]
    assert json.loads(labels["goshfile.sources"]) == [{"commit": second, "ref": "main", "url": URL}]


def test_a_missing_commit_fails_clearly(
    tmp_path: Path, pushed: tuple[str, str, Path], images: Images, capsys: pytest.CaptureFixture[str]
) -> None:
    ctx = tmp_path / "ctx"
    ctx.mkdir()
    missing = "0123456789" * 4
    (ctx / "goshfile.yaml").write_text(mounting(missing))
    assert main(["build", str(ctx), "-t", images.name("gosh-missing"), *FRONTEND]) == 2  # the pin names nothing
    err = capsys.readouterr().err
    assert missing in err and "not found" in err


def test_a_tampered_object_in_the_node_fails_the_build(
    tmp_path: Path, node: Path, pushed: tuple[str, str, Path], images: Images, capsys: pytest.CaptureFixture[str]
) -> None:
    first, _, repo = pushed
    blob = git("rev-parse", f"{first}:build.sh", cwd=repo).stdout.strip()
    store = next((node / "node").rglob("app.git"))
    # a small push is stored as loose objects (receive.unpackLimit), which a tampering node rewrites
    content = b"echo tampered\n"
    replace_loose_object(store, blob, b"blob %d\0" % len(content) + content)
    ctx = tmp_path / "ctx"
    ctx.mkdir()
    (ctx / "goshfile.yaml").write_text(mounting(first))
    assert main(["build", str(ctx), "-t", images.name("gosh-tampered"), *FRONTEND]) == 1  # verification failed
    err = capsys.readouterr().err
    assert "goshfile: error:" in err and blob in err


def test_build_straight_from_gosh_labels_the_image_and_reuses_the_fetch(
    node: Path, pushed: tuple[str, str, Path], images: Images, capsys: pytest.CaptureFixture[str]
) -> None:
    first, _, _ = pushed
    image = images.name("gosh-context")
    assert main(["build", URL, "--commit", first, "-t", image, *FRONTEND]) == 0, capsys.readouterr().err
    assert image_run(image, "cat", "/app/out.txt") == "version one\n"
    labels = docker.from_env().images.get(image).attrs["Config"]["Labels"]
    assert labels["GOSH_ADDRESS"] == labels["gosh.address"] == URL
    assert labels["GOSH_COMMIT_HASH"] == labels["gosh.commit"] == first
    assert labels["gosh.image.dockerfile"] == "goshfile.yaml"
    assert labels["goshfile.digest"].startswith("sha256:")

    # The node goes away: the same commit still builds from the verified cache, with no fetch.
    shutil.rmtree(node / "node")
    assert fetch(GoshUrl.parse(URL), first).commit == first
    assert main(["build", URL, "--commit", first, "-t", image, *FRONTEND]) == 0, capsys.readouterr().err


def test_a_published_image_rebuilds_and_an_altered_copy_names_the_path(
    node: Path,
    pushed: tuple[str, str, Path],
    engine: Engine,
    images: Images,
    registry: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from goshfile.keys.keypair import KeyPair

    first, _, _ = pushed
    monkeypatch.setenv("WALLET_SECRET", KeyPair.generate().reveal_secret())
    image = images.name("gosh-published", registry)
    # BuildKit's rewrite (containerd store) clamps times after the epoch and keeps earlier ones, so a
    # step reused from an earlier test's cache would keep its older times: build clean there
    clean = ["--no-cache"] if engine.containerd_store else []
    assert main(["build", URL, "--commit", first, "-t", image, "--push", "--sign", *clean, *FRONTEND]) == 0
    capsys.readouterr()
    assert main(["verify", "--rebuild", "--provenance", "--json", image]) == 0
    result = json.loads(capsys.readouterr().out)
    rebuilt = result["evidence"]["rebuild"]["details"]
    assert result["verified"] and rebuilt["content_hash"].startswith("sha256:")
    stated = result["evidence"]["provenance"]["details"]["statement"]["predicate"]["buildDefinition"]
    context = {"uri": URL, "digest": {"gitCommit": first}}  # not a local path
    assert (stated["externalParameters"]["context"], stated["externalParameters"]["goshfile"]["path"]) == (
        context,
        "goshfile.yaml",
    )
    assert rebuilt["same_image_id"], "the rebuild should be the same image, bit for bit"
    assert docker.from_env().images.get(image).tags == [image]  # the rebuild's tag is gone, the image stays

    for name, change in (("content", "echo altered > /app/out.txt"), ("mode", "chmod 700 /app/out.txt")):
        altered = images.name(f"gosh-altered-{name}")
        container = f"goshfile-e2e-{name}-{os.getpid()}"
        done = run(["docker", "run", "--name", container, image, "/usr/local/bin/bash", "-c", change])
        assert done.returncode == 0, done.output
        assert run(["docker", "commit", container, altered]).returncode == 0
        run(["docker", "rm", "-f", container])
        assert main(["verify", "--rebuild", "--json", altered]) == 1
        result = json.loads(capsys.readouterr().out)
        assert not result["verified"] and result["evidence"]["rebuild"]["status"] == "invalid"
        assert "differing paths: /app/out.txt:" in result["reason"], result["reason"]

    # Only in the registry now: the rebuild is compared with the registry's files and config digest.
    config_digest = docker.from_env().images.get(image).id
    for name in (image, *(images.names[-2:])):
        run(["docker", "rmi", "-f", name])
    assert main(["verify", "--rebuild", "--json", image]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["verified"], result
    # the registry gives the config digest (the classic store's image ID) and the manifest digest (the
    # containerd store's): on both stores the rebuild is recognised as the same image, bit for bit
    assert result["evidence"]["rebuild"]["details"]["same_image_id"], result
    with pytest.raises(docker.errors.ImageNotFound):  # the rebuild is removed again
        docker.from_env().images.get(config_digest)

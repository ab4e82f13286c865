"""Fixtures for end-to-end tests against the real Docker engine and BuildKit.

A missing engine, buildx plugin, frontend image or registry is a test
failure with a message that says how to fix it, never a skip.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.helpers import (
    CURRENT,
    ENGINES,
    FRONTEND_IMAGE,
    HOST,
    REGISTRY,
    SETUP_HINT,
    Engine,
    Images,
    run,
)

CURRENT_ENGINE_SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "current-engine.sh"
# The end-to-end tests that run on both engines (the others run on the host engine only).
BOTH_ENGINES = {"test_seed", "test_features", "test_cli_build", "test_push", "test_gosh_build"}
BOTH_ENGINES |= {"test_reproducible", "test_signing", "test_subrequests", "test_multiplatform", "test_image_stores"}
HOST_DOCKER_HOST = os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Run the tests of :data:`BOTH_ENGINES` once per engine, the engine named in the test id."""
    module = metafunc.module.__name__.rsplit(".", 1)[-1]
    if "engine" in metafunc.fixturenames and module in BOTH_ENGINES:
        metafunc.parametrize("engine", ENGINES, indirect=True, scope="session", ids=[e.name for e in ENGINES])


def _current_docker_host() -> str:
    """``DOCKER_HOST`` of the current engine (scripts/current-engine.sh env starts it when needed)."""
    env = {**os.environ, "HOST_DOCKER_HOST": HOST_DOCKER_HOST}
    res = run(["bash", str(CURRENT_ENGINE_SCRIPT), "env"], env=env, timeout=1800)
    line = res.output.strip().splitlines()[-1] if res.output.strip() else ""
    if res.returncode != 0 or not line.startswith("export DOCKER_HOST="):
        pytest.fail(f"the current engine did not start (scripts/current-engine.sh env): {res.output.strip()}")
    return line.removeprefix("export DOCKER_HOST=")


def _check(engine: Engine) -> Engine:
    """Fail (not skip) unless this engine, buildx and the goshfile frontend image are there."""
    if shutil.which("docker") is None:
        pytest.fail(f"the docker CLI is not installed: {SETUP_HINT}")
    info = run(["docker", "info", "--format", "{{.ServerVersion}}|{{json .DriverStatus}}"])
    if info.returncode != 0:
        pytest.fail(f"the {engine.name} engine is not running ({info.output.strip()}): {SETUP_HINT}")
    version, status = info.output.strip().split("|", 1)
    major = int(version.split(".")[0])
    if major < engine.min_major:
        need = f"{engine.min_major} or newer is needed"
        pytest.fail(f"the {engine.name} engine is Docker {version}; {need}: {SETUP_HINT}")
    if ("io.containerd.snapshotter.v1" in status) != engine.containerd_store:
        store = "the containerd image store" if engine.containerd_store else "the classic image store"
        pytest.fail(f"the {engine.name} engine (Docker {version}) should keep images in {store}")
    if run(["docker", "buildx", "version"]).returncode != 0:
        pytest.fail(f"the docker buildx plugin is missing: {SETUP_HINT}")
    if run(["docker", "image", "inspect", FRONTEND_IMAGE]).returncode != 0:
        pytest.fail(f"the frontend image {FRONTEND_IMAGE} is missing from the {engine.name} engine: {SETUP_HINT}")
    return engine


@pytest.fixture(scope="session")
def engine(request: pytest.FixtureRequest) -> Iterator[Engine]:
    """The engine under test: the host's (Docker 26, classic store) or the current one (Docker 28, containerd).

    ``DOCKER_HOST`` points at it for the docker CLI, buildx and the Docker SDK while its tests run.
    """
    wanted: Engine = getattr(request, "param", HOST)
    with pytest.MonkeyPatch.context() as patch:
        if wanted is CURRENT:
            patch.setenv("DOCKER_HOST", _current_docker_host())
        else:
            patch.setenv("DOCKER_HOST", HOST_DOCKER_HOST)
        yield _check(wanted)


@pytest.fixture(scope="session")
def registry(engine: Engine) -> str:
    """The local registry's address; fails unless it answers."""
    import urllib.request

    try:
        with urllib.request.urlopen(f"http://{REGISTRY}/v2/", timeout=5) as res:
            assert res.status == 200
    except OSError as exc:
        pytest.fail(f"the local registry at {REGISTRY} does not answer ({exc}): {SETUP_HINT}")
    return REGISTRY


@pytest.fixture
def images(engine: Engine) -> Iterator[Images]:
    """Image names to use in a test; removed at the end."""
    made = Images()
    yield made
    for name in made.names:
        run(["docker", "rmi", "-f", name])

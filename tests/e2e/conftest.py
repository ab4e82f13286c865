"""Fixtures for end-to-end tests against the real Docker engine and BuildKit.

A missing engine, buildx plugin, frontend image or registry is a test
failure with a message that says how to fix it, never a skip.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest

from tests.e2e.helpers import FRONTEND_IMAGE, REGISTRY, SETUP_HINT, Images, run


@pytest.fixture(scope="session")
def engine() -> None:
    """Fail (not skip) unless Docker with buildx and the goshfile frontend image are there."""
    if shutil.which("docker") is None:
        pytest.fail(f"the docker CLI is not installed: {SETUP_HINT}")
    info = run(["docker", "info", "--format", "{{.ServerVersion}}"])
    if info.returncode != 0:
        pytest.fail(f"the Docker engine is not running ({info.output.strip()}): {SETUP_HINT}")
    major = int(info.output.strip().split(".")[0])
    if major < 23:
        pytest.fail(f"Docker Engine {info.output.strip()} is too old; 23 or newer is needed: {SETUP_HINT}")
    if run(["docker", "buildx", "version"]).returncode != 0:
        pytest.fail(f"the docker buildx plugin is missing: {SETUP_HINT}")
    if run(["docker", "image", "inspect", FRONTEND_IMAGE]).returncode != 0:
        pytest.fail(f"the frontend image {FRONTEND_IMAGE} is missing: {SETUP_HINT}")


@pytest.fixture(scope="session")
def registry(engine: None) -> str:
    """The local registry's address; fails unless it answers."""
    import urllib.request

    try:
        with urllib.request.urlopen(f"http://{REGISTRY}/v2/", timeout=5) as res:
            assert res.status == 200
    except OSError as exc:
        pytest.fail(f"the local registry at {REGISTRY} does not answer ({exc}): {SETUP_HINT}")
    return REGISTRY


@pytest.fixture
def images(engine: None) -> Iterator[Images]:
    """Image names to use in a test; removed at the end."""
    made = Images()
    yield made
    for name in made.names:
        run(["docker", "rmi", "-f", name])

"""How references are handed to the engine for tagging and pushing."""

from __future__ import annotations

import pytest

from goshfile.errors import InputError
from goshfile.images.local import _split_tag


@pytest.mark.parametrize(
    ("ref", "expected"),
    [
        ("127.0.0.1:5000/goshfile/example:latest", ("127.0.0.1:5000/goshfile/example", "latest")),
        ("localhost:5000/x", ("localhost:5000/x", "latest")),
        ("rt/seed:3", ("rt/seed", "3")),
        ("bash", ("bash", "latest")),
        ("docker.io/library/bash:5", ("bash", "5")),
    ],
)
def test_a_reference_splits_into_repository_and_tag(ref: str, expected: tuple[str, str]) -> None:
    assert _split_tag(ref) == expected


@pytest.mark.parametrize("ref", ["x@sha256:" + "a" * 64, "Bad Name", "x:bad tag"])
def test_digests_and_malformed_names_are_refused(ref: str) -> None:
    with pytest.raises(InputError):
        _split_tag(ref)

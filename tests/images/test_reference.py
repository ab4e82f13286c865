"""Docker image references: normalization as Docker does it, the familiar form, pinning, malformed input."""

from __future__ import annotations

import pytest

from goshfile.errors import InputError
from goshfile.images.reference import Reference, parse

DIGEST = "sha256:" + "a" * 64


@pytest.mark.parametrize(
    ("text", "normalized", "familiar"),
    [
        ("bash", "docker.io/library/bash:latest", "bash:latest"),
        ("bash:latest", "docker.io/library/bash:latest", "bash:latest"),
        ("bash:5.2", "docker.io/library/bash:5.2", "bash:5.2"),
        ("  bash  ", "docker.io/library/bash:latest", "bash:latest"),
        ("docker.io/bash", "docker.io/library/bash:latest", "bash:latest"),
        ("docker.io/library/bash:5", "docker.io/library/bash:5", "bash:5"),
        ("index.docker.io/bash", "docker.io/library/bash:latest", "bash:latest"),
        ("index.docker.io/user/repo:1", "docker.io/user/repo:1", "user/repo:1"),
        ("user/repo", "docker.io/user/repo:latest", "user/repo:latest"),
        ("user/repo:1.0", "docker.io/user/repo:1.0", "user/repo:1.0"),
        ("a/b/c/d:tag", "docker.io/a/b/c/d:tag", "a/b/c/d:tag"),
        ("a__b", "docker.io/library/a__b:latest", "a__b:latest"),
        ("localhost/x", "localhost/x:latest", "localhost/x:latest"),
        ("localhost:5000/x", "localhost:5000/x:latest", "localhost:5000/x:latest"),
        ("127.0.0.1:5000/app:1", "127.0.0.1:5000/app:1", "127.0.0.1:5000/app:1"),
        ("registry.example.com:443/a/b:c", "registry.example.com:443/a/b:c", "registry.example.com:443/a/b:c"),
        ("foo:5000/bar", "foo:5000/bar:latest", "foo:5000/bar:latest"),
        ("ghcr.io/o/r", "ghcr.io/o/r:latest", "ghcr.io/o/r:latest"),
        ("[::1]:5000/x", "[::1]:5000/x:latest", "[::1]:5000/x:latest"),
        (f"bash@{DIGEST}", f"docker.io/library/bash@{DIGEST}", f"bash@{DIGEST}"),
        (f"bash:5@{DIGEST}", f"docker.io/library/bash:5@{DIGEST}", f"bash:5@{DIGEST}"),
        (f"localhost:5000/x@{DIGEST}", f"localhost:5000/x@{DIGEST}", f"localhost:5000/x@{DIGEST}"),
    ],
)
def test_normalization(text: str, normalized: str, familiar: str) -> None:
    ref = parse(text)
    assert str(ref) == normalized
    assert ref.familiar() == familiar
    assert parse(normalized) == ref
    assert parse(familiar) == ref


def test_parts() -> None:
    assert parse("bash") == Reference("docker.io", "library/bash", "latest", None)
    assert parse(f"localhost:5000/a/b@{DIGEST}") == Reference("localhost:5000", "a/b", None, DIGEST)
    ref = parse("registry.example.com:443/a/b:c")
    assert (ref.domain, ref.path, ref.tag, ref.name) == (
        "registry.example.com:443", "a/b", "c", "registry.example.com:443/a/b",
    )  # fmt: skip


def test_pinning_keeps_the_tag() -> None:
    pinned = parse("bash:5.2").pinned(DIGEST)
    assert str(pinned) == f"docker.io/library/bash:5.2@{DIGEST}"
    assert pinned.familiar() == f"bash:5.2@{DIGEST}"
    assert parse("bash:5.2").digest is None  # references are immutable


@pytest.mark.parametrize("digest", ["", "sha256:abc", "sha512:" + "a" * 64, "sha256:" + "A" * 64])
def test_pinning_refuses_what_is_not_a_digest(digest: str) -> None:
    with pytest.raises(InputError, match="not an image digest"):
        parse("bash").pinned(digest)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "is not a valid image name"),
        ("UPPER", "is not a valid image name"),
        ("user/Repo", "is not a valid image name"),
        (":tag", "is not a valid image name"),
        ("a//b", "is not a valid image name"),
        ("-bad", "is not a valid image name"),
        ("a b", "is not a valid image name"),
        ("x:", "invalid tag ''"),
        ("bash:-x", "invalid tag '-x'"),
        ("bash:" + "a" * 129, "invalid tag"),
        ("bash@sha256:abc", "digest must be sha256:<64 lowercase hex>"),
        ("bash@" + "a" * 64, "digest must be sha256:<64 lowercase hex>"),
        ("Example.com/x", "registry names are lowercase"),
        ("Foo/bar", "registry names are lowercase"),
    ],
)
def test_malformed_references(text: str, message: str) -> None:
    with pytest.raises(InputError, match="image reference") as info:
        parse(text)
    assert message in str(info.value)
    assert repr(text) in str(info.value)


def test_a_tag_of_128_characters_is_the_longest() -> None:
    assert parse("bash:" + "a" * 128).tag == "a" * 128

"""Registry credentials come from the user's Docker config, as docker, cosign and skopeo read them."""

from __future__ import annotations

import base64
import json
import stat
from pathlib import Path

import pytest

from goshfile.errors import InputError
from goshfile.images.registry_auth import credentials_for, docker_config_path


def config(tmp_path: Path, data: object, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "docker"
    folder.mkdir(exist_ok=True)
    (folder / "config.json").write_text(json.dumps(data))
    monkeypatch.setenv("DOCKER_CONFIG", str(folder))
    return folder / "config.json"


def auth(user: str, password: str) -> str:
    return base64.b64encode(f"{user}:{password}".encode()).decode()


def helper(tmp_path: Path, name: str, answer: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Path:
    """A docker-credential-NAME on PATH that records the server asked for and answers ``answer``."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    script = bin_dir / f"docker-credential-{name}"
    script.write_text(f'#!/bin/sh\n[ "$1" = get ] || exit 3\ncat > "{tmp_path}/asked"\necho \'{json.dumps(answer)}\'\n')
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{bin_dir}:/usr/bin:/bin")
    return tmp_path / "asked"


def test_docker_config_honours_docker_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = config(tmp_path, {}, monkeypatch)
    assert docker_config_path() == path
    monkeypatch.delenv("DOCKER_CONFIG")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert docker_config_path() == tmp_path / ".docker" / "config.json"


def test_auths_entries_by_host_and_by_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config(
        tmp_path,
        {
            "auths": {
                "reg.example:5000": {"auth": auth("ann", "pa:ss")},
                "https://other.example": {"auth": auth("b", "c")},
            }
        },
        monkeypatch,
    )
    found = credentials_for("reg.example:5000")
    assert (found.username, found.password) == ("ann", "pa:ss")
    assert "pa:ss" not in repr(found)
    assert credentials_for("other.example").username == "b"
    assert not credentials_for("nobody.example")


def test_docker_hub_is_stored_under_its_v1_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config(tmp_path, {"auths": {"https://index.docker.io/v1/": {"auth": auth("hub", "pw")}}}, monkeypatch)
    assert credentials_for("docker.io").username == "hub"


def test_a_cred_helper_is_asked_and_an_identity_token_recognized(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config(tmp_path, {"credHelpers": {"reg.example": "fake"}, "credsStore": "store"}, monkeypatch)
    asked = helper(tmp_path, "fake", {"ServerURL": "reg.example", "Username": "<token>", "Secret": "tok"}, monkeypatch)
    found = credentials_for("reg.example")
    assert asked.read_text() == "reg.example"
    assert found.identity_token == "tok" and not found.username
    helper(tmp_path, "store", {"ServerURL": "x", "Username": "u", "Secret": "s"}, monkeypatch)
    assert credentials_for("elsewhere.example").password == "s"  # credsStore for every other registry


def test_a_missing_helper_and_a_bad_auth_are_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config(tmp_path, {"credHelpers": {"reg.example": "absent"}}, monkeypatch)
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(InputError, match="docker-credential-absent is not on PATH"):
        credentials_for("reg.example")
    path = config(tmp_path, {"auths": {"reg.example": {"auth": "!!"}}}, monkeypatch)
    with pytest.raises(InputError, match=f"{path}: the 'auth' of reg.example"):
        credentials_for("reg.example")


def test_no_config_means_no_credentials(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path / "none"))
    assert not credentials_for("reg.example")

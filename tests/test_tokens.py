"""The node token: made fresh and private, read from bounded regular files or the environment, never echoed."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from goshfile.errors import InputError
from goshfile.tokens import ENV_TOKEN, ENV_TOKEN_FILE, read_token_file, token_from_env, write_new_token


def test_a_new_token_is_private_random_and_never_overwritten(tmp_path: Path) -> None:
    first, second = tmp_path / "a.token", tmp_path / "b.token"
    write_new_token(first)
    write_new_token(second)
    assert stat.S_IMODE(first.stat().st_mode) == 0o600
    assert len(read_token_file(first)) == 64 and read_token_file(first) != read_token_file(second)
    before = first.read_text()
    with pytest.raises(InputError, match="exists"):
        write_new_token(first)
    assert first.read_text() == before


@pytest.mark.parametrize(
    ("content", "words"),
    [
        ("short\n", "16 to 1024 visible ASCII"),
        ("has a space in it, long enough\n", "without spaces"),
        ("x" * 5000, "bytes"),
    ],
)
def test_a_bad_token_file_is_refused_without_echoing_it(tmp_path: Path, content: str, words: str) -> None:
    path = tmp_path / "token"
    path.write_text(content)
    with pytest.raises(InputError, match=words) as caught:
        read_token_file(path)
    assert content.strip() not in str(caught.value)


def test_a_folder_or_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not a regular file"):
        read_token_file(tmp_path)
    with pytest.raises(InputError, match="cannot read the token file"):
        read_token_file(tmp_path / "none")
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    with pytest.raises(InputError, match="not a regular file"):
        read_token_file(fifo)


def test_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV_TOKEN, raising=False)
    monkeypatch.delenv(ENV_TOKEN_FILE, raising=False)
    assert token_from_env() is None
    path = tmp_path / "token"
    write_new_token(path)
    monkeypatch.setenv(ENV_TOKEN_FILE, str(path))
    assert token_from_env() == read_token_file(path)
    monkeypatch.setenv(ENV_TOKEN, "  from-the-environment-0123  ")
    assert token_from_env() == "from-the-environment-0123"

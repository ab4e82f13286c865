"""Key files and GOSH's config are read with bounds: a folder, device, FIFO or endless file is named, not read."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from goshfile.config import read_config
from goshfile.errors import InputError
from goshfile.keys.sources import MAX_KEY_FILE_BYTES, read_key_file


def _deep(path: Path) -> None:
    path.write_text("[" * 60_000)
    path.chmod(0o600)


CASES: dict[str, tuple[Callable[[Path], object], str]] = {
    "folder": (lambda p: p.mkdir(), "is a folder, not a regular file"),
    "fifo": (lambda p: os.mkfifo(p), "is a FIFO (named pipe), not a regular file"),
    "large": (lambda p: p.write_bytes(b" " * (MAX_KEY_FILE_BYTES + 1)), "larger than 65,536 bytes"),
    "deep": (_deep, "not valid JSON"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_key_file_that_is_not_a_small_regular_file_is_named(tmp_path: Path, case: str) -> None:
    make, message = CASES[case]
    path = tmp_path / "key.json"
    make(path)
    with pytest.raises(InputError) as info:
        read_key_file(path)
    assert str(info.value).startswith(f"key file {path}: {message}")


def test_a_device_as_key_file_or_config_is_named() -> None:
    with pytest.raises(InputError, match=r"^key file /dev/zero: is a character device, not a regular file$"):
        read_key_file(Path("/dev/zero"))
    with pytest.raises(InputError, match=r"^the GOSH config /dev/zero: is a character device"):
        read_config(Path("/dev/zero"))


def test_a_deeply_nested_config_is_an_input_error(tmp_path: Path) -> None:
    path = tmp_path / "config.json"
    path.write_text("[" * 100_000)
    with pytest.raises(InputError, match=r"nested too deeply|not valid JSON"):
        read_config(path)
    assert read_config(tmp_path / "missing.json") is None

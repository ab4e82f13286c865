"""``goshfile image-hash --json``: the same keys whatever the outcome."""

from __future__ import annotations

import json

import pytest

from goshfile.cli.image_cmds import hash_json
from goshfile.cli.main import main
from goshfile.images.content_hash import ImageHash

KEYS = {"image", "image_id", "algorithm", "hash", "source", "files", "bytes", "error"}


def test_bad_input_still_prints_the_object_with_an_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["image-hash", "--json", "Bad Ref!"]) == 2
    out, err = capsys.readouterr()
    data = json.loads(out)
    assert set(data) == KEYS and data["hash"] is None and data["image"] == "Bad Ref!"
    assert data["error"] == {"type": "InputError", "message": "'Bad Ref!' is not a valid image reference"}
    assert err == "goshfile: error: 'Bad Ref!' is not a valid image reference\n"


def test_a_result_has_the_same_keys() -> None:
    result = ImageHash("app:1", "sha256:" + "1" * 64, "goshfile-v2", "sha256:" + "2" * 64, "storage", 3, 10)
    data = hash_json("app:1", "goshfile-v2", result)
    assert set(data) == KEYS and data["error"] is None and (data["files"], data["bytes"]) == (3, 10)

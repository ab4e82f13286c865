"""``goshfile build``'s --json and --metadata-file shapes, and its option checks (no engine needed)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from goshfile.cli.build_cmd import metadata, outcome_json
from goshfile.cli.main import main
from goshfile.engine.epoch import Epoch
from goshfile.errors import EngineError
from goshfile.ledger.proof import Proof
from goshfile.workflows.build import BuildOutcome, PushedNotSigned
from goshfile.workflows.publish import Published
from tests.ledger.helpers import ALICE, DIGEST, isolate

KEYS = {"image_id", "original_id", "tags", "digest", "source_date_epoch", "resolved", "signer", "proof"}
KEYS |= {"provenance", "error", "finish"}
IMAGE_ID = "sha256:" + "1" * 64
WHEN = datetime(2026, 12, 2, 1, 36, 29, 123456, UTC)


def proof(content: str) -> Proof:
    return Proof("0:" + "a" * 64, ALICE.public_hex, content, b"s" * 64, WHEN)


def signed() -> BuildOutcome:
    published = Published("reg/app:1", DIGEST, proof(DIGEST), proof("sha256:" + "3" * 64), Path("/p/env.json"))
    return BuildOutcome(IMAGE_ID, ("reg/app:1",), Epoch(42, "given"), DIGEST, None, [], published, ALICE.public_hex)


def test_json_has_the_same_keys_whatever_the_outcome() -> None:
    ok = outcome_json(signed())
    unsigned = PushedNotSigned("reg/app:1", DIGEST, EngineError("cannot reach the node"), "goshfile sign " + DIGEST)
    failed = outcome_json(None, unsigned)
    assert set(ok) == set(failed) == KEYS
    assert ok["proof"] == {
        "address": "0:" + "a" * 64,
        "public": ALICE.public_hex,
        "content": DIGEST,
        "recorded_at": "2026-12-02T01:36:29Z",  # RFC 3339 UTC with Z
    }
    assert ok["provenance"]["envelope"] == "/p/env.json" and ok["error"] is None and ok["finish"] is None
    assert ok["source_date_epoch"] == {"value": 42, "origin": "given"}
    assert failed["digest"] == DIGEST and failed["image_id"] is None and failed["proof"] is None
    assert failed["error"]["type"] == "EngineError" and "is pushed but NOT signed" in failed["error"]["message"]
    assert failed["finish"] == "goshfile sign " + DIGEST


def test_metadata_file_uses_buildx_names() -> None:
    data = metadata(signed())
    assert data["containerimage.config.digest"] == IMAGE_ID
    assert data["containerimage.digest"] == DIGEST
    assert data["image.name"] == "reg/app:1"
    assert data["goshfile.signer"] == ALICE.public_hex and data["goshfile.proof"]["content"] == DIGEST
    assert data["goshfile.provenance"]["proof"]["content"] == "sha256:" + "3" * 64
    plain = metadata(BuildOutcome(IMAGE_ID, ("a:1", "a:2"), Epoch(1, "given")))
    assert "containerimage.digest" not in plain and plain["image.name"] == "a:1,a:2"
    assert plain["goshfile.proof"] is None and plain["goshfile.signer"] is None


def test_sign_without_push_is_a_usage_error_before_anything_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    isolate(tmp_path, monkeypatch)
    (tmp_path / "goshfile.yaml").write_text("apiVersion: 1\nimage: scratch\n")
    assert main(["build", str(tmp_path), "-t", "reg/app:1", "--sign", "--json"]) == 2
    out, err = capsys.readouterr()
    assert err == "goshfile: error: --sign signs the pushed digest: use it with --push and -t IMAGE\n"
    assert out == ""  # options are checked before a build starts: no outcome to report

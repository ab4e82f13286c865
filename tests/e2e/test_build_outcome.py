"""``goshfile build --push --sign`` as a script sees it: preflight, --iidfile, --metadata-file, --json, exit codes."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import docker
import pytest

from goshfile.cli.main import main
from goshfile.keys import KeyPair, write_key_file
from goshfile.ledger import SqliteLedger
from tests.e2e.helpers import Images

pytestmark = pytest.mark.docker
SEED = Path(__file__).resolve().parents[2] / "examples" / "seed"
FRONTEND = ["--frontend-image", "teamgosh/goshfile:latest", "--progress", "plain"]


@pytest.fixture
def key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[KeyPair, Path]:
    monkeypatch.setenv("GOSHFILE_HOME", str(tmp_path / "home"))
    for name in ("GOSH_NETWORK", "WALLET_SECRET", "WALLET_PUBLIC"):
        monkeypatch.delenv(name, raising=False)
    pair = KeyPair.generate()
    path = tmp_path / "key.json"
    write_key_file(path, pair)
    return pair, path


def seed(tmp_path: Path) -> Path:
    ctx = tmp_path / "ctx"
    ctx.mkdir()
    shutil.copy(SEED / "goshfile.yaml", ctx / "goshfile.yaml")
    return ctx


def test_an_unreachable_node_stops_the_build_before_it_starts(
    tmp_path: Path, key: tuple[KeyPair, Path], images: Images, registry: str, capsys: pytest.CaptureFixture[str]
) -> None:
    image = images.name("preflight", registry)
    argv = ["build", str(seed(tmp_path)), "-t", image, "--push", "--sign", "--key-file", str(key[1])]
    assert main([*argv, "-n", "http://127.0.0.1:1", *FRONTEND]) == 3  # could not check
    err = capsys.readouterr().err
    assert "goshfile: error: nothing was built: the node cannot record the signature" in err
    assert "docker buildx" not in err and "[1/1]" not in err  # buildx never ran
    with pytest.raises(docker.errors.ImageNotFound):
        docker.from_env().images.get(image)


def test_push_sign_writes_buildx_metadata_with_the_proofs(
    tmp_path: Path, key: tuple[KeyPair, Path], images: Images, registry: str, capsys: pytest.CaptureFixture[str]
) -> None:
    pair, key_file = key
    image = images.name("metadata", registry)
    ledger = tmp_path / "ledger.db"
    iid, meta = tmp_path / "iid", tmp_path / "meta.json"
    argv = ["build", str(seed(tmp_path)), "-t", image, "--push", "--sign", "--key-file", str(key_file)]
    argv += ["-n", str(ledger), "--iidfile", str(iid), "--metadata-file", str(meta), "--json", *FRONTEND]
    assert main(argv) == 0, capsys.readouterr().err
    out, err = capsys.readouterr()
    outcome = json.loads(out)
    data = json.loads(meta.read_text())
    image_id = docker.from_env().images.get(image).id
    assert iid.read_text() == image_id == outcome["image_id"] == data["containerimage.config.digest"]
    assert data["image.name"] == image and data["containerimage.digest"] == outcome["digest"]
    assert data["goshfile.signer"] == pair.public_hex == outcome["signer"]
    assert data["goshfile.proof"] == outcome["proof"] and outcome["proof"]["content"] == outcome["digest"]
    assert outcome["proof"]["recorded_at"].endswith("Z") and outcome["error"] is None
    assert SqliteLedger(ledger).check(pair.public_hex, outcome["digest"])
    assert f"goshfile: pushed {image}@{outcome['digest']}" in err
    assert f"goshfile: verified: {image} signed by {pair.public_hex}" in err

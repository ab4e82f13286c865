"""Endpoint lists (-n, GOSH_NETWORK, the default local ledger) and failing over between endpoints."""

from __future__ import annotations

from pathlib import Path

import pytest

from goshfile.errors import EngineError, InputError
from goshfile.ledger import FailoverLedger, HttpLedger, SqliteLedger, default_ledger_path, ledger_file, open_ledger
from goshfile.ledger.server import serving
from tests.ledger.helpers import ALICE, DIGEST

DOWN = "http://127.0.0.1:1"  # nothing listens on port 1


def test_default_is_the_local_ledger_under_goshfile_home(home: Path) -> None:
    ledger = open_ledger()
    assert isinstance(ledger, SqliteLedger)
    assert ledger.path == default_ledger_path() == home / "goshfile" / "node" / "ledger.db"


def test_default_under_xdg_data_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GOSHFILE_HOME")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    assert default_ledger_path() == tmp_path / "data" / "goshfile" / "node" / "ledger.db"


def test_gosh_network_is_used_unless_n_is_given(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOSH_NETWORK", "http://127.0.0.1:9")
    from_env = open_ledger()
    assert isinstance(from_env, HttpLedger) and from_env.base == "http://127.0.0.1:9"
    given = open_ledger(str(tmp_path / "x.db"))
    assert isinstance(given, SqliteLedger) and given.path == tmp_path / "x.db"
    monkeypatch.setenv("GOSH_NETWORK", " ")
    assert isinstance(open_ledger(), SqliteLedger)


def test_local_endpoint_forms(tmp_path: Path) -> None:
    existing = tmp_path / "plain-file"
    existing.write_text("")
    assert ledger_file(tmp_path / "a.db") == tmp_path / "a.db"
    assert ledger_file(tmp_path / "a.sqlite3") == tmp_path / "a.sqlite3"
    assert ledger_file(existing) == existing
    assert ledger_file(tmp_path / "node") == tmp_path / "node" / "ledger.db"
    from_url = open_ledger(f"file://{tmp_path}/b.db")
    assert isinstance(from_url, SqliteLedger) and from_url.path == tmp_path / "b.db"
    folder = open_ledger(str(tmp_path))
    assert isinstance(folder, SqliteLedger) and folder.path == tmp_path / "ledger.db"


@pytest.mark.parametrize(
    ("network", "error"),
    [
        ("", "no node endpoint given"),
        (" , ", "no node endpoint given"),
        ("ledger.db", "neither an http\\(s\\):// URL"),
        ("ftp://host/x", "unsupported node endpoint"),
        ("http://", "invalid node URL"),
        ("http://host:99999", "invalid node URL"),
        ("file://remote/x", "invalid file URL"),
    ],
)
def test_bad_endpoints(network: str, error: str) -> None:
    with pytest.raises(InputError, match=error):
        open_ledger(network)


def test_bad_gosh_network_names_its_origin(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOSH_NETWORK", "nope")
    with pytest.raises(InputError, match="from GOSH_NETWORK"):
        open_ledger()


def test_failover_to_the_next_reachable_endpoint(tmp_path: Path) -> None:
    with serving(tmp_path / "ledger.db") as node:
        ledger = open_ledger(f"{DOWN},{node.url}")
        assert isinstance(ledger, FailoverLedger)
        proof = ledger.sign(ALICE, DIGEST)
        assert ledger.check(ALICE.public_hex, DIGEST)
        assert ledger.get(ALICE.public_hex, DIGEST) == proof
        assert ledger.address(ALICE.public_hex, DIGEST) == proof.address
        ledger.close()
    assert SqliteLedger(tmp_path / "ledger.db").check(ALICE.public_hex, DIGEST)


def test_an_answer_is_final(tmp_path: Path) -> None:
    SqliteLedger(tmp_path / "second.db").sign(ALICE, DIGEST)
    ledger = open_ledger(f"{tmp_path / 'first.db'},{tmp_path / 'second.db'}")
    assert not ledger.check(ALICE.public_hex, DIGEST)  # the first endpoint answered "no proof"


def test_no_endpoint_reachable(tmp_path: Path) -> None:
    ledger = open_ledger(f"{DOWN},http://127.0.0.1:2")
    with pytest.raises(EngineError, match=r"no endpoint could be used: cannot reach .*:1.*; cannot reach .*:2"):
        ledger.check(ALICE.public_hex, DIGEST)

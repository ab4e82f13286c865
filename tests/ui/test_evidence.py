"""The adapter from the library's verification to the dashboard's evidence and badges."""

from __future__ import annotations

import json

from goshfile.errors import EngineError
from goshfile.provenance import store
from goshfile.ui.evidence import State, Status, assess, provenance_rows, rfc3339
from goshfile.ui.trust import Trusted
from goshfile.verify.signature import Subject
from tests.ui.fakes import FakeLedger, Proof, World

DIGEST = "sha256:" + "11" * 32


def states(subject: Subject, ledger: FakeLedger | object, trusted: list[Trusted] | None = None) -> dict[str, str]:
    found = assess(subject, ledger, trusted or [])  # type: ignore[arg-type]
    return {"status": found.status.value, **{e.name: e.state.value for e in found.evidence}}


def test_a_bad_proof_signature_is_invalid_and_a_missing_one_absent(world: World) -> None:
    key = world.key.public_hex
    subject = Subject("r/app:1", {"WALLET_PUBLIC": key}, (DIGEST,), True, "sha256:" + "22" * 32)
    assert states(subject, FakeLedger())["ledger proof"] == "absent"
    forged = FakeLedger({(key, DIGEST): Proof("0:" + "e" * 64, "2026-12-02T04:00:00Z", valid=False)})
    found = assess(subject, forged, [])
    assert found.status is Status.FAILING and found.evidence[1].state is State.INVALID
    assert "bad signature" in found.headline


def test_an_unreachable_ledger_is_could_not_check_not_failing(world: World) -> None:
    class Down:
        def check(self, public: str, content: str) -> bool:
            raise EngineError("cannot reach the node at http://127.0.0.1:9")

        def get(self, public: str, content: str) -> None:
            raise EngineError("cannot reach the node at http://127.0.0.1:9")

    subject = Subject("r/app:1", {"WALLET_PUBLIC": world.key.public_hex}, (DIGEST,), True)
    found = assess(subject, Down(), [])
    assert found.status is Status.ERROR and "could not check: cannot reach the node" in found.headline


def test_pinned_signers_decide_trusted_or_not(world: World) -> None:
    digest = world.signed("r/app:1")
    subject = Subject("r/app:1", {"WALLET_PUBLIC": world.key.public_hex}, (digest,), True)
    mine = assess(subject, world.ledger, [Trusted(world.key.public_hex, "ci")])
    assert mine.status is Status.VERIFIED and mine.headline.endswith("(trusted: ci)")
    theirs = assess(subject, world.ledger, [Trusted("ab" * 32, "someone else")])
    assert theirs.status is Status.FAILING and "not one of your 1 trusted signer" in theirs.headline


def test_tampered_provenance_is_invalid_and_missing_provenance_absent(world: World) -> None:
    digest = world.signed("r/app:1", provenance=True)
    subject = Subject("r/app:1", {"WALLET_PUBLIC": world.key.public_hex}, (digest,), True)
    good = assess(subject, world.ledger, [])
    assert good.evidence[3].state is State.VERIFIED and dict(good.provenance)["build args"] == "GREETING=hi"
    assert good.build_args == {"GREETING": "hi"}
    path = store.provenance_path(digest)
    envelope = json.loads(path.read_text())
    envelope["payload"] = envelope["payload"][:-4] + ("AAAA" if envelope["payload"][-4:] != "AAAA" else "BBBB")
    path.write_text(json.dumps(envelope))
    bad = assess(subject, world.ledger, [])
    assert bad.evidence[3].state is State.INVALID and bad.build_args is None
    path.unlink()
    assert assess(subject, world.ledger, []).evidence[3].state is State.ABSENT


def test_provenance_rows_tolerate_a_newer_statement_and_times_are_rfc3339() -> None:
    statement = {
        "predicate": {
            "buildDefinition": {
                "externalParameters": {"goshfile": {"path": "g.yaml"}, "context": {"uri": "gosh://x", "digest": "c"}},
                "resolvedDependencies": [{"uri": "docker-image://bash@sha256:aa", "digest": {"sha256": "aa"}}],
                "internalParameters": {},
            }
        }
    }
    rows = dict(provenance_rows(statement))
    assert rows["dependency"] == "docker-image://bash@sha256:aa sha256:aa" and rows["hermetic"].startswith("no")
    assert rows["context"] == "digest=c uri=gosh://x"
    assert rfc3339("2026-12-02 04:47:46.961270+00:00") == "2026-12-02T04:47:46Z"
    assert rfc3339("2026-12-02T04:47:46Z") == "2026-12-02T04:47:46Z"
    assert rfc3339("yesterday") == "yesterday"

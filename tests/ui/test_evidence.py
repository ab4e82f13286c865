"""The adapter from the library's verify report to the dashboard's evidence rows and badges."""

from __future__ import annotations

import json
from typing import Any

from goshfile.errors import EngineError
from goshfile.provenance import store
from goshfile.ui.evidence import Assessment, State, Status, assess, provenance_rows, rfc3339
from goshfile.verify.signature import ProofLedger, find_subject
from goshfile.verify.trust import TrustedSigner
from goshfile.workflows.verify import Sources
from tests.ui.fakes import Proof, World


def check(world: World, name: str, ledger: ProofLedger | None = None, pins: list[str] | None = None) -> Assessment:
    sources = Sources(
        world.images, world.registry, ledger or world.ledger, pins=[TrustedSigner(p, "ci", "test") for p in pins or []]
    )
    return assess(find_subject(name, world.images), sources)


def states(found: Assessment) -> dict[str, State]:
    return {e.name: e.state for e in found.evidence}


def test_ledger_and_registry_signature_both_verified_and_shown_as_rows(world: World) -> None:
    digest = world.signed("r.example/app:1")
    found = check(world, "r.example/app:1")
    assert found.status is Status.VERIFIED and found.warnings == ()
    assert states(found)["ledger proof"] is State.VERIFIED and states(found)["registry signature"] is State.VERIFIED
    assert states(found)["signer"] is State.SELF_DECLARED
    ledger = dict(next(e for e in found.evidence if e.name == "ledger proof").rows)
    assert ledger["content"] == digest and ledger["recorded at"] == "2026-12-02T04:00:00Z"
    assert all("{" not in value for e in found.evidence for _, value in e.rows)  # no reprs


def test_one_signature_only_is_a_warning(world: World) -> None:
    world.signed("r.example/ledger-only:1", registry=False)
    found = check(world, "r.example/ledger-only:1")
    assert found.status is Status.WARNING and found.warnings == ("only a ledger proof: no signature in the registry",)


def test_a_bad_proof_signature_is_invalid_and_fails(world: World) -> None:
    digest = world.add("r.example/app:1", {"WALLET_PUBLIC": world.key.public_hex})
    world.ledger.proofs[(world.key.public_hex, digest)] = Proof("0:" + "e" * 64, "2026-12-02T04:00:00Z", valid=False)
    found = check(world, "r.example/app:1")
    assert found.status is Status.FAILING and states(found)["ledger proof"] is State.INVALID
    assert "bad signature" in found.headline


def test_an_unreachable_ledger_is_could_not_check_not_failing(world: World) -> None:
    class Down:
        def check(self, public: str, content: str) -> bool:
            raise EngineError("cannot reach the node at http://127.0.0.1:9")

        def get(self, public: str, content: str) -> Any:
            raise EngineError("cannot reach the node at http://127.0.0.1:9")

    world.add("r.example/app:1", {"WALLET_PUBLIC": world.key.public_hex})
    found = check(world, "r.example/app:1", Down())
    assert found.status is Status.ERROR and "cannot reach the node" in found.headline
    assert states(found)["ledger proof"] is State.ERROR


def test_pinned_signers_decide_trusted_or_not(world: World) -> None:
    world.signed("r.example/app:1")
    mine = check(world, "r.example/app:1", pins=[world.key.public_hex])
    assert mine.status is Status.VERIFIED and mine.headline.endswith("(trusted: ci)")
    assert mine.trusted is not None and mine.trusted.name == "ci"
    theirs = check(world, "r.example/app:1", pins=["ab" * 32])
    assert theirs.status is Status.FAILING and "not a trusted signer" in theirs.headline


def test_tampered_provenance_is_invalid_and_missing_provenance_absent(world: World) -> None:
    digest = world.signed("r.example/app:1", provenance=True)
    good = check(world, "r.example/app:1")
    assert states(good)["provenance"] is State.VERIFIED and dict(good.provenance)["build args"] == "GREETING=hi"
    assert good.build_args == {"GREETING": "hi"}
    path = store.provenance_path(digest)
    envelope = json.loads(path.read_text())
    envelope["payload"] = envelope["payload"][:-4] + ("AAAA" if envelope["payload"][-4:] != "AAAA" else "BBBB")
    path.write_text(json.dumps(envelope))
    bad = check(world, "r.example/app:1")
    assert states(bad)["provenance"] is State.INVALID and bad.build_args is None and bad.status is Status.FAILING
    path.unlink()
    assert states(check(world, "r.example/app:1"))["provenance"] is State.ABSENT


def test_provenance_rows_tolerate_other_statements_and_times_are_rfc3339() -> None:
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
    assert rows["context"] == "gosh://x c"
    assert rfc3339("2026-12-02 04:47:46.961270+00:00") == "2026-12-02T04:47:46Z"
    assert rfc3339("2026-12-02T04:47:46Z") == "2026-12-02T04:47:46Z"
    assert rfc3339("yesterday") == "yesterday"

"""The SLSA provenance statement names everything that went into a build."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from goshfile.errors import InputError
from goshfile.provenance.statement import BuildRecord, encode, statement

URL = "gosh://0:" + "1" * 64 + "/dao/repo"
LABELS = {
    "goshfile.digest": "sha256:" + "cd" * 32,
    "goshfile.hermetic": "false",
    "goshfile.base": "docker.io/library/bash:latest@sha256:" + "ef" * 32,
    "goshfile.base.config": "sha256:" + "12" * 32,
    "goshfile.sources": json.dumps([{"url": URL, "commit": "a" * 40, "ref": "main"}]),
    "GOSH_ADDRESS": URL,
    "GOSH_COMMIT_HASH": "b" * 40,
}


def test_statement_records_subject_goshfile_base_sources_args_and_network() -> None:
    record = BuildRecord(
        image="127.0.0.1:5000/app:1",
        digest="sha256:" + "ab" * 32,
        labels=LABELS,
        build_args={"B": "2", "A": "1"},
        goshfile_path="goshfile.yaml",
        started=datetime(2026, 1, 1, tzinfo=UTC),
        finished=datetime(2026, 1, 1, 0, 1, tzinfo=UTC),
    )
    st = statement(record)
    assert st["_type"] == "https://in-toto.io/Statement/v1"
    assert st["subject"] == [{"name": "127.0.0.1:5000/app:1", "digest": {"sha256": "ab" * 32}}]
    build = st["predicate"]["buildDefinition"]
    assert build["externalParameters"]["goshfile"] == {"path": "goshfile.yaml", "digest": {"sha256": "cd" * 32}}
    assert list(build["externalParameters"]["buildArgs"]) == ["A", "B"]
    assert build["internalParameters"] == {"hermetic": False}
    deps = build["resolvedDependencies"]
    assert deps[0] == {
        "uri": "docker-image://docker.io/library/bash:latest@sha256:" + "ef" * 32,
        "digest": {"sha256": "ef" * 32},
        "annotations": {"imageConfig": "sha256:" + "12" * 32},
    }
    assert deps[1] == {"uri": URL, "digest": {"gitCommit": "a" * 40}, "annotations": {"ref": "main"}}
    assert deps[2] == {"uri": URL, "digest": {"gitCommit": "b" * 40}}
    assert st["predicate"]["runDetails"]["metadata"] == {
        "startedOn": "2026-01-01T00:00:00Z",
        "finishedOn": "2026-01-01T00:01:00Z",
    }


def test_encoding_is_canonical() -> None:
    record = BuildRecord(image="x", digest="sha256:" + "ab" * 32, labels=LABELS)
    assert encode(statement(record)) == encode(json.loads(encode(statement(record))))
    assert b" " not in encode(statement(record)).replace(b"docker-image://", b"")


def test_a_malformed_digest_is_refused() -> None:
    with pytest.raises(InputError):
        statement(BuildRecord(image="x", digest="nodigest", labels={}))


def test_a_base_without_a_registry_digest_is_named_by_its_config_digest() -> None:
    labels = {**LABELS, "goshfile.base": "bash:latest"}
    record = BuildRecord(image="x", digest="sha256:" + "ab" * 32, labels=labels)
    base = statement(record)["predicate"]["buildDefinition"]["resolvedDependencies"][0]
    assert base == {
        "uri": "docker-image://bash:latest",
        "digest": {"sha256": "12" * 32},
        "annotations": {"digestOf": "config"},
    }


def test_the_context_is_recorded_as_described() -> None:
    context = {"uri": URL, "digest": {"gitCommit": "b" * 40}}
    record = BuildRecord(image="x", digest="sha256:" + "ab" * 32, labels=LABELS, context=context)
    assert statement(record)["predicate"]["buildDefinition"]["externalParameters"]["context"] == context

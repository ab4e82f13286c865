"""The published schema file is the one the model generates."""

from __future__ import annotations

from pathlib import Path

from goshfile.spec.schema import render

PUBLISHED = Path(__file__).resolve().parents[2] / "schema" / "goshfile.schema.json"


def test_published_schema_matches_the_model() -> None:
    assert PUBLISHED.read_text() == render(), "regenerate it: goshfile schema > schema/goshfile.schema.json"

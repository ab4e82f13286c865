"""The trusted-signers file the dashboard adds to."""

from __future__ import annotations

from pathlib import Path

import pytest

from goshfile.errors import InputError
from goshfile.ui.trust import Trusted, TrustFile, default_trust
from goshfile.verify.trust import TrustedSigner, read_trusted_signers

KEY = "ab" * 32
OTHER = "CD" * 32


def test_adding_keeps_one_line_per_key_with_a_clean_name(tmp_path: Path) -> None:
    trust = TrustFile(tmp_path / "dir" / "trusted-signers")
    assert trust.signers() == []
    assert trust.add(KEY, "release\nbot # evil")
    assert not trust.add(KEY.upper(), "again")  # the same key, in another case
    assert trust.add(OTHER)
    assert trust.signers() == [Trusted(KEY, "release bot evil"), Trusted(OTHER.lower(), "")]
    assert (tmp_path / "dir" / "trusted-signers").read_text() == f"{KEY} release bot evil\n{OTHER.lower()}\n"


def test_comments_and_blank_lines_are_kept_and_a_bad_line_is_named(tmp_path: Path) -> None:
    path = tmp_path / "trusted-signers"
    path.write_text(f"# who we trust\n\n{KEY} ci  # the CI key\nnot-a-key\n")
    with pytest.raises(InputError, match=r"trusted-signers:4: 'not-a-key' is not a public key"):
        TrustFile(path).signers()
    path.write_text(f"# who we trust\n\n{KEY} ci  # the CI key")
    trust = TrustFile(path)
    assert trust.add(OTHER, "ops")
    assert path.read_text().startswith("# who we trust\n\n")
    assert trust.signers() == [Trusted(KEY, "ci"), Trusted(OTHER.lower(), "ops")]
    with pytest.raises(InputError, match="not 64 hex"):
        trust.add("<script>")


def test_the_default_file_is_the_one_goshfile_verify_reads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOSHFILE_HOME", str(tmp_path))
    trust = default_trust()
    assert trust.add(KEY, "ci")
    assert read_trusted_signers() == [TrustedSigner(KEY, "ci", f"{tmp_path / 'trusted-signers'}:1")]

"""The one .dockerignore parser and matcher (Docker's pattern rules)."""

from __future__ import annotations

from pathlib import Path

import pytest

from goshfile.dockerignore import Matcher, parse


def test_parse_skips_comments_and_blanks_and_cleans_paths() -> None:
    text = "# comment\n\n  build.log  \n/abs/x\n./rel/../y\n!keep.txt\n! spaced\n.\n"
    assert parse(text) == ["build.log", "abs/x", "y", "!keep.txt", "!spaced"]


@pytest.mark.parametrize(
    ("patterns", "path", "excluded"),
    [
        (["build.log"], "build.log", True),
        (["build.log"], "sub/build.log", False),  # patterns are rooted at the context
        (["*.log"], "a.log", True),
        (["*.log"], "logs/a.log", False),  # * stays within a segment
        (["**/*.log"], "logs/deep/a.log", True),
        (["**/*.log"], "a.log", True),  # ** may be no segment at all
        (["logs"], "logs/deep/a.log", True),  # a folder takes its contents with it
        (["logs/**"], "logs/a", True),
        (["?.txt"], "a.txt", True),
        (["?.txt"], "ab.txt", False),
        (["[ab].txt"], "b.txt", True),
        (["[^ab].txt"], "b.txt", False),
        (["*.log", "!keep.log"], "keep.log", False),  # the last match decides
        (["!keep.log", "*.log"], "keep.log", True),
        ([], "anything", False),
    ],
)
def test_matching(patterns: list[str], path: str, excluded: bool) -> None:
    assert Matcher.of(patterns).excluded(path) is excluded


def test_for_context_reads_the_file_or_excludes_nothing(tmp_path: Path) -> None:
    assert not Matcher.for_context(tmp_path).excluded("x")
    (tmp_path / ".dockerignore").write_text("x\n!y\n")
    matcher = Matcher.for_context(tmp_path)
    assert matcher.excluded("x") and not matcher.excluded("y") and matcher.has_exceptions

"""lint as a library call: problems, warnings and required build args, without printing."""

from __future__ import annotations

from pathlib import Path

import pytest

from goshfile.errors import InputError
from goshfile.workflows.lint import lint


def test_required_args_are_warnings_without_build_args_and_problems_with_them(tmp_path: Path) -> None:
    path = tmp_path / "g.yaml"
    path.write_text("# syntax=teamgosh/goshfile\napiVersion: 1\nimage: scratch\nargs: {NEEDED: null, OK: x}\n")
    report = lint(str(path))
    assert report.ok and report.steps == 0
    assert report.warnings == [f"{path}:4:8: build arg NEEDED has no default: a build needs --build-arg NEEDED=..."]
    failed = lint(str(path), {"OK": "y"})
    assert not failed.ok and [p.path for p in failed.problems] == ["args.NEEDED"]
    assert lint(str(path), {"NEEDED": "1"}).ok


def test_an_unreadable_file_is_bad_input_not_a_report(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file") as info:
        lint(str(tmp_path / "missing.yaml"))
    assert isinstance(info.value.__cause__, FileNotFoundError)

"""The ``docker buildx build`` command line goshfile runs (no engine needed to build it)."""

from __future__ import annotations

from pathlib import Path

from goshfile.engine.buildx import BuildRequest, BuildxBuilder


def command(tmp_path: Path, **kw: object) -> list[str]:
    request = BuildRequest(context=tmp_path, file=tmp_path / "goshfile.yaml", tags=("reg/app:1",), **kw)  # type: ignore[arg-type]
    return BuildxBuilder().command(request, tmp_path / "meta.json")


def test_buildkits_provenance_is_off_unless_asked(tmp_path: Path) -> None:
    cmd = command(tmp_path)
    assert cmd[cmd.index("--provenance") + 1] == "false"
    asked = command(tmp_path, buildkit_provenance="mode=max")
    assert asked[asked.index("--provenance") + 1] == "mode=max"


def test_buildkits_rewrite_goes_to_an_archive_that_is_loaded_afterwards(tmp_path: Path) -> None:
    cmd = command(tmp_path, rewrite_timestamp=True)
    assert cmd[cmd.index("--output") + 1] == f"type=oci,dest={tmp_path / 'image.tar'},rewrite-timestamp=true"
    assert "-t" in cmd
    assert "--output" not in command(tmp_path, push=True) and "--push" in command(tmp_path, push=True)


def test_several_platforms_are_passed_as_one_list(tmp_path: Path) -> None:
    cmd = command(tmp_path, platform="linux/amd64,linux/arm64")
    assert cmd[cmd.index("--platform") + 1] == "linux/amd64,linux/arm64"
    assert BuildRequest(context=tmp_path, file=tmp_path, platform=" a/b , c/d,").platforms == ["a/b", "c/d"]

"""The buildx command line goshfile build runs: secrets, ssh agents and --target pass through."""

from __future__ import annotations

import itertools
from pathlib import Path

from goshfile.engine import BuildRequest, BuildxBuilder


def test_secret_ssh_and_target_reach_buildx(tmp_path: Path) -> None:
    request = BuildRequest(
        context=tmp_path,
        file=tmp_path / "goshfile.yaml",
        secrets=("id=token,env=TOKEN", "id=key,src=/k"),
        ssh=("default",),
        target="compile",
    )
    cmd = BuildxBuilder().command(request, tmp_path / "meta.json")
    assert cmd[-1] == str(tmp_path)
    pairs = list(itertools.pairwise(cmd))
    assert ("--secret", "id=token,env=TOKEN") in pairs and ("--secret", "id=key,src=/k") in pairs
    assert ("--ssh", "default") in pairs and ("--target", "compile") in pairs


def test_no_flags_without_secrets_ssh_or_target(tmp_path: Path) -> None:
    cmd = BuildxBuilder().command(BuildRequest(context=tmp_path, file=tmp_path / "g.yaml"), tmp_path / "m.json")
    assert not {"--secret", "--ssh", "--target"} & set(cmd)

"""A build that fails on a known engine race is tried again and said; any other failure is not."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from goshfile.engine import BuildRequest, BuildxBuilder
from goshfile.engine.races import ATTEMPTS, GATEWAY_CLOSED, LOST_SNAPSHOT, known_race, retry_notice
from goshfile.engine.terminal import plain
from goshfile.errors import EngineError

# As Docker 28.5.2 printed it in CI (moby/buildkit#6521)
RACE = (
    '#13 ERROR: failed to prepare extraction snapshot "extract-460946305-gyfS sha256:4703e0e6bf4a3fb73480334a1e514cd3'
    'aca427d82602849b9812aecf064cde45": parent snapshot sha256:06bffa6f95e6bc64cd2e4fbe2a8fb867761ba4a46ca5471ee45f79e8'
    "59b8f390 does not exist: not found"
)
OTHER = 'ERROR: failed to solve: process "/bin/sh -c false" did not complete successfully: exit code: 1'
# As buildx prints BuildKit's error (frontend/gateway/gateway.go) when the gateway stops serving first
GATEWAY = "ERROR: failed to solve: frontend grpc server closed unexpectedly"


def fake_docker(tmp_path: Path, failures: list[str]) -> tuple[Path, Path]:
    """A ``docker`` that prints the next of ``failures`` and exits 1, then succeeds; and its call count file."""
    calls = tmp_path / "calls"
    calls.write_text("0")
    script = tmp_path / "docker"
    lines = "\n".join(f"  {i}) printf '%s\\n' {json.dumps(text)} >&2; exit 1 ;;" for i, text in enumerate(failures, 1))
    script.write_text(
        f"""#!/bin/sh
n=$(( $(cat {calls}) + 1 )); echo $n > {calls}
echo "#1 [internal] load build definition" >&2
[ -t 2 ] && printf '\033[?25l\033[1A\033[0Gdrawn on a terminal\n\033[?25h\033[31m' >&2
case $n in
{lines}
esac
while [ $# -gt 0 ]; do
  [ "$1" = --metadata-file ] && printf '{{"containerimage.digest": "sha256:ab"}}' > "$2"; shift
done
"""
    )
    script.chmod(0o755)
    return script, calls


def request(tmp_path: Path, progress: str = "plain") -> BuildRequest:
    (tmp_path / "goshfile.yaml").write_text("# syntax=teamgosh/goshfile\n")
    return BuildRequest(context=tmp_path, file=tmp_path / "goshfile.yaml", progress=progress)


def test_the_lost_snapshot_race_is_tried_again_and_said(tmp_path: Path) -> None:
    docker, calls = fake_docker(tmp_path, [RACE])
    shown: list[bytes] = []
    result = BuildxBuilder(str(docker), relay=shown.append).build(request(tmp_path))
    assert result.digest == "sha256:ab"
    assert calls.read_text().strip() == "2"
    text = b"".join(shown).decode()
    assert RACE in text  # the engine's own output is relayed, the failed attempt's too
    assert f"trying again (2 of {ATTEMPTS})" in text and "moby/buildkit#6521" in text


def test_on_a_terminal_the_race_is_still_told_and_tried_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # our stderr is a terminal and nothing relays: buildx draws on a pseudo-terminal that we read back
    leader, follower = os.openpty()
    terminal = os.fdopen(follower, "w", encoding="utf-8")
    monkeypatch.setattr(sys, "stderr", terminal)
    try:
        docker, calls = fake_docker(tmp_path, [GATEWAY])
        result = BuildxBuilder(str(docker)).build(request(tmp_path, progress="auto"))
        terminal.flush()
        os.set_blocking(leader, False)
        text = os.read(leader, 1 << 16).decode()
    finally:
        terminal.close()
        os.close(leader)
    assert result.digest == "sha256:ab"
    assert calls.read_text().strip() == "2"
    assert text.count("drawn on a terminal") == 2  # both attempts drew on a terminal
    assert GATEWAY in text and "trying again (2 of 3)" in text


def test_another_failure_is_not_tried_again(tmp_path: Path) -> None:
    docker, calls = fake_docker(tmp_path, [OTHER, OTHER])
    shown: list[bytes] = []
    with pytest.raises(EngineError, match=r"docker buildx build failed \(exit status 1\)"):
        BuildxBuilder(str(docker), relay=shown.append).build(request(tmp_path))
    assert calls.read_text().strip() == "1"
    assert b"trying again" not in b"".join(shown)


def test_the_race_every_time_fails_after_the_last_attempt(tmp_path: Path) -> None:
    docker, calls = fake_docker(tmp_path, [RACE] * (ATTEMPTS + 1))
    shown: list[bytes] = []
    with pytest.raises(EngineError):
        BuildxBuilder(str(docker), relay=shown.append).build(request(tmp_path))
    assert calls.read_text().strip() == str(ATTEMPTS)
    assert b"".join(shown).decode().count("trying again") == ATTEMPTS - 1


def test_the_gateway_race_is_tried_again_and_named(tmp_path: Path) -> None:
    docker, calls = fake_docker(tmp_path, [GATEWAY, RACE])
    shown: list[bytes] = []
    result = BuildxBuilder(str(docker), relay=shown.append).build(request(tmp_path))
    assert result.digest == "sha256:ab"
    assert calls.read_text().strip() == "3"
    notices = [line for line in b"".join(shown).decode().splitlines() if "trying again" in line]
    assert len(notices) == 2
    assert "frontend grpc server closed unexpectedly" in notices[0] and GATEWAY_CLOSED.tracked in notices[0]
    assert "(2 of 3)" in notices[0] and "(3 of 3)" in notices[1] and LOST_SNAPSHOT.tracked in notices[1]


def test_only_the_known_races_count() -> None:
    assert known_race(RACE) is LOST_SNAPSHOT
    assert known_race(RACE.replace('"', '\\"')) is LOST_SNAPSHOT  # as a JSON-quoted log shows it
    assert known_race(GATEWAY) is GATEWAY_CLOSED
    assert known_race(OTHER) is None
    # a run step's mount failing on a missing snapshot (moby/buildkit#4024) is another bug: not retried
    assert known_race("failed to mount /src: parent snapshot sha256:c032 does not exist: not found") is None
    buildctl = "error: failed to solve: frontend grpc server closed unexpectedly\n"
    assert known_race(buildctl) is GATEWAY_CLOSED
    buildx_0_29 = "ERROR: failed to build: failed to solve: frontend grpc server closed unexpectedly\n"
    assert known_race(buildx_0_29) is GATEWAY_CLOSED
    # as drawn on a terminal: the display's last frame, then the error in colour, read back as plain text
    drawn = "\x1b[?25l\x1b[1A\x1b[0G[+] Building 0.4s (3/3) FINISHED\r\n\x1b[?25h\x1b[31m" + GATEWAY + "\x1b[0m\r\n"
    assert known_race(drawn) is None and known_race(plain(drawn)) is GATEWAY_CLOSED
    # the frontend's own errors, returned to BuildKit, are not the gateway's
    assert known_race("ERROR: failed to solve: goshfile.yaml:3: steps[0].run: expected a string") is None
    # only the build's final error line counts: not a step's output, not goshfile's own notice
    assert known_race("#7 0.51 frontend grpc server closed unexpectedly\n" + OTHER) is None
    assert known_race(retry_notice("docker buildx build", 2, GATEWAY_CLOSED)) is None

"""Secret and ssh mounts in conversion, the missing-secret probe, --target, and ops pointing at their steps' lines."""

from __future__ import annotations

import json
import platform
import subprocess
from pathlib import Path

import pytest

from goshfile.buildkit import ops_pb2 as pb
from goshfile.errors import SpecError
from goshfile.frontend.gateway import SolveError
from goshfile.frontend.probe import exit0_elf
from tests.frontend.conftest import run_convert
from tests.frontend.fake_gateway import FakeGateway
from tests.frontend.test_build import build
from tests.helpers import HEADER, problems

SECRETS = (
    HEADER
    + """steps:
  - name: sign
    run:
      command: [/bin/sh, -c, "sign"]
      mounts:
        - {type: secret, id: key, uid: 1000, gid: 1000, mode: 0440}
        - {type: secret, id: token, env: TOKEN}
        - {type: secret, id: both, env: BOTH, dst: /etc/both, required: false}
        - {type: ssh}
        - {type: ssh, id: deploy, dst: /ssh/deploy.sock, required: false}
  - name: after
    run: {command: [/bin/true]}
"""
)


def test_secret_mounts_become_secret_mounts_and_secret_env() -> None:
    exec_op = run_convert(SECRETS).step("sign").exec
    secrets = [m for m in exec_op.mounts if m.mountType == pb.SECRET]
    assert [(m.dest, m.secretOpt.ID, m.secretOpt.optional) for m in secrets] == [
        ("/run/secrets/key", "key", False),
        ("/etc/both", "both", True),
    ]
    assert (secrets[0].secretOpt.uid, secrets[0].secretOpt.gid, secrets[0].secretOpt.mode) == (1000, 1000, 0o440)
    assert [(e.ID, e.name, e.optional) for e in exec_op.secretenv] == [
        ("token", "TOKEN", False),
        ("both", "BOTH", True),
    ]
    ssh = [m for m in exec_op.mounts if m.mountType == pb.SSH]
    assert [(m.dest, m.SSHOpt.ID, m.SSHOpt.optional, m.SSHOpt.mode) for m in ssh] == [
        ("/run/buildkit/ssh_agent.0", "default", False, 0o600),
        ("/ssh/deploy.sock", "deploy", True, 0o600),
    ]
    assert "SSH_AUTH_SOCK=/run/buildkit/ssh_agent.0" in exec_op.meta.env


def test_secrets_leave_no_trace_in_the_image_config() -> None:
    converted = run_convert(SECRETS)
    config = json.dumps(converted.image)
    assert "TOKEN" not in config and "ssh_agent" not in config and "/run/secrets" not in config


@pytest.mark.parametrize(
    ("mount", "message"),
    [
        ("{type: secret, id: k, uid: 4294967296}", "steps[0].run.mounts[0].uid"),
        ("{type: secret, id: k, gid: -1}", "steps[0].run.mounts[0].gid"),
        ("{type: secret, id: k, mode: 65536}", "steps[0].run.mounts[0].mode"),
        ("{type: secret, id: 'a b'}", "steps[0].run.mounts[0].id"),
        ("{type: secret, id: k, env: 'A-B'}", "steps[0].run.mounts[0].env"),
        ("{type: ssh, dst: relative}", "steps[0].run.mounts[0].dst"),
        ("{type: secret}", "steps[0].run.mounts[0].id"),
        ("{type: cache, dst: /c}, {type: secret, id: k, dst: /c/}", "mounts[1] and mounts[0] are both mounted at /c"),
        ("{type: ssh, dst: /}", "mounts[0] cannot be mounted at / (the step's root filesystem)"),
    ],
)
def test_secret_and_ssh_fields_are_checked(mount: str, message: str) -> None:
    text = HEADER + f"steps:\n  - name: s\n    run:\n      command: [/x]\n      mounts: [{mount}]\n"
    assert any(message in p for p in problems(text, lint=True)), problems(text, lint=True)


def test_a_build_with_a_required_secret_first_solves_an_evaluated_probe(gateway: FakeGateway) -> None:
    assert build(gateway, "# syntax=teamgosh/goshfile\n" + SECRETS)[0] == 0
    assert gateway.errors == []
    assert gateway.evaluated == [False, True, False]  # goshfile, probe (evaluated), build
    probe = gateway.graph(1)
    run = probe.result.exec
    assert run.meta.args == ["/goshfile-probe"] and run.network == pb.NONE
    needed = sorted((m.mountType, (m.secretOpt.ID or m.SSHOpt.ID), m.secretOpt.optional) for m in run.mounts[1:])
    assert needed == [(pb.SECRET, "key", False), (pb.SECRET, "token", False), (pb.SSH, "default", False)]
    digest = probe.digests[-2]
    assert probe.definition.metadata[digest].ignore_cache  # a secret removed since the last build is noticed
    [write] = probe.of_type("file")
    assert write.file.actions[0].mkfile.data == exit0_elf("amd64")


def test_a_missing_required_secret_fails_before_any_step_with_the_step_and_its_lines(gateway: FakeGateway) -> None:
    gateway.solve_errors = [None, SolveError("secret token: not found")]
    assert build(gateway, "# syntax=teamgosh/goshfile\n" + SECRETS)[0] == 0
    assert len(gateway.solves) == 1  # the build itself was never solved
    [(_, message)] = gateway.errors
    assert message.startswith("secret 'token' is required by step [1/2] sign but was not given: pass --secret id=token")
    [(_, value)] = gateway.error_details[0]
    assert json.loads(value)["ranges"][0]["start"]["line"] == 5  # the step starts on line 5 (after the syntax line)


def test_a_missing_ssh_agent_names_the_ssh_flag(gateway: FakeGateway) -> None:
    gateway.solve_errors = [None, SolveError('no SSH key "default" forwarded from the client')]
    assert build(gateway, "# syntax=teamgosh/goshfile\n" + SECRETS)[0] == 0
    assert gateway.errors[0][1].startswith("ssh agent 'default' is required by step [1/2] sign but was not given")


def test_another_probe_failure_is_handed_back_unchanged(gateway: FakeGateway) -> None:
    gateway.solve_errors = [None, SolveError("worker gone", 14, (("x/y", b"z"),))]
    assert build(gateway, "# syntax=teamgosh/goshfile\n" + SECRETS)[0] == 0
    assert gateway.errors == [(14, "worker gone")] and gateway.error_details == [(("x/y", b"z"),)]


def test_for_a_platform_without_a_probe_program_the_probe_runs_on_the_workers(gateway: FakeGateway) -> None:
    workers = json.dumps([{"Platforms": [{"OS": "linux", "Architecture": "arm64"}]}])
    text = "# syntax=teamgosh/goshfile\n" + SECRETS
    assert build(gateway, text, {"platform": "linux/s390x"}, BUILDKIT_WORKERS=workers)[0] == 0
    probe = gateway.graph(1)
    assert probe.result.exec.meta.args == ["/goshfile-probe"] and probe.result.platform.Architecture == "arm64"
    assert gateway.graph(2).result.platform.Architecture == "s390x"


def test_no_probe_without_required_secrets(gateway: FakeGateway) -> None:
    optional = SECRETS.replace("id: key,", "id: key, required: false,").replace(
        "env: TOKEN}", "env: TOKEN, required: false}"
    )
    optional = optional.replace("- {type: ssh}", "- {type: ssh, required: false}")
    assert build(gateway, optional)[0] == 0
    assert gateway.evaluated == [False, False]


def test_the_probe_program_runs_and_exits_0_here(tmp_path: Path) -> None:
    arch = {"x86_64": "amd64", "aarch64": "arm64"}.get(platform.machine())
    assert arch is not None, platform.machine()
    program = tmp_path / "probe"
    data = exit0_elf(arch)
    assert data is not None
    program.write_bytes(data)
    program.chmod(0o755)
    assert subprocess.run([str(program)], check=False).returncode == 0
    assert exit0_elf("s390x") is None


TARGETS = (
    HEADER
    + """env: {A: "1"}
cmd: [/app]
labels: {team: x}
steps:
  - name: one
    run: {command: [/one]}
  - name: two
    run: {command: [/two]}
  - name: three
    run: {command: [/three]}
"""
)


def test_target_builds_up_to_the_step_with_the_whole_files_image_config() -> None:
    converted = run_convert(TARGETS, opts={"target": "two"})
    assert converted.graph.result.exec.meta.args == ["/two"]
    assert [converted.graph.name(d) for d in converted.graph.digests[1:-1]] == ["[1/2] one", "[2/2] two"]
    assert converted.config["Cmd"] == ["/app"] and "A=1" in converted.config["Env"]
    assert converted.labels["team"] == "x"
    assert len(converted.image["history"]) == 2


def test_an_unknown_target_names_the_steps() -> None:
    with pytest.raises(SpecError) as info:
        run_convert(TARGETS, opts={"target": "four"})
    assert "--target 'four' is not a step name (steps: 'one', 'two', 'three')" in str(info.value)


def test_each_step_op_points_at_its_lines(gateway: FakeGateway) -> None:
    text = "# syntax=teamgosh/goshfile\n" + TARGETS
    assert build(gateway, text)[0] == 0
    final = gateway.graph(1)
    source = final.definition.Source
    assert [i.filename for i in source.infos] == ["goshfile.yaml"] and source.infos[0].data == text.encode()
    spans = {}
    for digest, loc in source.locations.items():
        [entry] = loc.locations
        spans[final.name(digest)] = (entry.ranges[0].start.line, entry.ranges[0].end.line)
    assert spans == {"[1/3] one": (8, 9), "[2/3] two": (10, 11), "[3/3] three": (12, 13)}


def test_a_failed_step_is_handed_back_with_buildkits_details(gateway: FakeGateway) -> None:
    details = (("github.com/moby/buildkit/errdefs.Source+json", b"{}"), ("x/vertex", b"v"))
    gateway.solve_errors = [None, SolveError("process did not complete successfully: exit code: 3", 2, details)]
    assert build(gateway, TARGETS)[0] == 0
    assert gateway.errors == [(2, "process did not complete successfully: exit code: 3")]
    assert gateway.error_details == [details]


def test_5000_steps_load_convert_and_marshal(gateway: FakeGateway) -> None:
    steps = "".join(f"  - name: s{i}\n    run: {{command: [/bin/true, '{i}']}}\n" for i in range(5000))
    assert build(gateway, HEADER + "steps:\n" + steps)[0] == 0
    assert gateway.errors == []
    final = gateway.graph(1)
    assert len(final.ops) == 5002  # the base, 5000 steps, the final op
    assert final.result.exec.meta.args == ["/bin/true", "4999"]
    assert len(final.definition.Source.locations) == 5000

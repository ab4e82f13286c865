"""Secret and ssh mounts, --target, goshfile lines in errors and a 5,000-step goshfile, through real buildx."""

from __future__ import annotations

import base64
import json
import os
import struct
import subprocess
import sys
import uuid
from pathlib import Path

import docker
import pytest
from nacl.signing import SigningKey

from goshfile.keys.keypair import KeyPair
from tests.e2e.helpers import Images, Run, buildx, image_run, run, write

pytestmark = pytest.mark.docker
BASH = "/usr/local/bin/bash"
GOSHFILE_CLI = str(Path(sys.executable).parent / "goshfile")

SECRET_STEPS = f"""# syntax=teamgosh/goshfile
apiVersion: 1
image: bash:latest
steps:
  - name: before
    run: {{command: [{BASH}, -c, "echo BEFORE-RAN > /before.txt"]}}
  - name: sign with the key
    run:
      command: [{BASH}, -c]
      args: ['test "$TOKEN" = "$(cat /etc/key)" && wc -c < /etc/key > /len.txt
              && stat -c "%a %u" /etc/key > /key-stat.txt && test -S "$SSH_AUTH_SOCK" && echo ok > /ssh.txt']
      mounts:
        - {{type: secret, id: token, env: TOKEN}}
        - {{type: secret, id: token, dst: /etc/key, uid: 65534, mode: 0440}}
        - {{type: ssh}}
"""


def buildx_env(context: Path, env: dict[str, str], *args: str) -> Run:
    proc = subprocess.run(
        ["docker", "buildx", "build", "--progress=plain", "-f", str(context / "goshfile.yaml"), *args, str(context)],
        env={**os.environ, **env},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=300,
        check=False,
    )
    return Run(proc.returncode, proc.stdout)


def ssh_key(path: Path) -> Path:
    """An unencrypted ed25519 private key in OpenSSH's format (buildx serves it as an agent for --ssh)."""
    key = SigningKey.generate()
    public = bytes(key.verify_key)

    def string(data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + data

    blob = string(b"ssh-ed25519") + string(public)
    check = os.urandom(4)
    private = check + check + blob + string(bytes(key) + public) + string(b"e2e")
    private += bytes(range(1, 1 + (-len(private) % 8)))
    body = b"openssh-key-v1\0" + string(b"none") + string(b"none") + string(b"") + struct.pack(">I", 1)
    body += string(blob) + string(private)
    text = base64.b64encode(body).decode()
    lines = [text[i : i + 70] for i in range(0, len(text), 70)]
    path.write_text(
        "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----\n"
    )
    path.chmod(0o600)
    return path


def test_secrets_and_ssh_reach_the_step_and_leak_nowhere(tmp_path: Path, images: Images, registry: str) -> None:
    ctx = write(tmp_path / "ctx", {"goshfile.yaml": SECRET_STEPS})
    value = f"gs-{uuid.uuid4().hex}"
    home = tmp_path / "home"
    pair = KeyPair.generate()
    env = {
        "GS_TOKEN": value,
        "GOSHFILE_HOME": str(home),
        "WALLET": "0:" + "77" * 32,
        "WALLET_PUBLIC": pair.public_hex,
        "WALLET_SECRET": pair.reveal_secret(),
    }
    image = images.name("secrets", registry)
    key = ssh_key(tmp_path / "id_ed25519")
    cli_env = {k: v for k, v in os.environ.items() if k != "GOSH_NETWORK"} | env
    built = subprocess.run(
        [
            GOSHFILE_CLI,
            "build",
            str(ctx),
            "-t",
            image,
            "--push",
            "--sign",
            "--progress",
            "plain",
            "--frontend-image",
            "teamgosh/goshfile:latest",
            "--secret",
            "id=token,env=GS_TOKEN",
            "--ssh",
            f"default={key}",
        ],
        capture_output=True,
        text=True,
        env=cli_env,
        check=False,
    )
    assert built.returncode == 0, built.stderr
    assert image_run(image, "cat", "/len.txt", "/key-stat.txt", "/ssh.txt") == f"{len(value)}\n440 65534\nok\n"
    checked = subprocess.run(
        [GOSHFILE_CLI, "verify", "--provenance", "--json", image],
        capture_output=True,
        text=True,
        env=cli_env,
        check=False,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    saved = subprocess.run(["docker", "save", image], capture_output=True, check=True).stdout
    inspect = run(["docker", "inspect", image]).output
    history = run(["docker", "history", "--no-trunc", image]).output
    labels = docker.from_env().images.get(image).attrs["Config"]["Labels"]
    assert labels and "/run/secrets" not in json.dumps(labels)
    for text in (built.stdout, built.stderr, checked.stdout, inspect, history, json.dumps(labels)):
        assert value not in text
    assert value.encode() not in saved and base64.b64encode(value.encode()) not in saved
    envelopes = list((home / "provenance").iterdir())
    assert envelopes
    for envelope in envelopes:
        assert value.encode() not in envelope.read_bytes()
        assert base64.b64encode(value.encode())[:20] not in envelope.read_bytes()


def test_a_missing_required_secret_fails_before_any_step_naming_the_step_and_its_lines(
    tmp_path: Path, images: Images
) -> None:
    ctx = write(tmp_path, {"goshfile.yaml": SECRET_STEPS})
    result = buildx(ctx, "-t", images.name("nosecret"), "--no-cache")
    assert result.returncode != 0
    assert "secret 'token' is required by step [2/2] sign with the key but was not given" in result.output
    assert "pass --secret id=token,src=FILE" in result.output
    assert "[1/2] before" not in result.output  # no step ran
    assert "goshfile.yaml:7" in result.output and "   7 | >>>   - name: sign with the key" in result.output


def test_a_failing_step_shows_its_goshfile_lines(tmp_path: Path, images: Images) -> None:
    write(
        tmp_path,
        {
            "goshfile.yaml": f"""# syntax=teamgosh/goshfile
apiVersion: 1
image: bash:latest
steps:
  - name: fine
    run: {{command: [{BASH}, -c, "true"]}}
  - name: fails on purpose
    run:
      command: [{BASH}, -c, "exit 3"]
"""
        },
    )
    result = buildx(tmp_path, "-t", images.name("failing-lines"))
    assert result.returncode != 0
    assert "exit code: 3" in result.output
    assert "goshfile.yaml:7\n" in result.output
    assert "   7 | >>>   - name: fails on purpose" in result.output
    assert '   9 | >>>       command: [/usr/local/bin/bash, -c, "exit 3"]' in result.output


def test_a_frontend_error_shows_the_goshfile_lines(tmp_path: Path, images: Images) -> None:
    write(tmp_path, {"goshfile.yaml": "# syntax=teamgosh/goshfile\napiVersion: 1\nimage: bash:latest\nsteps: 3\n"})
    result = buildx(tmp_path, "-t", images.name("broken-lines"))
    assert result.returncode != 0
    assert "goshfile.yaml:4:8: steps: must be a list" in result.output
    assert "   4 | >>> steps: 3" in result.output


TARGETED = f"""# syntax=teamgosh/goshfile
apiVersion: 1
image: bash:latest
cmd: [{BASH}, -c, "cat /one.txt"]
labels: {{org.example.kind: targeted}}
steps:
  - name: one
    run: {{command: [{BASH}, -c, "echo one > /one.txt"]}}
  - name: two
    run: {{command: [{BASH}, -c, "echo two > /two.txt"]}}
  - name: three
    run: {{command: [{BASH}, -c, "echo three > /three.txt; exit 1"]}}
"""


def test_target_builds_the_image_as_it_is_after_the_step(tmp_path: Path, images: Images) -> None:
    ctx = write(tmp_path, {"goshfile.yaml": TARGETED})
    image = images.name("target")
    result = buildx(ctx, "-t", image, "--target", "two")
    assert result.returncode == 0, result.output
    assert "[2/2] two" in result.output and "three" not in result.output
    assert image_run(image, BASH, "-c", "cat /one.txt /two.txt; test ! -e /three.txt && echo absent") == (
        "one\ntwo\nabsent\n"
    )
    config = docker.from_env().images.get(image).attrs["Config"]
    assert config["Cmd"] == [BASH, "-c", "cat /one.txt"] and config["Labels"]["org.example.kind"] == "targeted"
    unknown = buildx(ctx, "-t", image, "--target", "four")
    assert unknown.returncode != 0 and "--target 'four' is not a step name" in unknown.output


def test_goshfile_build_takes_target(tmp_path: Path, images: Images) -> None:
    ctx = write(tmp_path, {"goshfile.yaml": TARGETED})
    image = images.name("cli-target")
    built = subprocess.run(
        [
            GOSHFILE_CLI,
            "build",
            str(ctx),
            "-t",
            image,
            "--target",
            "one",
            "--frontend-image",
            "teamgosh/goshfile:latest",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert built.returncode == 0, built.stderr
    assert image_run(image, BASH, "-c", "cat /one.txt; test ! -e /two.txt && echo absent") == "one\nabsent\n"


def test_a_5000_step_goshfile_lints_marshals_and_builds_its_first_steps(tmp_path: Path, images: Images) -> None:
    steps = "".join(
        f"  - name: step {i}\n    run: {{command: [{BASH}, -c, 'echo {i} >> /steps.txt']}}\n" for i in range(5000)
    )
    ctx = write(
        tmp_path, {"goshfile.yaml": "# syntax=teamgosh/goshfile\napiVersion: 1\nimage: bash:latest\nsteps:\n" + steps}
    )
    lint = run([GOSHFILE_CLI, "lint", "-f", str(ctx / "goshfile.yaml")])
    assert lint.returncode == 0 and "ok (5000 steps)" in lint.output, lint.output
    llb = run([GOSHFILE_CLI, "llb", "-f", str(ctx / "goshfile.yaml"), "--json"])
    assert llb.returncode == 0, llb.output[-2000:]
    assert llb.output.count('"type": "exec"') == 5000 or llb.output.count('"exec"') >= 5000
    checked = subprocess.run(
        ["docker", "buildx", "build", "--print=lint", "-f", str(ctx / "goshfile.yaml"), str(ctx)],
        env={**os.environ, "BUILDX_EXPERIMENTAL": "1"},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert checked.returncode == 0 and "Check complete, no warnings found." in checked.stdout, checked.stderr[-2000:]
    image = images.name("steps5000")
    result = buildx(ctx, "-t", image, "--target", "step 2")
    assert result.returncode == 0, result.output[-3000:]
    assert "[3/3] step 2" in result.output
    assert image_run(image, "cat", "/steps.txt") == "0\n1\n2\n"

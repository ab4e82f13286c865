"""Goshfile features end to end: network isolation, env/workdir/user, copy, cache mounts, build args, contexts."""

from __future__ import annotations

import uuid
from pathlib import Path

import docker
import pytest

from tests.e2e.helpers import Images, buildx, image_run, interfaces, write

pytestmark = pytest.mark.docker
BASH = "/usr/local/bin/bash"


def test_steps_have_no_network_unless_they_opt_in(tmp_path: Path, images: Images) -> None:
    write(
        tmp_path,
        {
            "goshfile.yaml": f"""# syntax=teamgosh/goshfile
apiVersion: 1
image: bash:latest
steps:
  - name: offline
    run:
      command: [{BASH}, -c, "cat /proc/net/dev > /net-none.txt"]
  - name: online
    run:
      command: [{BASH}, -c, "cat /proc/net/dev > /net-default.txt"]
      network: default
"""
        },
    )
    image = images.name("network")
    result = buildx(tmp_path, "-t", image)
    assert result.returncode == 0, result.output
    assert interfaces(image_run(image, "cat", "/net-none.txt")) == {"lo"}
    assert interfaces(image_run(image, "cat", "/net-default.txt")) - {"lo"}, "the opted-in step had no network"
    labels = docker.from_env().images.get(image).attrs["Config"]["Labels"]
    assert labels["goshfile.hermetic"] == "false"


MULTI = f"""# syntax=teamgosh/goshfile
apiVersion: 1
image: bash:latest
args:
  GREETING: hello
  NAME: null
  CACHE_ID: null
env:
  APP_HOME: /app
workdir: /app
user: nobody
cmd: [{BASH}, /app/run.sh]
labels:
  org.example.kind: demo
x-notes: ignored by goshfile
steps:
  - name: add sources
    copy:
      src: [src/run.sh, data]
      dst: ./
      chown: "65534:65534"
  - name: use the cache
    run:
      command: [{BASH}, -c]
      args:
        - echo "${{GREETING}} ${{NAME}}" >> /cache/log && cp /cache/log /app/log.txt && pwd > /app/where.txt
          && echo "$APP_HOME $STEP_ONLY" > /app/env.txt && id -u > /app/uid.txt
      env:
        STEP_ONLY: step-value
      user: "0"
      mounts:
        - type: cache
          dst: /cache
          id: ${{CACHE_ID}}
  - name: as the image user
    run:
      command: [{BASH}, -c, "id -u > /tmp/uid.txt && pwd > /tmp/step-wd.txt"]
      workdir: /tmp
  - name: gather
    copy:
      from: use the cache
      src: /app/log.txt
      dst: /gathered/
      chown: "0:0"
"""


def test_multi_step_goshfile_produces_the_expected_files_and_config(tmp_path: Path, images: Images) -> None:
    write(
        tmp_path,
        {
            "goshfile.yaml": MULTI,
            "src/run.sh": "echo running\n",
            "data/one.txt": "one\n",
            "data/nested/two.txt": "two\n",
            "secret.key": "must not be copied\n",
            ".dockerignore": "*.key\n",
        },
    )
    image = images.name("multi")
    cache_id = f"e2e-{uuid.uuid4().hex[:8]}"
    first = buildx(tmp_path, "-t", image, "--build-arg", "NAME=world", "--build-arg", f"CACHE_ID={cache_id}")
    assert first.returncode == 0, first.output
    files = image_run(
        image,
        BASH,
        "-c",
        "cat /app/log.txt /app/where.txt /app/env.txt /app/uid.txt /tmp/uid.txt /tmp/step-wd.txt; "
        "cat /app/run.sh /app/one.txt /app/nested/two.txt /gathered/log.txt; "
        "stat -c '%u %n' /app/run.sh /app/one.txt /gathered/log.txt; ls /app",
    ).splitlines()
    assert files[:6] == ["hello world", "/app", "/app step-value", "0", "65534", "/tmp"]
    assert files[6:10] == ["echo running", "one", "two", "hello world"]
    assert files[10:13] == ["65534 /app/run.sh", "65534 /app/one.txt", "0 /gathered/log.txt"]
    assert "secret.key" not in files[13:]
    config = docker.from_env().images.get(image).attrs["Config"]
    assert "APP_HOME=/app" in config["Env"]
    assert not any(e.startswith("STEP_ONLY=") for e in config["Env"])
    assert config["WorkingDir"] == "/app"
    assert config["User"] == "nobody"
    assert config["Cmd"] == [BASH, "/app/run.sh"]
    assert config["Labels"]["org.example.kind"] == "demo"

    # The cache mount outlives the build: a rebuild with another NAME appends to the same log.
    second = buildx(tmp_path, "-t", image, "--build-arg", "NAME=again", "--build-arg", f"CACHE_ID={cache_id}")
    assert second.returncode == 0, second.output
    assert image_run(image, "cat", "/app/log.txt").splitlines() == ["hello world", "hello again"]


def test_copy_from_a_named_build_context(tmp_path: Path, images: Images) -> None:
    write(
        tmp_path / "main",
        {
            "goshfile.yaml": """# syntax=teamgosh/goshfile
apiVersion: 1
image: bash:latest
steps:
  - name: vendor
    copy: {from: extra, src: lib.txt, dst: /vendor/}
  - name: mounted
    run:
      command: [/usr/local/bin/bash, -c, "cat /mnt/lib.txt > /from-mount.txt"]
      mounts: [{type: bind, from: extra, dst: /mnt}]
"""
        },
    )
    write(tmp_path / "extra", {"lib.txt": "library\n"})
    image = images.name("contexts")
    result = buildx(tmp_path / "main", "-t", image, "--build-context", f"extra={tmp_path / 'extra'}")
    assert result.returncode == 0, result.output
    assert image_run(image, "cat", "/vendor/lib.txt", "/from-mount.txt") == "library\nlibrary\n"

    missing = buildx(tmp_path / "main", "-t", image)
    assert missing.returncode != 0
    assert "'extra' is neither an earlier step nor a build context" in missing.output


def test_broken_goshfile_fails_with_its_file_line_message(tmp_path: Path, images: Images) -> None:
    write(
        tmp_path,
        {
            "goshfile.yaml": """# syntax=teamgosh/goshfile
apiVersion: 1
image: bash:latest
steps:
  - name: bad
    run:
      command: /usr/local/bin/bash
      netwrk: none
"""
        },
    )
    result = buildx(tmp_path, "-t", images.name("broken"))
    assert result.returncode != 0
    assert "goshfile.yaml:7:16: steps[0].run.command: must be a list of strings" in result.output
    assert "goshfile.yaml:8:7: steps[0].run.netwrk: unknown field" in result.output


def test_failing_step_reports_the_step_and_fails_the_build(tmp_path: Path, images: Images) -> None:
    write(
        tmp_path,
        {
            "goshfile.yaml": f"""# syntax=teamgosh/goshfile
apiVersion: 1
image: bash:latest
steps:
  - name: fails on purpose
    run: {{command: [{BASH}, -c, "echo about to fail; exit 3"]}}
"""
        },
    )
    result = buildx(tmp_path, "-t", images.name("failing"))
    assert result.returncode != 0
    assert "[1/1] fails on purpose" in result.output
    assert "exit code: 3" in result.output

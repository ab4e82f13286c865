"""Subrequests (describe, outline, targets, lint) answered from the goshfile alone: no step is solved."""

from __future__ import annotations

import base64
import json
from typing import Any

from goshfile.frontend import subrequests
from tests.frontend.fake_gateway import FakeGateway
from tests.frontend.test_build import build
from tests.helpers import COMMIT, GOSH_URL

GOSHFILE = f"""# syntax=teamgosh/goshfile
apiVersion: 1
image: bash:latest
args:
  GREETING: hello
  NAME: null
sources:
  lib: {{gosh: "{GOSH_URL}", commit: "{COMMIT}"}}
steps:
  - name: greet
    run:
      command: [/bin/sh, -c, "echo $GREETING"]
      mounts:
        - {{type: cache, dst: /cache}}
        - {{type: secret, id: token, env: TOKEN}}
  - name: fetch
    run:
      command: [/bin/false]
      mounts:
        - {{type: ssh}}
        - {{type: secret, id: npmrc, dst: /root/.npmrc, required: false}}
        - {{source: lib, dst: /lib}}
"""


def ask(gateway: FakeGateway, request: str, text: str = GOSHFILE, **opts: str) -> dict[str, bytes]:
    status, log = build(gateway, text, {"requestid": request, **opts})
    assert status == 0, log
    assert gateway.errors == [], gateway.errors
    [(ref, metadata)] = gateway.results
    assert ref is None  # metadata only, as BuildKit's subrequests answer
    assert len(gateway.solves) <= 1  # at most the goshfile was read: no step ran, no image was resolved
    assert gateway.resolves == []
    return metadata


def payload(metadata: dict[str, bytes]) -> Any:
    assert metadata["version"] == b"1.0.0"
    return json.loads(metadata["result.json"])


def lines(location: dict[str, Any]) -> tuple[int, int]:
    [span] = location["ranges"]
    return span["start"]["line"], span["end"]["line"]


def test_describe_lists_every_subrequest_in_buildkits_shape(gateway: FakeGateway) -> None:
    metadata = ask(gateway, "frontend.subrequests.describe")
    found = payload(metadata)
    assert [d["name"] for d in found] == [
        "frontend.outline",
        "frontend.targets",
        "frontend.lint",
        "frontend.subrequests.describe",
    ]
    for d in found:
        assert set(d) == {"name", "version", "type", "description", "opts", "inputs", "metadata", "refs"}
        assert d["type"] == "rpc" and {"name": "result.json", "description": ""} in d["metadata"]
    assert metadata["result.txt"].decode().splitlines()[0].split() == ["NAME", "VERSION", "DESCRIPTION"]


def test_outline_lists_args_secrets_ssh_caches_and_gosh_sources_with_their_lines(gateway: FakeGateway) -> None:
    metadata = ask(gateway, "frontend.outline")
    out = payload(metadata)
    assert out["name"] == "fetch"  # the default target: the last step
    assert [(a["name"], a.get("value"), lines(a["location"])) for a in out["args"]] == [
        ("GREETING", "hello", (5, 5)),
        ("NAME", None, (6, 6)),
    ]
    assert "required" in out["args"][1]["description"]
    assert [(s["name"], s.get("required", False), lines(s["location"])) for s in out["secrets"]] == [
        ("token", True, (15, 15)),
        ("npmrc", False, (21, 21)),
    ]
    assert [(s["name"], s.get("required", False)) for s in out["ssh"]] == [("default", True)]
    assert [c["ID"] for c in out["cache"]] == ["/cache"]
    assert [(g["url"], g["revision"]) for g in out["goshSources"]] == [(GOSH_URL, COMMIT)]
    assert base64.b64decode(out["sources"][0]).decode() == GOSHFILE
    text = metadata["result.txt"].decode()
    assert "BUILD ARG   VALUE   DESCRIPTION" in text
    assert "SECRET   REQUIRED\ntoken    true\nnpmrc    \n" in text
    assert "GOSH SOURCE" in text and COMMIT in text


def test_outline_for_a_target_covers_only_the_steps_up_to_it(gateway: FakeGateway) -> None:
    out = payload(ask(gateway, "frontend.outline", target="greet"))
    assert out["name"] == "greet"
    assert [s["name"] for s in out["secrets"]] == ["token"]
    assert "ssh" not in out


def test_targets_are_the_steps_with_their_lines_the_last_the_default(gateway: FakeGateway) -> None:
    metadata = ask(gateway, "frontend.targets")
    out = payload(metadata)
    assert [(t["name"], t.get("default", False), t["base"], lines(t["location"])) for t in out["targets"]] == [
        ("greet", False, "bash:latest", (10, 15)),
        ("fetch", True, "greet", (16, 22)),
    ]
    assert out["targets"][0]["description"] == "run /bin/sh -c 'echo $GREETING'"
    text = metadata["result.txt"].decode().splitlines()
    assert text[0].split() == ["TARGET", "DESCRIPTION"]
    assert text[2].startswith("fetch (default) run /bin/false")


def test_lint_of_a_valid_goshfile_finds_nothing_and_exits_0(gateway: FakeGateway) -> None:
    metadata = ask(gateway, "frontend.lint", GOSHFILE.replace("NAME: null", "NAME: world"))
    out = payload(metadata)
    assert out["warnings"] == [] and "buildError" not in out
    assert out["sources"][0]["filename"] == "goshfile.yaml"
    assert base64.b64decode(out["sources"][0]["data"]).decode().endswith("/lib}\n")
    assert metadata["result.statuscode"] == b"0"
    assert metadata["result.txt"] == b"Check complete, no warnings found.\n"


BROKEN = """# syntax=teamgosh/goshfile
apiVersion: 1
image: bash:latest
steps:
  - name: a
    run: {command: /bin/sh, netwrk: none}
  - name: a
    run:
      command: [/bin/true]
      mounts: [{type: secret, id: t, uid: 4294967296}]
"""


def test_lint_reports_every_problem_as_a_located_warning_and_fails(gateway: FakeGateway) -> None:
    metadata = ask(gateway, "frontend.lint", BROKEN)
    out = payload(metadata)
    found = [(w["ruleName"], lines(w["location"])) for w in out["warnings"]]
    assert ("InvalidValue", (6, 6)) in found  # command is not a list
    assert ("UnknownField", (6, 6)) in found
    assert ("DuplicateStepName", (7, 7)) in found
    assert ("InvalidValue", (10, 10)) in found  # uid out of uint32 range
    assert all(w["detail"] and w["description"] for w in out["warnings"])
    assert metadata["result.statuscode"] == b"1"
    text = metadata["result.txt"].decode()
    assert "WARNING: UnknownField\ngoshfile.yaml:6: steps[0].run.netwrk: unknown field" in text
    assert "   6 | >>>     run: {command: /bin/sh, netwrk: none}" in text
    assert text.rstrip().endswith("warnings have been found!")


def test_lint_of_invalid_yaml_is_a_build_error_with_its_line(gateway: FakeGateway) -> None:
    out = payload(ask(gateway, "frontend.lint", "apiVersion: 1\nimage: [\n"))
    assert out["warnings"] == []
    assert "invalid YAML" in out["buildError"]["message"]
    assert out["buildError"]["location"]["ranges"][0]["start"]["line"] >= 2


def test_lint_takes_the_build_args_given(gateway: FakeGateway) -> None:
    metadata = ask(gateway, "frontend.lint", GOSHFILE, **{"build-arg:NAME": "x", "build-arg:OTHER": "1"})
    out = payload(metadata)
    assert [w["ruleName"] for w in out["warnings"]] == ["UndeclaredBuildArg"]
    assert "OTHER" in out["warnings"][0]["detail"] and lines(out["warnings"][0]["location"]) == (4, 4)
    assert metadata["result.statuscode"] == b"0"  # advice, as goshfile lint prints it: no failure
    missing = payload(ask(FakeGateway(), "frontend.lint", GOSHFILE, **{"build-arg:GREETING": "hi"}))
    assert [w["ruleName"] for w in missing["warnings"]] == ["BuildArg"]  # a required arg not given: a problem


def test_lint_without_build_args_advises_on_required_ones(gateway: FakeGateway) -> None:
    metadata = ask(gateway, "frontend.lint")
    [warning] = payload(metadata)["warnings"]
    assert warning["ruleName"] == "RequiredBuildArg" and lines(warning["location"]) == (6, 6)
    assert "needs --build-arg NAME=..." in warning["detail"]
    assert metadata["result.statuscode"] == b"0"


def test_a_subrequest_on_an_invalid_goshfile_fails_with_the_goshfiles_lines(gateway: FakeGateway) -> None:
    status, _ = build(gateway, BROKEN, {"requestid": "frontend.targets"})
    assert status == 0 and gateway.results == []
    [(_, message)] = gateway.errors
    assert "goshfile.yaml:6:" in message
    [details] = gateway.error_details
    url, value = details[0]
    assert url == "github.com/moby/buildkit/errdefs.Source+json"
    source = json.loads(value)
    assert source["info"]["filename"] == "goshfile.yaml" and base64.b64decode(source["info"]["data"]) == BROKEN.encode()
    assert source["ranges"][0]["start"]["line"] == 6


def test_an_unknown_subrequest_is_refused_by_name(gateway: FakeGateway) -> None:
    status, _ = build(gateway, GOSHFILE, {"requestid": "frontend.convertllb"})
    assert status == 0
    assert gateway.errors[0][1] == "unsupported request frontend.convertllb"
    # typed as BuildKit's UnsupportedSubrequestError, which buildx recognises
    assert gateway.error_details == [
        (("github.com/moby/buildkit/errdefs.Subrequest+json", b'{"name": "frontend.convertllb"}'),)
    ]


def test_buildx_tables_align_like_gos_tabwriter() -> None:
    rows = subrequests.describe()["result.txt"].decode().splitlines()
    assert rows[1] == "outline              1.0.0   List all parameters current build target supports"

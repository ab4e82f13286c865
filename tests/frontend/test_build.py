"""The frontend's whole build against an in-memory gateway: what it asks BuildKit and what it returns."""

from __future__ import annotations

import hashlib
import io
import json
from typing import Any

from goshfile.frontend.build import run
from goshfile.frontend.gateway import UNKNOWN
from goshfile.llb import Platform
from goshfile.secrets import REFUSAL
from tests.frontend.fake_gateway import IMAGE_CONFIG, IMAGE_DIGEST, FakeGateway, Resolve
from tests.helpers import DESIGN_SEED, HEADER, WALLET, Graph

PINNED = f"docker.io/library/bash:latest@{IMAGE_DIGEST}"
COPY = HEADER + "steps:\n  - name: add\n    copy: {src: app, dst: /app}\n  - name: run\n    run: {command: [/app]}\n"


def build(
    gateway: FakeGateway, text: str | bytes | None = DESIGN_SEED, opts: dict[str, str] | None = None, **env: str
) -> tuple[int, str]:
    """Run the frontend with ``text`` as goshfile.yaml in the ``dockerfile`` local; return status and log."""
    if text is not None:
        gateway.locals.setdefault("dockerfile", {})["goshfile.yaml"] = text.encode() if isinstance(text, str) else text
    log = io.StringIO()
    status = run(gateway, {"filename": "goshfile.yaml", **(opts or {})}, {"BUILDKIT_SESSION_ID": "sess", **env}, log)
    return status, log.getvalue()


def result_config(gateway: FakeGateway) -> dict[str, Any]:
    assert gateway.errors == []
    [(ref, metadata)] = gateway.results
    assert ref == f"ref-{len(gateway.solves)}"  # the ref of the last solve
    assert set(metadata) == {"containerimage.config"}
    config: dict[str, Any] = json.loads(metadata["containerimage.config"])
    return config


def test_the_goshfile_is_read_from_the_dockerfile_local(gateway: FakeGateway) -> None:
    status, _ = build(gateway)
    assert status == 0
    first = gateway.graph(0)
    [source] = first.of_type("source")
    assert source.source.identifier == "local://dockerfile"
    assert dict(source.source.attrs) == {
        "local.followpaths": '["goshfile.yaml"]',
        "local.session": "sess",
        "local.sharedkeyhint": "goshfile.yaml",
    }
    assert first.name(first.digests[0]) == "[internal] load build definition from goshfile.yaml"


def test_the_seed_builds_on_the_base_image_pinned_by_digest(gateway: FakeGateway) -> None:
    assert build(gateway)[0] == 0
    assert gateway.resolves == [
        Resolve(
            "docker.io/library/bash:latest",
            Platform("linux", "amd64"),
            "default",
            "[internal] load metadata for bash:latest",
        )
    ]
    assert len(gateway.solves) == 2  # the goshfile, then the build (no copy: no .dockerignore probe)
    final = gateway.graph(1)
    assert final.sources() == [f"docker-image://{PINNED}"]
    assert final.result.exec.meta.args[0] == "/usr/local/bin/bash"
    config = result_config(gateway)
    assert config["config"]["Labels"]["goshfile.base"] == PINNED
    assert (
        config["config"]["Labels"]["goshfile.base.config"]
        == "sha256:" + hashlib.sha256(gateway.image_config).hexdigest()
    )
    assert config["config"]["Labels"]["from.base"] == "yes"
    assert config["config"]["Labels"]["goshfile.base.layers"] == "1"  # the base config's one diff ID
    assert config["config"]["Labels"]["goshfile.digest"] == "sha256:" + hashlib.sha256(DESIGN_SEED.encode()).hexdigest()
    assert config["config"]["Cmd"] == ["bash"]
    assert config["rootfs"]["diff_ids"] == ["sha256:" + "e" * 64]
    assert len(config["history"]) == 2 and config["history"][0]["created_by"] == "base layer"
    assert config["history"][1]["created_by"].startswith("goshfile: print date: run /usr/local/bin/bash -c")


def test_a_base_config_without_usable_layers_counts_none(gateway: FakeGateway) -> None:
    gateway.image_config = json.dumps({**IMAGE_CONFIG, "rootfs": "odd"}).encode()
    assert build(gateway)[0] == 0
    assert result_config(gateway)["config"]["Labels"]["goshfile.base.layers"] == "0"


def test_an_image_without_a_manifest_digest_is_used_by_name(gateway: FakeGateway) -> None:
    gateway.image_digest = ""
    assert build(gateway)[0] == 0
    assert gateway.graph(1).sources() == ["docker-image://docker.io/library/bash:latest"]
    assert result_config(gateway)["config"]["Labels"]["goshfile.base"] == "docker.io/library/bash:latest"


def test_an_image_given_by_digest_keeps_its_digest(gateway: FakeGateway) -> None:
    own = "sha256:" + "1" * 64
    assert build(gateway, DESIGN_SEED.replace("bash:latest", f"bash@{own}"))[0] == 0
    assert gateway.graph(1).sources() == [f"docker-image://docker.io/library/bash@{own}"]


def test_platform_and_resolve_mode_reach_the_resolver_and_the_image(gateway: FakeGateway) -> None:
    assert build(gateway, opts={"platform": "linux/arm64", "image-resolve-mode": "local"})[0] == 0
    assert (gateway.resolves[0].platform, gateway.resolves[0].mode) == (Platform("linux", "arm64"), "local")
    [base] = gateway.graph(1).of_type("source")
    assert dict(base.source.attrs) == {"image.resolvemode": "local"} and base.platform.Architecture == "arm64"
    assert result_config(gateway)["architecture"] == "arm64"


def test_the_workers_platform_is_the_default(gateway: FakeGateway) -> None:
    workers = json.dumps([{"Platforms": [{"OS": "linux", "Architecture": "arm", "Variant": "v7"}]}])
    assert build(gateway, BUILDKIT_WORKERS=workers)[0] == 0
    assert gateway.resolves[0].platform == Platform("linux", "arm", "v7")
    assert result_config(gateway)["variant"] == "v7"


def test_warnings_go_through_warn_on_the_definition_vertex(gateway: FakeGateway) -> None:
    assert build(gateway, opts={"build-arg:UNUSED": "1"})[0] == 0
    assert gateway.warnings == [
        (gateway.graph(0).digests[0], "build args not declared in goshfile.yaml 'args' were ignored: UNUSED")
    ]


def test_labels_and_wallet_public_reach_the_config(gateway: FakeGateway) -> None:
    assert build(gateway, opts={"wallet_public": WALLET, "label:team": "build"})[0] == 0
    labels = result_config(gateway)["config"]["Labels"]
    assert (labels["WALLET_PUBLIC"], labels["team"], labels["goshfile.hermetic"]) == (WALLET, "build", "true")


def test_without_source_date_epoch_the_frontend_writes_no_times(gateway: FakeGateway) -> None:
    # no time of ours: BuildKit's exporter takes each from its layer's cache record (as for a
    # Dockerfile), so a cached rebuild gives the same image; the base image's time is not ours
    gateway.image_config = json.dumps({**IMAGE_CONFIG, "created": "2020-01-01T00:00:00Z"}).encode()
    assert build(gateway)[0] == 0
    config = result_config(gateway)
    assert "created" not in config
    base, ours = config["history"]
    assert base == {"created_by": "base layer"}
    assert "created" not in ours and ours["comment"] == "goshfile.v1"


def test_source_date_epoch_sets_the_times(gateway: FakeGateway) -> None:
    assert build(gateway, opts={"build-arg:SOURCE_DATE_EPOCH": "86400"})[0] == 0
    config = result_config(gateway)
    assert config["created"] == "1970-01-02T00:00:00.000000Z"
    assert config["history"][-1]["created"] == "1970-01-02T00:00:00.000000Z"


def test_no_cache_ignores_the_cache_of_every_step(gateway: FakeGateway) -> None:
    gateway.locals["context"] = {}
    assert build(gateway, COPY, opts={"no-cache": ""})[0] == 0
    final = gateway.graph(len(gateway.solves) - 1)
    flags = {final.name(d): final.definition.metadata[d].ignore_cache for d in final.digests[:-1]}
    assert flags["[1/2] add"] and flags["[2/2] run"]
    assert not any(v for k, v in flags.items() if not k.startswith("[1/2]") and not k.startswith("[2/2]"))


def test_dockerignore_patterns_exclude_files_from_the_context(gateway: FakeGateway) -> None:
    gateway.locals["context"] = {".dockerignore": b"# comment\n*.tmp\n\n  node_modules  \n"}
    assert build(gateway, COPY)[0] == 0
    probe = gateway.graph(1)
    [source] = probe.of_type("source")
    assert source.source.identifier == "local://context"
    assert dict(source.source.attrs)["local.followpaths"] == '[".dockerignore"]'
    context = next(op for op in gateway.graph(2).of_type("source") if op.source.identifier == "local://context")
    assert dict(context.source.attrs) == {
        "local.excludepatterns": '["*.tmp", "node_modules"]',
        "local.session": "sess",
        "local.sharedkeyhint": "context",
    }


def test_without_a_dockerignore_nothing_is_excluded(gateway: FakeGateway) -> None:
    gateway.locals["context"] = {}
    assert build(gateway, COPY)[0] == 0
    context = next(op for op in gateway.graph(2).of_type("source") if op.source.identifier == "local://context")
    assert "local.excludepatterns" not in dict(context.source.attrs)


def test_the_context_is_not_probed_when_no_copy_uses_it(gateway: FakeGateway) -> None:
    gateway.locals["context"] = {".dockerignore": b"*\n"}
    assert build(gateway)[0] == 0
    assert all("local://context" not in Graph.of(d).sources() for d in gateway.solves)


def test_named_contexts(gateway: FakeGateway) -> None:
    text = HEADER + "steps:\n  - name: a\n    copy: {src: x, dst: /x, from: extra}\n"
    text += "  - name: b\n    copy: {src: y, dst: /y, from: img}\n"
    opts = {"context:extra": "local:extra-dir", "context:img": "docker-image://alpine:3"}
    assert build(gateway, text, opts=opts)[0] == 0
    assert set(gateway.graph(1).sources()) == {
        f"docker-image://{PINNED}",
        "local://extra-dir",
        "docker-image://docker.io/library/alpine:3",
    }


def test_input_errors_are_returned_with_status_0(gateway: FakeGateway) -> None:
    cases = [
        (None, {}, "goshfile.yaml: not found in the build definition folder (check -f)"),
        (b"\xff\xfe", {}, "goshfile.yaml:1:1: not UTF-8 text (byte 0xff at offset 0)"),
        (DESIGN_SEED, {"platform": "linux/amd64,linux/bad/arm/x"}, "platform 'linux/bad/arm/x' is not of the form"),
        (DESIGN_SEED, {"build-arg:SOURCE_DATE_EPOCH": "soon"}, "build arg SOURCE_DATE_EPOCH must be a whole number"),
        (HEADER + "steps:\n  - name: a\n    copy: {src: x, dst: /x, from: extra}\n", {"context:extra": "git://x"},
         "build context extra: git contexts are not supported (use a folder or docker-image://)"),
    ]  # fmt: skip
    for text, opts, message in cases:
        gw = FakeGateway()
        status, _ = build(gw, text, opts)
        assert status == 0 and gw.results == []
        [(code, returned)] = gw.errors
        assert code == UNKNOWN and returned.startswith(message), returned


def test_spec_errors_are_returned_with_their_positions(gateway: FakeGateway) -> None:
    status, _ = build(gateway, HEADER + "bogus: 1\nenv: {PORT: 8080}\n")
    assert status == 0 and gateway.results == []
    assert gateway.errors == [
        (
            UNKNOWN,
            "goshfile.yaml:3:1: bogus: unknown field (extension fields must start with x-)\n"
            "goshfile.yaml:4:13: env.PORT: must be a string, not a number (quote it in YAML)",
        )
    ]


def test_a_bad_image_reference_is_a_spec_error_at_the_image(gateway: FakeGateway) -> None:
    assert build(gateway, DESIGN_SEED.replace("bash:latest", "Bash"))[0] == 0
    assert gateway.errors == [(UNKNOWN, "goshfile.yaml:3:8: image: image reference 'Bash' is not a valid image name")]
    assert gateway.resolves == []


def test_a_secret_opt_is_refused_without_its_value(gateway: FakeGateway) -> None:
    assert build(gateway, opts={"build-arg:WALLET_SECRET": "deadbeef" * 8})[0] == 0
    [(_, message)] = gateway.errors
    assert message == f"build arg WALLET_SECRET {REFUSAL}" and "deadbeef" not in message
    assert gateway.solves == []


def test_an_engine_config_that_is_not_json_is_reported(gateway: FakeGateway) -> None:
    gateway.image_config = b"not json"
    assert build(gateway)[0] == 0
    assert gateway.errors == [(UNKNOWN, "image bash:latest: config is not JSON")]


def test_an_unexpected_exception_is_an_internal_error_with_status_1(gateway: FakeGateway) -> None:
    gateway.solve_error = RuntimeError("boom")
    status, log = build(gateway)
    assert status == 1 and gateway.results == []
    assert gateway.errors == [(UNKNOWN, "goshfile frontend internal error: RuntimeError: boom")]
    assert "Traceback" in log and "RuntimeError: boom" in log


def test_scratch_needs_no_image_resolution(gateway: FakeGateway) -> None:
    gateway.locals["context"] = {}
    text = "apiVersion: 1\nimage: scratch\nsteps:\n  - name: add\n    copy: {src: f, dst: /f}\n"
    assert build(gateway, text)[0] == 0
    assert gateway.resolves == []
    labels = result_config(gateway)["config"]["Labels"]
    assert labels["goshfile.base"] == "scratch" and labels["goshfile.base.layers"] == "0"

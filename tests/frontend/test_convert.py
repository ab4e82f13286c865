"""Goshfile -> LLB and image config, without an engine."""

from __future__ import annotations

import json

import pytest

from goshfile.buildkit import ops_pb2 as pb
from goshfile.errors import SpecError
from goshfile.frontend.imageconfig import DEFAULT_PATH, ImageConfig
from goshfile.llb import Platform
from tests.frontend.conftest import BASE_REF, CREATED, run_convert
from tests.helpers import COMMIT, GOSH_URL, HEADER, WALLET

BASE_CONFIG = {
    "Env": ["PATH=/usr/bin:/bin", "A=base", "B=base"],
    "WorkingDir": "/base",
    "User": "baseuser",
    "Cmd": ["sh"],
    "Labels": {"from.base": "1", "shared": "base"},
}


def step(name: str, body: str) -> str:
    return f"  - name: {name}\n    {body}\n"


def test_env_merges_base_then_goshfile_then_step() -> None:
    text = HEADER + "env: {B: top, C: top}\nsteps:\n"
    text += step("one", "run: {command: [x], env: {C: step, D: step, A: step}}") + step("two", "run: {command: [y]}")
    out = run_convert(text, config=BASE_CONFIG)
    assert list(out.step("one").exec.meta.env) == ["PATH=/usr/bin:/bin", "A=step", "B=top", "C=step", "D=step"]
    assert list(out.step("two").exec.meta.env) == ["PATH=/usr/bin:/bin", "A=base", "B=top", "C=top"]
    assert out.config["Env"] == ["PATH=/usr/bin:/bin", "A=base", "B=top", "C=top"]


def test_path_defaults_for_steps_when_nothing_sets_it() -> None:
    out = run_convert(HEADER + "steps:\n" + step("s", "run: {command: [x], env: {A: a}}"), config={})
    assert list(out.step("s").exec.meta.env) == ["A=a", DEFAULT_PATH]
    assert out.config["Env"] == []  # the image config keeps what the base image had
    custom = run_convert(HEADER + "env: {PATH: /opt}\nsteps:\n" + step("s", "run: {command: [x]}"), config={})
    assert list(custom.step("s").exec.meta.env) == ["PATH=/opt"]


def test_workdir_and_user_come_from_the_base_unless_overridden() -> None:
    text = HEADER + "steps:\n" + step("inherit", "run: {command: [x]}")
    text += step("own", "run: {command: [x], workdir: /w, user: '1000:1000'}")
    out = run_convert(text, config=BASE_CONFIG)
    inherit, own = out.step("inherit").exec.meta, out.step("own").exec.meta
    assert (inherit.cwd, inherit.user) == ("/base", "baseuser")
    assert (own.cwd, own.user) == ("/w", "1000:1000")
    assert (out.config["WorkingDir"], out.config["User"]) == ("/base", "baseuser")


def test_goshfile_workdir_and_user_apply_to_steps_and_the_image() -> None:
    text = HEADER + "workdir: /app\nuser: app\nsteps:\n" + step("s", "run: {command: [x]}")
    out = run_convert(text, config=BASE_CONFIG)
    assert (out.step("s").exec.meta.cwd, out.step("s").exec.meta.user) == ("/app", "app")
    assert (out.config["WorkingDir"], out.config["User"]) == ("/app", "app")
    bare = run_convert(HEADER + "steps:\n" + step("s", "run: {command: [x]}"), config={})
    assert (bare.step("s").exec.meta.cwd, bare.step("s").exec.meta.user) == ("/", "")


def test_entrypoint_clears_an_inherited_cmd() -> None:
    out = run_convert(HEADER + "entrypoint: [/bin/app]\n", config=BASE_CONFIG)
    assert out.config["Entrypoint"] == ["/bin/app"] and "Cmd" not in out.config
    both = run_convert(HEADER + "entrypoint: [/bin/app]\ncmd: [--help]\n", config=BASE_CONFIG)
    assert (both.config["Entrypoint"], both.config["Cmd"]) == (["/bin/app"], ["--help"])
    cmd_only = run_convert(HEADER + "cmd: [ls]\n", config={**BASE_CONFIG, "Entrypoint": ["/e"]})
    assert (cmd_only.config["Entrypoint"], cmd_only.config["Cmd"]) == (["/e"], ["ls"])
    neither = run_convert(HEADER, config=BASE_CONFIG)
    assert neither.config["Cmd"] == ["sh"] and "Entrypoint" not in neither.config


def test_labels_merge_base_goshfile_provenance_and_options() -> None:
    text = HEADER + "labels: {shared: goshfile, mine: m, goshfile.hermetic: forged}\nsteps:\n"
    text += step("s", "run: {command: [x]}")
    out = run_convert(text, config=BASE_CONFIG, opts={"label:WALLET_PUBLIC": WALLET, "label:mine": "opt"})
    labels = out.labels
    assert labels["from.base"] == "1" and labels["shared"] == "goshfile"
    assert labels["mine"] == "opt"  # --label wins over the goshfile
    assert labels["WALLET_PUBLIC"] == WALLET
    assert labels["goshfile.hermetic"] == "true"  # computed, never taken from the goshfile
    assert labels["goshfile.base"] == BASE_REF
    assert labels["goshfile.base.config"] == "sha256:" + "c" * 64
    assert labels["goshfile.digest"].startswith("sha256:") and len(labels["goshfile.digest"]) == 71
    assert "goshfile.sources" not in labels


def test_wallet_public_from_a_build_arg_is_a_label() -> None:
    out = run_convert(HEADER, opts={"build-arg:wallet_public": WALLET}, build_args={"wallet_public": WALLET})
    assert out.labels["WALLET_PUBLIC"] == WALLET


def test_a_step_with_network_makes_the_image_non_hermetic() -> None:
    text = HEADER + "steps:\n" + step("a", "run: {command: [x]}") + step("b", "run: {command: [y], network: default}")
    out = run_convert(text)
    assert out.labels["goshfile.hermetic"] == "false" and out.result.hermetic is False
    assert (out.step("a").exec.network, out.step("b").exec.network) == (pb.NONE, pb.UNSET)
    assert run_convert(HEADER).labels["goshfile.hermetic"] == "true"


def test_history_has_one_entry_per_step_after_the_base() -> None:
    text = HEADER + "steps:\n" + step("build", "run: {command: [/bin/sh, -c], args: ['echo hi > /f']}")
    text += step("files", "copy: {src: [a, b], dst: /x}")
    out = run_convert(text, config=BASE_CONFIG, history=[{"created_by": "base layer"}])
    base, *ours = out.image["history"]
    assert base == {"created_by": "base layer"}
    assert [h["created_by"] for h in ours] == [
        "goshfile: build: run /bin/sh -c 'echo hi > /f'",
        "goshfile: files: copy a b /x",
    ]
    assert all(h["created"] == "2026-01-02T03:04:05.000000Z" and h["comment"] == "goshfile.v1" for h in ours)
    assert run_convert(HEADER).image["history"] == []


def test_a_base_image_without_history_gets_one_entry_per_layer_before_ours() -> None:
    # else BuildKit's exporter pairs the base's layers with the next entries, ours among them
    diff_ids = ["sha256:" + "a" * 64, "sha256:" + "b" * 64]
    pad = {"comment": "goshfile.v1: a base image layer without history"}
    bare = ImageConfig({"rootfs": {"type": "layers", "diff_ids": diff_ids}}, Platform("linux", "amd64"))
    bare.add_history("goshfile: build: run x", None)
    assert json.loads(bare.render(None))["history"] == [
        pad,
        pad,
        {"created_by": "goshfile: build: run x", "comment": "goshfile.v1"},
    ]
    short = {
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "history": [{"created_by": "one"}, {"empty_layer": True}],
    }
    assert json.loads(ImageConfig(short, Platform("linux", "amd64")).render(None))["history"][2:] == [
        pad
    ]  # one layer lacked an entry
    whole = {"rootfs": {"type": "layers", "diff_ids": diff_ids}, "history": [{"created_by": "1"}, {"created_by": "2"}]}
    assert json.loads(ImageConfig(whole, Platform("linux", "amd64")).render(None))["history"] == whole["history"]


def test_the_rendered_config_names_platform_and_time() -> None:
    out = run_convert(HEADER)
    assert (out.image["os"], out.image["architecture"]) == ("linux", "amd64")
    assert out.image["created"] == CREATED.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    assert out.image["rootfs"] == {"type": "layers", "diff_ids": []}
    rendered = out.result.config.render(CREATED)
    assert rendered == json.dumps(json.loads(rendered), sort_keys=True, separators=(",", ":")).encode()


def test_the_base_image_is_the_first_op_with_its_pinned_reference() -> None:
    out = run_convert(HEADER + "steps:\n" + step("s", "run: {command: [x]}"), opts={"image-resolve-mode": "local"})
    base_digest, base = out.graph.ops[0]
    assert base.source.identifier == f"docker-image://{BASE_REF}"
    assert dict(base.source.attrs) == {"image.resolvemode": "local"}
    assert out.graph.name(base_digest) == f"[base] {BASE_REF}"
    assert out.step("s").inputs[0].digest == base_digest


def test_scratch_has_no_base_op_and_an_empty_config() -> None:
    text = HEADER.replace("bash:latest", "scratch") + "steps:\n" + step("s", "copy: {src: f, dst: /f}")
    out = run_convert(text, reference=None)
    assert out.graph.sources() == ["local://context"]
    assert out.step("s").file.actions[0].input == -1
    assert out.labels["goshfile.base"] == "scratch" and "goshfile.base.config" not in out.labels
    assert out.config["Env"] == [DEFAULT_PATH]


def test_step_names_and_no_cache() -> None:
    text = HEADER + "steps:\n" + step("a", "run: {command: [x]}") + step("b", "copy: {src: f, dst: /f}")
    out = run_convert(text, opts={"no-cache": "b"})
    names = [out.graph.name(d) for d in out.graph.digests]
    assert [n for n in names if n and not n.startswith("[base]")] == ["[1/2] a", "[2/2] b"]
    md = out.graph.definition.metadata
    assert (md[out.step_digest("a")].ignore_cache, md[out.step_digest("b")].ignore_cache) == (False, True)


def test_an_unknown_from_is_a_positioned_error() -> None:
    text = HEADER + "steps:\n" + step("s", "copy: {src: f, dst: /f, from: nowhere}")
    with pytest.raises(SpecError) as info:
        run_convert(text)
    assert str(info.value) == (
        "goshfile.yaml:5:35: steps[0].copy.from: 'nowhere' is neither an earlier step nor a build context "
        "(give one with --build-context nowhere=DIR)"
    )


def test_a_missing_main_context_is_a_positioned_error() -> None:
    with pytest.raises(SpecError, match=r"^goshfile.yaml:5:11: steps\[0\].copy.from: 'context' is neither"):
        run_convert(HEADER + "steps:\n" + step("s", "copy: {src: f, dst: /f}"), contexts=())


def test_an_inline_gosh_mount_without_its_context_is_a_positioned_error() -> None:
    mount = f'{{gosh: "{GOSH_URL}", commit: "{COMMIT}", dst: /src}}'
    text = HEADER + "steps:\n" + step("s", f"run: {{command: [x], mounts: [{mount}]}}")
    with pytest.raises(SpecError) as info:
        run_convert(text)
    message = str(info.value)
    assert message.startswith(f"goshfile.yaml:5:41: steps[0].run.mounts[0].gosh: gosh source {GOSH_URL} at {COMMIT}")
    assert "--build-context gosh-" in message and "goshfile build" in message

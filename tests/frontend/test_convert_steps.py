"""Goshfile steps -> LLB: mounts, copies and where their files come from."""

from __future__ import annotations

from goshfile.buildkit import ops_pb2 as pb
from tests.frontend.conftest import run_convert
from tests.helpers import HEADER

BASE_CONFIG = {"WorkingDir": "/base"}


def steps(*bodies: str) -> str:
    return HEADER + "steps:\n" + "".join(bodies)


def run_step(name: str, run: str) -> str:
    return f"  - name: {name}\n    run: {run}\n"


def copy_step(name: str, copy: str) -> str:
    return f"  - name: {name}\n    copy: {copy}\n"


def test_cache_mount_ids_default_to_the_destination() -> None:
    mounts = "[{type: cache, dst: /root/.cache}, {type: cache, dst: /var/cache/apt, id: apt, sharing: private}]"
    out = run_convert(steps(run_step("s", f"{{command: [x], mounts: {mounts}}}")))
    _, default, named = out.step("s").exec.mounts
    assert (default.mountType, default.cacheOpt.ID, default.cacheOpt.sharing) == (pb.CACHE, "/root/.cache", pb.SHARED)
    assert (named.cacheOpt.ID, named.cacheOpt.sharing) == ("apt", pb.PRIVATE)
    assert (default.input, default.output, named.input, named.output) == (-1, -1, -1, -1)


def test_tmpfs_mounts_have_their_size() -> None:
    out = run_convert(
        steps(run_step("s", "{command: [x], mounts: [{type: tmpfs, dst: /t, size: 4096}, {type: tmpfs, dst: /u}]}"))
    )
    _, sized, unsized = out.step("s").exec.mounts
    assert (sized.mountType, sized.TmpfsOpt.size, unsized.TmpfsOpt.size) == (pb.TMPFS, 4096, 0)
    assert (sized.input, sized.output) == (-1, -1)


def test_a_bind_mount_of_an_earlier_step_reads_its_result() -> None:
    text = steps(
        run_step("build", "{command: [make]}"),
        run_step("other", "{command: [x]}"),
        run_step("use", "{command: [y], mounts: [{type: bind, dst: /prev, from: build, src: /out}]}"),
    )
    out = run_convert(text)
    use = out.step("use")
    assert [i.digest for i in use.inputs] == [out.step_digest("other"), out.step_digest("build")]
    bind = use.exec.mounts[1]
    assert (bind.dest, bind.input, bind.output, bind.selector, bind.readonly) == ("/prev", 1, -1, "/out", True)


def test_a_bind_mount_of_a_named_context_is_writable_when_asked() -> None:
    text = steps(run_step("s", "{command: [x], mounts: [{type: bind, dst: /ctx, from: extra, readonly: false}]}"))
    out = run_convert(text, contexts=("context", "extra"))
    bind = out.step("s").exec.mounts[1]
    assert out.graph.op(out.step("s").inputs[bind.input].digest).source.identifier == "local://extra"
    assert (bind.selector, bind.readonly, bind.output) == ("/", False, -1)


def test_copy_from_the_build_context() -> None:
    out = run_convert(steps(copy_step("c", "{src: [app.py, lib/], dst: /app/}")))
    op = out.step("c")
    assert [out.graph.op(i.digest).WhichOneof("op") for i in op.inputs] == ["source", "source"]
    assert out.graph.op(op.inputs[1].digest).source.identifier == "local://context"
    assert [(a.copy.src, a.copy.dest) for a in op.file.actions] == [("/app.py", "/app/"), ("/lib", "/app/")]
    assert [(a.input, a.secondaryInput, a.output) for a in op.file.actions] == [(0, 1, -1), (2, 1, 0)]


def test_copy_from_an_earlier_step_and_from_a_named_context() -> None:
    text = steps(
        run_step("build", "{command: [make]}"),
        copy_step("from-step", "{src: /out/bin, dst: /usr/bin/app, from: build}"),
        copy_step("from-context", "{src: conf, dst: /etc/app, from: configs}"),
    )
    out = run_convert(text, contexts=("configs",))
    from_step = out.step("from-step")
    assert [i.digest for i in from_step.inputs] == [out.step_digest("build"), out.step_digest("build")]
    from_context = out.step("from-context")
    assert out.graph.op(from_context.inputs[1].digest).source.identifier == "local://configs"
    assert from_context.inputs[0].digest == out.step_digest("from-step")
    assert "local://context" not in out.graph.sources()  # the main context is only used when a copy needs it


def test_copy_sources_are_absolute_and_clean() -> None:
    out = run_convert(steps(copy_step("c", "{src: [a, /b/c, ./d/../e, ../../f, g/], dst: /x/}")))
    sources = [a.copy.src for a in out.step("c").file.actions]
    # known bug: convert.py prefixes "/" before normpath, and posixpath.normpath keeps a leading "//" ("//b/c")
    assert sources == ["/a", "/b/c", "/e", "/f", "/g"]


def test_relative_destinations_are_joined_with_the_workdir() -> None:
    text = steps(copy_step("rel", "{src: a, dst: out/}"), copy_step("file", "{src: a, dst: out.txt}"))
    out = run_convert(text, config=BASE_CONFIG)
    assert out.step("rel").file.actions[0].copy.dest == "/base/out/"
    assert out.step("file").file.actions[0].copy.dest == "/base/out.txt"
    own = run_convert(HEADER + "workdir: /app\nsteps:\n" + copy_step("c", "{src: a, dst: .}"), config=BASE_CONFIG)
    assert own.step("c").file.actions[0].copy.dest == "/app/."
    root = run_convert(steps(copy_step("c", "{src: a, dst: x/}")), config={})
    assert root.step("c").file.actions[0].copy.dest == "/x/"
    absolute = run_convert(steps(copy_step("c", "{src: a, dst: /abs}")), config=BASE_CONFIG)
    assert absolute.step("c").file.actions[0].copy.dest == "/abs"


def test_chown_numeric_ids_and_names() -> None:
    text = steps(
        copy_step("ids", "{src: a, dst: /a, chown: '1000:2000'}"),
        copy_step("names", "{src: a, dst: /a, chown: 'app:staff'}"),
        copy_step("user", "{src: a, dst: /a, chown: app}"),
        copy_step("none", "{src: a, dst: /a}"),
    )
    out = run_convert(text)
    ids = out.step("ids").file.actions[0].copy.owner
    assert (ids.user.byID, ids.group.byID) == (1000, 2000)
    names = out.step("names").file.actions[0].copy.owner
    assert (names.user.byName.name, names.group.byName.name, names.user.byName.input) == ("app", "staff", 0)
    user = out.step("user").file.actions[0].copy.owner
    assert user.user.byName.name == "app" and not user.HasField("group")
    assert not out.step("none").file.actions[0].copy.HasField("owner")


def test_every_step_reads_the_previous_one() -> None:
    text = steps(run_step("a", "{command: [x]}"), copy_step("b", "{src: f, dst: /f}"), run_step("c", "{command: [y]}"))
    out = run_convert(text)
    assert out.step("b").inputs[0].digest == out.step_digest("a")
    assert out.step("c").inputs[0].digest == out.step_digest("b")
    assert out.graph.final.inputs[0].digest == out.step_digest("c")

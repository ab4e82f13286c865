"""Marshalled LLB parsed back: ops, inputs by digest, mounts, network, file actions, the final op, metadata."""

from __future__ import annotations

import hashlib
import json
import sys

import pytest

from goshfile.buildkit import ops_pb2 as pb
from goshfile.llb import Chown, Metadata, MountSpec, NetMode, Platform, State, marshal, op_digest, serialize, to_json
from goshfile.llb.vertex import ExecVertex, Output, SourceVertex
from tests.helpers import Graph
from tests.llb.graphs import PLATFORM, base, context, sample


@pytest.fixture
def graph() -> Graph:
    return Graph.of(marshal(sample().output))


def test_ops_come_inputs_first_and_end_with_a_bare_op(graph: Graph) -> None:
    kinds = [op.WhichOneof("op") for _, op in graph.ops]
    assert kinds == ["source", "source", "exec", "file", "exec", None]
    seen: set[str] = set()
    for digest, op in graph.ops:
        assert all(i.digest in seen for i in op.inputs), "an input is emitted before the op that reads it"
        seen.add(digest)
    final = graph.final
    assert len(final.inputs) == 1 and final.inputs[0].index == 0
    assert final.inputs[0].digest == graph.digests[-2]
    assert graph.result.WhichOneof("op") == "exec"
    assert graph.digests[-1] not in graph.definition.metadata


def test_digests_are_sha256_of_the_exact_op_bytes(graph: Graph) -> None:
    for data in getattr(graph.definition, "def"):
        assert op_digest(data) == "sha256:" + hashlib.sha256(data).hexdigest()
    assert len(set(graph.digests)) == len(graph.digests)
    assert set(graph.definition.metadata) == set(graph.digests[:-1])


def test_sources_carry_identifier_attrs_and_platform(graph: Graph) -> None:
    image, local = graph.of_type("source")
    assert image.source.identifier == "docker-image://docker.io/library/bash:latest"
    assert dict(image.source.attrs) == {"image.resolvemode": "local"}
    assert (image.platform.OS, image.platform.Architecture) == ("linux", "amd64")
    assert local.source.identifier == "local://context"
    assert dict(local.source.attrs) == {
        "local.session": "session-1",
        "local.sharedkeyhint": "context",
        "local.followpaths": '["b", "a"]',
        "local.excludepatterns": '["*.tmp", ".git"]',
    }
    assert not local.HasField("platform")


def test_default_resolve_mode_and_empty_local_options_add_no_attrs() -> None:
    for state in (State.image("docker.io/library/x:1", resolve_mode="default"), State.local("ctx")):
        op = Graph.of(marshal(state.output)).ops[0][1]
        assert dict(op.source.attrs) == {}


def test_exec_meta_mounts_and_network(graph: Graph) -> None:
    digest, op = graph.named("[1/3] build")
    image, local = graph.ops[0][0], graph.ops[1][0]
    assert [(i.digest, i.index) for i in op.inputs] == [(image, 0), (local, 0)]
    meta = op.exec.meta
    assert (list(meta.args), list(meta.env), meta.cwd, meta.user) == (
        ["/bin/sh", "-c", "make"], ["A=1", "PATH=/bin"], "/src", "builder",
    )  # fmt: skip
    assert meta.removeMountStubsRecursive
    assert op.exec.network == pb.UNSET
    root, cache, tmpfs, bind = op.exec.mounts
    assert (root.dest, root.input, root.output, root.readonly, root.mountType) == ("/", 0, 0, False, pb.BIND)
    assert (cache.dest, cache.input, cache.output, cache.mountType) == ("/cache", -1, -1, pb.CACHE)
    assert (cache.cacheOpt.ID, cache.cacheOpt.sharing) == ("build", pb.LOCKED)
    assert (tmpfs.dest, tmpfs.input, tmpfs.output, tmpfs.mountType, tmpfs.TmpfsOpt.size) == (
        "/tmp",
        -1,
        -1,
        pb.TMPFS,
        64,
    )
    assert (bind.dest, bind.input, bind.output, bind.selector, bind.readonly) == ("/ctx", 1, -1, "/sub", True)
    assert (op.platform.OS, op.platform.Architecture) == ("linux", "amd64")
    assert graph.definition.metadata[digest].ignore_cache


@pytest.mark.parametrize(
    ("mode", "wire"), [(NetMode.NONE, pb.NONE), (NetMode.HOST, pb.HOST), (NetMode.DEFAULT, pb.UNSET)]
)
def test_network_modes(mode: NetMode, wire: int) -> None:
    assert Graph.of(marshal(base().run(["x"], network=mode).output)).result.exec.network == wire


def test_network_is_none_unless_asked() -> None:
    assert Graph.of(marshal(base().run(["x"]).output)).result.exec.network == pb.NONE


def test_a_multi_path_copy_chains_its_actions(graph: Graph) -> None:
    digest, op = graph.named("[2/3] copy")
    built, local = graph.named("[1/3] build")[0], graph.ops[1][0]
    assert [i.digest for i in op.inputs] == [built, local]
    actions = op.file.actions
    # action 0 reads input 0; each later one reads the previous action's result (index len(inputs) + k - 1)
    assert [(a.input, a.secondaryInput, a.output) for a in actions] == [(0, 1, -1), (2, 1, -1), (3, 1, 0)]
    assert [a.copy.src for a in actions] == ["/a", "/b", "/c"]
    for action in actions:
        c = action.copy
        assert (c.dest, c.mode, c.timestamp) == ("/dst/", -1, -1)
        assert c.followSymlink and c.dirCopyContents and c.createDestPath and c.allowWildcard
        assert not c.allowEmptyWildcard
        assert c.owner.user.byID == 1000
        assert (c.owner.group.byName.name, c.owner.group.byName.input) == ("app", 0)
    assert not graph.definition.metadata[digest].ignore_cache


def test_a_copy_onto_scratch_starts_from_no_input() -> None:
    op = Graph.of(marshal(State.scratch().copy(context(), ["/a", "/b"], "/").output)).result
    assert len(op.inputs) == 1
    assert [(a.input, a.secondaryInput, a.output) for a in op.file.actions] == [(-1, 0, -1), (1, 0, 0)]


def test_chown_without_group_sets_only_the_user() -> None:
    op = Graph.of(marshal(base().copy(context(), ["/a"], "/", chown=Chown("app")).output)).result
    owner = op.file.actions[0].copy.owner
    assert owner.user.byName.name == "app" and not owner.HasField("group")


def test_a_copy_needs_a_path() -> None:
    with pytest.raises(ValueError, match="at least one path"):
        base().copy(context(), [], "/")


def test_metadata_names_ignore_cache_and_caps(graph: Graph) -> None:
    names = [graph.name(d) for d in graph.digests[:-1]]
    assert names == ["[base] bash", "[internal] load build context", "[1/3] build", "[2/3] copy", "[3/3] check"]
    flags = [graph.definition.metadata[d].ignore_cache for d in graph.digests[:-1]]
    assert flags == [False, False, True, False, False]
    md = Metadata(name="n", ignore_cache=True, caps=("exec.mount.cache",)).to_pb()
    assert dict(md.caps) == {"exec.mount.cache": True} and md.ignore_cache
    assert dict(Metadata().to_pb().description) == {}


def test_metadata_does_not_change_digests() -> None:
    a = Graph.of(marshal(base().run(["x"], name="one").output))
    b = Graph.of(marshal(base().run(["x"], name="two", ignore_cache=True).output))
    assert a.digests == b.digests


def test_shared_vertices_are_emitted_once(graph: Graph) -> None:
    # "build" is the copy's base and also bind-mounted into "check": one op, two readers
    built = graph.named("[1/3] build")[0]
    assert graph.digests.count(built) == 1
    _, check = graph.named("[3/3] check")
    assert [i.digest for i in check.inputs] == [graph.named("[2/3] copy")[0], built]
    assert check.exec.mounts[1].input == 1


def test_equal_vertices_built_twice_are_emitted_once() -> None:
    one, two = base(), base()
    state = one.run(["x"], mounts=[MountSpec("/m", source=two.output)])
    graph = Graph.of(marshal(state.output))
    assert len(graph.of_type("source")) == 1
    assert [m.input for m in graph.result.exec.mounts] == [0, 1]  # inputs by object: both point at one digest
    assert graph.result.inputs[0].digest == graph.result.inputs[1].digest


def test_a_second_output_of_an_exec_is_addressed_by_index() -> None:
    root = MountSpec("/", source=Output(SourceVertex("local://x")), produces_output=True)
    exec_ = ExecVertex(("x",), (), "/", "", (root, MountSpec("/out", produces_output=True)))
    graph = Graph.of(marshal(Output(exec_, 1)))
    assert [(m.input, m.output) for m in graph.result.exec.mounts] == [(0, 0), (-1, 1)]
    assert graph.final.inputs[0].index == 1
    reader = Graph.of(marshal(State(Output(exec_, 1)).run(["y"]).output))
    assert (reader.result.inputs[0].digest, reader.result.inputs[0].index) == (graph.digests[-2], 1)


def test_an_empty_filesystem_marshals_to_an_empty_definition() -> None:
    assert len(getattr(marshal(None), "def")) == 0
    assert len(getattr(marshal(State.scratch().output), "def")) == 0


def test_serialize_round_trips(graph: Graph) -> None:
    data = serialize(graph.definition)
    assert Graph.parse(data).digests == graph.digests
    assert data == serialize(Graph.parse(data).definition)


def test_to_json_has_one_entry_per_op(graph: Graph) -> None:
    entries = to_json(graph.definition)
    json.dumps(entries)  # plain JSON types only
    assert [e["digest"] for e in entries] == graph.digests
    assert [e["type"] for e in entries] == ["source", "source", "exec", "file", "exec", "result"]
    assert entries[2]["op"]["exec"]["meta"]["args"] == ["/bin/sh", "-c", "make"]
    assert entries[2]["metadata"]["description"] == {"llb.customname": "[1/3] build"}
    assert entries[2]["metadata"]["ignore_cache"] is True
    assert "metadata" not in entries[-1]
    assert entries[-1]["op"] == {"inputs": [{"digest": graph.digests[-2]}]}


def test_platforms() -> None:
    assert Platform.parse("linux/arm/v7") == Platform("linux", "arm", "v7")
    assert str(Platform.parse(" linux/amd64 ")) == "linux/amd64"
    assert str(Platform("linux", "arm", "v7")) == "linux/arm/v7"
    for bad in ("linux", "linux/", "a/b/c/d", "/amd64"):
        with pytest.raises(ValueError, match="os/arch"):
            Platform.parse(bad)
    state = base().with_platform(Platform("linux", "arm64"))
    assert Graph.of(marshal(state.run(["x"]).output)).result.platform.Architecture == "arm64"
    assert PLATFORM.to_pb() == pb.Platform(OS="linux", Architecture="amd64")


def test_a_chain_deeper_than_the_recursion_limit_marshals_inputs_first() -> None:
    depth = sys.getrecursionlimit() + 500
    state = State.image("docker.io/library/bash:latest", platform=PLATFORM)
    for i in range(depth):
        state = state.run(["/bin/true", str(i)], name=f"step {i}")
    ops = getattr(marshal(state.output), "def")
    assert len(ops) == depth + 2  # the source, every exec, the bare result op
    seen: set[str] = set()
    for data in ops:
        op = pb.Op()
        op.ParseFromString(data)
        assert all(i.digest in seen for i in op.inputs)  # every input was emitted before its user
        seen.add(op_digest(data))

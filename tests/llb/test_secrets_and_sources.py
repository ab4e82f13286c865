"""Secret and ssh mounts, secret env, the source map, file ops, and graphs far deeper than Python's recursion limit."""

from __future__ import annotations

import sys

from goshfile.buildkit import ops_pb2 as pb
from goshfile.llb import MountKind, MountSpec, State, marshal
from goshfile.llb.vertex import Location, SecretEnv, SourceFile, Span
from tests.helpers import Graph
from tests.llb.graphs import PLATFORM, base


def test_a_secret_mount_carries_id_owner_mode_and_whether_it_is_optional() -> None:
    secret = MountSpec("/run/secrets/token", kind=MountKind.SECRET, secret_id="token", uid=1000, gid=2000, mode=0o440)
    state = base().run(["/bin/true"], mounts=[secret], name="uses a secret")
    _, op = Graph.of(marshal(state.output)).named("uses a secret")
    mount = op.exec.mounts[1]
    assert mount.mountType == pb.SECRET and mount.dest == "/run/secrets/token"
    assert (mount.secretOpt.ID, mount.secretOpt.uid, mount.secretOpt.gid) == ("token", 1000, 2000)
    assert mount.secretOpt.mode == 0o440 and not mount.secretOpt.optional
    assert (mount.input, mount.output) == (-1, -1)  # no input filesystem, no output
    assert not mount.HasField("SSHOpt") and not mount.HasField("cacheOpt")
    assert len(op.inputs) == 1  # only the root filesystem


def test_an_ssh_mount_carries_its_id_and_socket_mode() -> None:
    ssh = MountSpec("/run/buildkit/ssh_agent.0", kind=MountKind.SSH, secret_id="default", mode=0o600, optional=True)
    state = base().run(["/bin/true"], mounts=[ssh], name="uses ssh")
    graph = Graph.of(marshal(state.output))
    digest, op = graph.named("uses ssh")
    mount = op.exec.mounts[1]
    assert mount.mountType == pb.SSH and mount.dest == "/run/buildkit/ssh_agent.0"
    assert (mount.SSHOpt.ID, mount.SSHOpt.mode, mount.SSHOpt.optional) == ("default", 0o600, True)
    assert dict(graph.definition.metadata[digest].caps) == {"exec.mount.ssh": True}


def test_a_secret_env_is_named_in_the_exec_and_no_value_appears_anywhere() -> None:
    state = base().run(
        ["/bin/sh", "-c", 'test -n "$TOKEN"'],
        mounts=[MountSpec("/run/secrets/t", kind=MountKind.SECRET, secret_id="t")],
        secret_env=[SecretEnv("t", "TOKEN")],
        name="env",
    )
    graph = Graph.of(marshal(state.output))
    digest, op = graph.named("env")
    [env] = op.exec.secretenv
    assert (env.ID, env.name, env.optional) == ("t", "TOKEN", False)
    assert not any(e.startswith("TOKEN=") for e in op.exec.meta.env)
    assert dict(graph.definition.metadata[digest].caps) == {"exec.mount.secret": True, "exec.secretenv": True}


def test_ops_with_a_location_are_mapped_to_their_lines_in_the_source() -> None:
    file = SourceFile("goshfile.yaml", b"apiVersion: 1\nimage: x\nsteps:\n  - name: a\n  - name: b\n", "goshfile")
    first = base().run(["/a"], name="a", location=Location(file, (Span(4, 4),)))
    second = first.copy(base(), ["/x"], "/y", name="b", location=Location(file, (Span(5, 6, 2, 9),)))
    definition = marshal(second.output)
    graph = Graph.of(definition)
    [info] = definition.Source.infos
    assert (info.filename, info.data, info.language) == ("goshfile.yaml", file.data, "goshfile")
    a, _ = graph.named("a")
    b, _ = graph.named("b")
    assert set(definition.Source.locations) == {a, b}  # ops without a location (the image) are not mapped
    [loc_a] = definition.Source.locations[a].locations
    assert loc_a.sourceIndex == 0 and [(r.start.line, r.end.line) for r in loc_a.ranges] == [(4, 4)]
    [loc_b] = definition.Source.locations[b].locations
    assert (loc_b.ranges[0].start.line, loc_b.ranges[0].start.character) == (5, 2)
    assert (loc_b.ranges[0].end.line, loc_b.ranges[0].end.character) == (6, 9)


def test_the_source_map_does_not_change_op_digests() -> None:
    file = SourceFile("g.yaml", b"x", "goshfile")
    plain = Graph.of(marshal(base().run(["/a"], name="a").output))
    mapped = Graph.of(marshal(base().run(["/a"], name="a", location=Location(file, (Span(1, 1),))).output))
    assert plain.digests == mapped.digests
    assert not plain.definition.HasField("Source")


def test_mkfile_writes_data_with_a_mode_on_an_empty_filesystem() -> None:
    state = State.scratch(PLATFORM).mkfile("/probe", b"\x7fELF", mode=0o755, name="write")
    _, op = Graph.of(marshal(state.output)).named("write")
    [action] = op.file.actions
    assert (action.input, action.secondaryInput, action.output) == (-1, -1, 0)
    assert (action.mkfile.path, action.mkfile.data, action.mkfile.mode) == ("/probe", b"\x7fELF", 0o755)


def test_a_chain_of_5000_steps_marshals_without_recursion() -> None:
    assert sys.getrecursionlimit() < 5000
    state = base()
    for i in range(5000):
        state = state.run(["/bin/true", str(i)], name=f"step {i}")
    graph = Graph.of(marshal(state.output))
    assert len(graph.ops) == 5002  # the image, 5000 execs, the final op
    seen: set[str] = set()
    for digest, op in graph.ops:
        assert all(i.digest in seen for i in op.inputs)
        seen.add(digest)
    assert graph.result.exec.meta.args == ["/bin/true", "4999"]


def test_a_vertex_shared_by_two_inputs_is_emitted_once_before_both() -> None:
    shared = base().run(["/shared"], name="shared")
    left = shared.run(["/left"], name="left")
    both = left.run(["/both"], mounts=[MountSpec("/s", source=shared.output, readonly=True)], name="both")
    graph = Graph.of(marshal(both.output))
    names = [graph.name(d) for d in graph.digests[:-1]]
    assert names == ["[base] bash", "shared", "left", "both"]

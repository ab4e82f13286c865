"""The job floor of ``bench/frontend.py``: the least frontend that builds its goshfile with goshfile's libraries.

It runs inside a copy of the goshfile frontend image (same interpreter, same start-up tuning: the
collector off while importing, the imports frozen out of later collections) and does the build's
job the shortest way the gateway API allows, with what goshfile's frontend uses: grpcio over the
stdio relay (grpcio cannot dial stdio), the protobuf messages of ``goshfile/buildkit``, PyYAML's C
loader and hashlib's SHA-256 for the op digests. In order, as goshfile does:

1. solve the client's ``dockerfile`` local (the file named by the ``filename`` opt) and read the file;
2. load it with PyYAML's C loader and take ``image`` and each step's ``run`` command and args;
3. resolve the image's config (digest and config, as BuildKit's own frontends do);
4. solve one exec op per step, chained on the pinned image (the config's environment and working
   directory, no network, the root mount as the output);
5. return that result with the base image's config as ``containerimage.config``.

No schema check, no positions, no labels, no provenance, no source map, no error reporting beyond
a traceback: it is a floor for the goshfiles the bench compares (run steps with a command and args only, as
``bench/frontend.py`` checks, on a Docker Hub name),
not a frontend. What goshfile's frontend costs above it is goshfile's own structure.
"""

from __future__ import annotations

import gc

gc.disable()  # as goshfile.startup does for the frontend, while importing

import hashlib  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402
from typing import Any  # noqa: E402

import grpc  # noqa: E402
import yaml  # noqa: E402

from goshfile.buildkit import gateway_pb2 as gw  # noqa: E402
from goshfile.buildkit import gateway_pb2_grpc as gw_grpc  # noqa: E402
from goshfile.buildkit import ops_pb2 as pb  # noqa: E402
from goshfile.frontend.stdio import StdioRelay  # noqa: E402

gc.freeze()
gc.enable()

OPT_PREFIX = "BUILDKIT_FRONTEND_OPT_"
ARCH = {"x86_64": "amd64", "aarch64": "arm64"}


def definition(ops: list[pb.Op]) -> pb.Definition:
    """The ops chained (each one's input 0 is the previous one's output 0), then the bare result op."""
    data: list[bytes] = []
    digest = ""
    for op in ops:
        if digest:
            op.inputs.append(pb.Input(digest=digest, index=0))
        raw = op.SerializeToString(deterministic=True)
        digest = "sha256:" + hashlib.sha256(raw).hexdigest()
        data.append(raw)
    data.append(pb.Op(inputs=[pb.Input(digest=digest, index=0)]).SerializeToString(deterministic=True))
    result = pb.Definition()
    getattr(result, "def").extend(data)  # `def` is a Python keyword
    return result


def solve(stub: Any, ops: list[pb.Op]) -> str:
    req = gw.SolveRequest(Definition=definition(ops), allowResultReturn=True, allowResultArrayRef=True)
    return str(stub.Solve(req).result.ref.id)


def build(stub: Any, environ: dict[str, str]) -> None:
    opts = dict(environ[k].partition("=")[::2] for k in environ if k.startswith(OPT_PREFIX))
    name = opts.get("filename", "goshfile.yaml")
    machine = os.uname().machine
    if machine not in ARCH:  # goshfile takes the worker's platform; this floor only knows these two
        raise SystemExit(f"floor_frontend: no platform for machine {machine}")
    platform = pb.Platform(OS="linux", Architecture=ARCH[machine])
    attrs = {
        "local.session": environ.get("BUILDKIT_SESSION_ID", ""),
        "local.sharedkeyhint": name,
        "local.followpaths": json.dumps([name]),
    }
    local = solve(stub, [pb.Op(source=pb.SourceOp(identifier="local://dockerfile", attrs=attrs))])
    doc = yaml.load(stub.ReadFile(gw.ReadFileRequest(Ref=local, FilePath=name)).Data, Loader=yaml.CSafeLoader)
    image = str(doc["image"])
    image = image if "/" in image else f"docker.io/library/{image}"
    res = stub.ResolveImageConfig(
        gw.ResolveImageConfigRequest(
            Ref=image, Platform=platform, ResolveMode="default", LogName=f"[internal] load metadata for {image}"
        )
    )
    config = json.loads(res.Config)
    settings = config.get("config") or {}
    pinned = f"{image}@{res.Digest}" if res.Digest else image  # an image only in the engine's store: by name
    ops = [pb.Op(source=pb.SourceOp(identifier=f"docker-image://{pinned}"), platform=platform)]
    for step in doc["steps"]:  # each a run step with command and args (bench/frontend.py checks that)
        run = step["run"]
        meta = pb.Meta(
            args=[str(a) for a in [*run["command"], *run.get("args", [])]],
            env=settings.get("Env") or [],
            cwd=settings.get("WorkingDir") or "/",
            removeMountStubsRecursive=True,
        )
        op = pb.Op(exec=pb.ExecOp(meta=meta, mounts=[pb.Mount(input=0, dest="/", output=0)], network=pb.NONE))
        op.platform.CopyFrom(platform)
        ops.append(op)
    ref = solve(stub, ops)
    result = gw.Result(ref=gw.Ref(id=ref), metadata={"containerimage.config": json.dumps(config).encode()})
    stub.Return(gw.ReturnRequest(result=result))


def main() -> None:
    relay = StdioRelay.take_stdio()
    with grpc.insecure_channel(relay.address) as channel:
        build(gw_grpc.LLBBridgeStub(channel), dict(os.environ))  # type: ignore[no-untyped-call]
    sys.stderr.flush()
    os._exit(0)  # as goshfile's frontend does: BuildKit waits for the process to end before it exports


if __name__ == "__main__":
    main()

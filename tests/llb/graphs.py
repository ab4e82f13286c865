"""Sample LLB graphs for the llb tests (also run in separate processes to check determinism)."""

from __future__ import annotations

from goshfile.llb import Chown, MountKind, MountSpec, NetMode, Platform, Sharing, State, marshal, serialize

PLATFORM = Platform("linux", "amd64")


def base() -> State:
    return State.image("docker.io/library/bash:latest", platform=PLATFORM, resolve_mode="local", name="[base] bash")


def context() -> State:
    return State.local(
        "context",
        session_id="session-1",
        shared_key_hint="context",
        follow_paths=["b", "a"],
        exclude_patterns=["*.tmp", ".git"],
        progress_name="[internal] load build context",
    )


def sample() -> State:
    """An image, a local, an exec with every kind of mount, a multi-path copy, and a second exec."""
    ctx = context()
    built = base().run(
        ["/bin/sh", "-c", "make"],
        env=["A=1", "PATH=/bin"],
        cwd="/src",
        user="builder",
        mounts=[
            MountSpec("/cache", kind=MountKind.CACHE, cache_id="build", sharing=Sharing.LOCKED),
            MountSpec("/tmp", kind=MountKind.TMPFS, tmpfs_size=64),
            MountSpec("/ctx", source=ctx.output, selector="/sub", readonly=True),
        ],
        network=NetMode.DEFAULT,
        name="[1/3] build",
        ignore_cache=True,
    )
    copied = built.copy(ctx, ["/a", "/b", "/c"], "/dst/", chown=Chown("1000", "app"), name="[2/3] copy")
    return copied.run(
        ["/bin/true"], mounts=[MountSpec("/prev", source=built.output, readonly=True)], name="[3/3] check"
    )


def sample_bytes() -> bytes:
    return serialize(marshal(sample().output))


if __name__ == "__main__":
    print(sample_bytes().hex())

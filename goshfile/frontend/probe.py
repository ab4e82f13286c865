"""Check, before any step runs, that the client gave every required secret and ssh agent.

The gateway API has no call that lists the client's secrets: BuildKit looks a
secret up when it prepares an exec's mounts, which for a later step is after
the earlier steps ran. So the frontend first solves one small exec that mounts
every required secret and ssh socket and runs a program that only exits: a
static ELF executable of a few bytes written by a file op (no image needed).
It is never cached, so a secret removed since the last build is noticed.
"""

from __future__ import annotations

import re
import struct
from collections.abc import Sequence

from goshfile.llb import MountKind, MountSpec, NetMode, Platform, State
from goshfile.llb.vertex import SecretEnv

PROGRAM = "/goshfile-probe"

# Machine code of exit(0) per architecture (ELF e_machine, code bytes).
_EXIT0: dict[str, tuple[int, bytes]] = {
    # mov eax, 60 (exit); xor edi, edi; syscall
    "amd64": (62, bytes.fromhex("b83c00000031ff0f05")),
    # mov x8, #93 (exit); mov x0, #0; svc #0
    "arm64": (183, struct.pack("<III", 0xD2800BA8, 0xD2800000, 0xD4000001)),
}
_LOAD_ADDRESS = 0x400000
_HEADERS = 64 + 56  # ELF64 header + one program header


def exit0_elf(architecture: str) -> bytes | None:
    """A static ELF64 executable that exits with status 0, or None for an architecture not covered."""
    known = _EXIT0.get(architecture)
    if known is None:
        return None
    machine, code = known
    entry = _LOAD_ADDRESS + _HEADERS
    size = _HEADERS + len(code)
    ident = b"\x7fELF" + bytes([2, 1, 1, 0]) + bytes(8)  # 64-bit, little endian, version 1, System V
    header = ident + struct.pack("<HHIQQQIHHHHHH", 2, machine, 1, entry, 64, 0, 0, 64, 56, 1, 0, 0, 0)
    # PT_LOAD, flags R+X, offset 0, vaddr, paddr, filesz, memsz, align
    program = struct.pack("<IIQQQQQQ", 1, 5, 0, _LOAD_ADDRESS, _LOAD_ADDRESS, size, size, 0x1000)
    return header + program + code


def probe_state(needs: Sequence[tuple[str, str]], platform: Platform) -> State | None:
    """An exec that mounts every ``(kind, id)`` (kind ``secret`` or ``ssh``) and exits; None if none or no program."""
    if not needs:
        return None
    program = exit0_elf(platform.architecture)
    if program is None:
        return None
    mounts: list[MountSpec] = []
    secret_env: list[SecretEnv] = []
    for n, (kind, ident) in enumerate(needs):
        if kind == "secret":
            mounts.append(MountSpec(f"/run/secrets/probe-{n}", kind=MountKind.SECRET, secret_id=ident, mode=0o400))
        else:
            mounts.append(MountSpec(f"/run/ssh-{n}", kind=MountKind.SSH, secret_id=ident, mode=0o600))
    ids = ", ".join(f"{kind} {ident}" for kind, ident in needs)
    root = State.scratch(platform).mkfile(PROGRAM, program, mode=0o755, name="[internal] goshfile probe")
    return root.run(
        [PROGRAM],
        mounts=mounts,
        secret_env=secret_env,
        network=NetMode.NONE,
        name=f"[internal] check the build's secrets and ssh agents ({ids})",
        ignore_cache=True,
    )


_SECRET_MISSING = re.compile(r"secret ([^\s:]+): not found")
_SSH_MISSING = re.compile(r'no SSH key "?([^"\s]+)"? forwarded|ssh agent "?([^"\s]+)"? not found|unset ssh forward key')


def missing(engine_message: str, needs: Sequence[tuple[str, str]]) -> tuple[str, str] | None:
    """The ``(kind, id)`` a missing-secret or missing-ssh error of BuildKit is about, or None for another error."""
    secret = _SECRET_MISSING.search(engine_message)
    if secret:
        return ("secret", secret.group(1))
    ssh = _SSH_MISSING.search(engine_message)
    if ssh:
        ident = next((g for g in ssh.groups() if g), None)
        return ("ssh", ident or next((i for k, i in needs if k == "ssh"), "default"))
    return None


def missing_message(kind: str, ident: str, step: str) -> str:
    """What the user reads when step ``step`` needs a secret or ssh agent that was not given."""
    if kind == "secret":
        return (
            f"secret {ident!r} is required by step {step} but was not given: pass --secret id={ident},src=FILE "
            f"(or id={ident},env=VARIABLE), or mark the mount 'required: false'"
        )
    return (
        f"ssh agent {ident!r} is required by step {step} but was not given: pass --ssh {ident} "
        f"(or --ssh {ident}=PATH-TO-KEY-OR-SOCKET), or mark the mount 'required: false'"
    )

from __future__ import annotations

import subprocess
import sys
import sysconfig
from pathlib import Path

import goshfile

# What the frontend's entry point imports before its first gRPC call, and what a build imports later.
FRONTEND_IMPORTS = (
    "goshfile.frontend.main",
    "goshfile.frontend.stdio",
    "grpc",
    "goshfile.frontend.build",
    "goshfile.frontend.gateway",
    "goshfile.frontend.options",
    "goshfile.frontend.convert",
    "goshfile.spec.loader",
)
# Each costs start-up time on every build and is needed only by some: paths on the host (pathlib, with
# urllib.parse), GOSH sources (their URL parser's patterns), a context's .dockerignore, the probe for
# secrets and ssh, subrequests, the CLI's libraries.
NOT_AT_START = (
    "pathlib",
    "goshfile.dockerignore",
    "goshfile.frontend.probe",
    "urllib.parse",
    "ipaddress",
    "fnmatch",
    "goshfile.gosh.url",
    "goshfile.frontend.subrequests",
    "pydantic",
    "secrets",
    "importlib.metadata",
    "click",
    "docker",
)


def test_a_build_loads_none_of_what_only_some_builds_need() -> None:
    # -S: without site, whose .pth files load pathlib in this venv (the frontend image has none).
    site = sysconfig.get_paths()
    paths = [str(Path(goshfile.__file__).parent.parent), *dict.fromkeys((site["purelib"], site["platlib"]))]
    code = (
        f"import sys\nsys.path[:0] = {paths!r}\n"
        + "".join(f"import {name}\n" for name in FRONTEND_IMPORTS)
        + f"print(sorted(m for m in {NOT_AT_START!r} if m in sys.modules))"
    )
    proc = subprocess.run([sys.executable, "-S", "-c", code], capture_output=True, text=True, check=False, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"

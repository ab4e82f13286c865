"""Benchmark the goshfile frontend against BuildKit's builtin Dockerfile frontend.

Both sides build the seed example (``examples/seed/goshfile.yaml``): ours through
its ``# syntax=teamgosh/goshfile`` line, theirs as an equivalent Dockerfile
(``FROM <image>`` and one exec-form ``RUN`` per step with the same command, no
``# syntax`` line, so BuildKit's builtin frontend runs it) in a temporary folder.
Each build is ``docker buildx build --progress=quiet -f FILE -t TAG CONTEXT`` with
the docker driver's default export (load into the engine's image store), timed
end to end (wall clock of the client process).

Modes, interleaved run by run (ours cold, theirs cold, ours warm, theirs warm, ...):

- cold: ``docker builder prune -af`` just before the build (images are kept, so the
  base image and the frontend image stay local; the RUN step executes again);
- warm: everything cached (an untimed build of both just before the warm pair puts
  back the cache that the previous prune removed).

Usage::

    .venv/bin/python bench/frontend.py                 # 5 runs per mode, table and ratios
    .venv/bin/python bench/frontend.py --runs 9 --json # machine-readable
    .venv/bin/python bench/frontend.py --frontend goshfile-exp:test   # another frontend image
    .venv/bin/python bench/frontend.py --breakdown     # where the frontend's extra time goes

``--frontend IMAGE`` builds our side with ``--build-arg BUILDKIT_SYNTAX=IMAGE``
(for comparing an experimental frontend image). ``--breakdown`` measures, against a
Dockerfile warm build timed in the same run: (a) ``docker run`` of the frontend
image's Python (``-c pass``) next to ``docker run`` of ``bash:latest``, and the
interpreter start inside one container (no ``docker run`` cost); (b) the wall-clock
import time inside the image of what the frontend imports at start (``main``,
``build``, ``grpc``) and of everything a build imports (plus ``convert`` and the
spec loader, which may be imported late), and ``-X importtime`` of the latter (top
cumulative imports, the import tree, self time by package); (c) a warm build of the
seed with the frontend given as ``--build-arg BUILDKIT_SYNTAX=IMAGE``.

Floors, built by the bench from the frontend image (nothing pulled) and given as the file's
``# syntax`` line: **noop** (a static busybox ``true``), **python** (the image's interpreter,
``-c pass``), **libraries** (the interpreter loading grpcio, protobuf's descriptor pool and
PyYAML's C loader, then exiting), which return no result, so their builds fail and are timed
until they do; and **job** (``bench/floor_frontend.py``): the least frontend that does the
build's job with the same libraries (read the file, load it, resolve the base image, solve the
steps, return the result with the base image's config), so it runs the steps, cold too, and its
builds succeed. goshfile's cost above the job floor is goshfile's own structure.

Each target's verdict (``bench/verdicts.py``) is met, NOT met, or stopped by the floor: cold and
warm are stopped by the floor when the job floor's own ratio to the Dockerfile build, in the same
run, is above the target; the own cost (goshfile minus noop, warm) when the job floor, which does
the same build with the same libraries, is itself more than the target above noop (the libraries
floor, which loads them and returns nothing, is printed beside it).

Warning: the cold mode prunes the whole BuildKit cache of the engine (every
project's). Only the tags ``goshfile-bench:ours``, ``goshfile-bench:dockerfile``,
``goshfile-bench:job`` and the floor frontends' are written; the untagged images
that earlier builds leave behind when a tag moves are removed at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import paired  # bench/paired.py, beside this script
import verdicts  # bench/verdicts.py, beside this script
import yaml

REPO = Path(__file__).resolve().parent.parent
SEED = REPO / "examples" / "seed" / "goshfile.yaml"
FRONTEND_IMAGE = "teamgosh/goshfile:latest"
OURS_TAG = "goshfile-bench:ours"
THEIRS_TAG = "goshfile-bench:dockerfile"
TARGETS = {"cold": 1.3, "warm": 1.6}  # ours/dockerfile, medians
OWN_COST_TARGET = 0.10  # seconds: goshfile warm minus the no-op frontend warm
NOOP_TAG = "goshfile-bench:noop-frontend"  # a static binary that exits at once
PYTHON_TAG = "goshfile-bench:python-frontend"  # the frontend image's Python, importing nothing
LIBS_TAG = "goshfile-bench:libraries-frontend"  # the same Python loading the frontend's libraries, nothing else
JOB_TAG = "goshfile-bench:job-frontend"  # the least frontend doing the build's job with those libraries
JOB_OUT_TAG = "goshfile-bench:job"  # what the job floor builds
JOB_SCRIPT = Path(__file__).resolve().parent / "floor_frontend.py"
# What the libraries floor runs: the frontend's libraries loaded as a build loads them (grpcio's channel
# module, protobuf's descriptor pool, PyYAML's C loader), then nothing;
# with the start-up tuning the frontend applies to itself (goshfile.startup), like for like.
LIBS_CODE = "import gc; gc.disable(); import grpc, google.protobuf.descriptor_pool, yaml; from yaml import CSafeLoader"
BUSYBOX = Path("/bin/busybox")  # Debian's busybox-static (scripts/install-system.sh)
FRONTEND_LABELS = 'LABEL moby.buildkit.frontend.network.none="true"\n'  # as the goshfile frontend image says
IMAGE_PYTHON = "/usr/local/bin/goshfile-python"  # the interpreter in the frontend image
FRONTEND_IMPORTS = "import goshfile.frontend.main, goshfile.frontend.build, grpc"  # what the frontend starts with
LATE_MODULES = ("goshfile.frontend.convert", "goshfile.spec.loader")  # imported later in a build, if not at start
ALL_IMPORTS = FRONTEND_IMPORTS + "".join(f"\ntry:\n    import {m}\nexcept ImportError:\n    pass" for m in LATE_MODULES)
BASH_IMAGE = "bash:latest"
BASH = "/usr/local/bin/bash"

# Runs inside the frontend image: time fresh interpreters, interleaving the statements.
_IN_IMAGE_TIMER = """
import json, subprocess, sys, time
py, n, stmts = sys.argv[1], int(sys.argv[2]), json.loads(sys.argv[3])
out = {name: [] for name in stmts}
for _ in range(n):
    for name, code in stmts.items():
        t = time.perf_counter()
        subprocess.run([py, "-c", code], check=True)
        out[name].append(time.perf_counter() - t)
print(json.dumps(out))
"""
_IMPORTTIME = re.compile(r"^import time:\s+(\d+) \|\s+(\d+) \| ( *)(\S+)\s*$")


class BenchError(Exception):
    """A command the benchmark needs failed."""


def docker(*args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    """Run ``docker ARGS``; raise :class:`BenchError` with its output when it fails."""
    proc = subprocess.run(
        ["docker", *args],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if proc.returncode != 0:
        tail = "\n".join((proc.stderr or proc.stdout).strip().splitlines()[-15:])
        raise BenchError(f"docker {' '.join(args[:3])} ... failed (exit {proc.returncode}):\n{tail}")
    return proc


def timed_docker(*args: str) -> tuple[float, str]:
    """Wall-clock seconds of ``docker ARGS`` and its stdout."""
    start = time.perf_counter()
    proc = docker(*args)
    return time.perf_counter() - start, proc.stdout


@dataclass(frozen=True)
class Summary:
    """Median, min and max of some samples (seconds)."""

    samples: list[float]

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    def as_dict(self) -> dict[str, Any]:
        return {
            "median": round(self.median, 4),
            "min": round(min(self.samples), 4),
            "max": round(max(self.samples), 4),
            "samples": [round(s, 4) for s in self.samples],
        }


def dockerfile_for(goshfile: Path, network_none: bool) -> str:
    """An equivalent Dockerfile: ``FROM image`` and one exec-form RUN per step (run steps with command/args only)."""
    doc = yaml.safe_load(goshfile.read_text())
    lines = [f"FROM {doc['image']}"]
    for step in doc.get("steps", []):
        run = step.get("run")
        if set(step) - {"name", "run"} or not isinstance(run, dict) or set(run) - {"command", "args"}:
            raise BenchError(f"{goshfile}: step {step.get('name')!r} has more than run.command/args; no equivalent")
        flag = "--network=none " if network_none else ""
        lines.append(f"RUN {flag}{json.dumps([*run['command'], *run.get('args', [])])}")
    return "\n".join(lines) + "\n"


@dataclass
class Builds:
    """The builds being compared, and the image ids they produced (for clean-up)."""

    goshfile: Path
    dockerfile: Path
    frontend: str | None = None  # None: the goshfile's own # syntax line
    image_ids: set[str] = field(default_factory=set)

    def _build(self, file: Path, tag: str, extra: Sequence[str] = ()) -> float:
        args = ["buildx", "build", "--progress=quiet", *extra, "-f", str(file), "-t", tag, str(file.parent)]
        seconds, out = timed_docker(*args)
        self.image_ids.update(re.findall(r"sha256:[0-9a-f]{64}", out))
        return seconds

    def ours(self, frontend: str | None = None) -> float:
        """Build the goshfile through our frontend; seconds."""
        image = frontend or self.frontend
        extra = ["--build-arg", f"BUILDKIT_SYNTAX={image}"] if image else []
        return self._build(self.goshfile, OURS_TAG, extra)

    def theirs(self) -> float:
        """Build the Dockerfile through the builtin frontend; seconds."""
        return self._build(self.dockerfile, THEIRS_TAG)

    def job(self) -> float:
        """Build the goshfile through the job floor (:mod:`floor_frontend`), which returns a result; seconds."""
        floor_file = self.dockerfile.parent / "floor-job.yaml"
        if not floor_file.exists():
            lines = self.goshfile.read_text().splitlines(keepends=True)
            floor_file.write_text(f"# syntax={JOB_TAG}\n" + "".join(lines[1:]))
        args = ["buildx", "build", "--progress=quiet", "-f", str(floor_file), "-t", JOB_OUT_TAG]
        seconds, out = timed_docker(*args, str(self.goshfile.parent))
        self.image_ids.update(re.findall(r"sha256:[0-9a-f]{64}", out))
        return seconds

    def floor(self, image: str) -> float:
        """Build the goshfile with a floor frontend named in its ``# syntax`` line, as ours is; seconds.

        The floor frontend exits without a result, so the build fails; anything else than that failure is
        an error. The file is a copy of the goshfile with only its first line changed, in a temporary folder,
        and the context is the goshfile's, so BuildKit does the same work as for ours up to the frontend.
        """
        floor_file = self.dockerfile.parent / f"floor-{re.sub(r'[^A-Za-z0-9]+', '-', image)}.yaml"
        if not floor_file.exists():
            lines = self.goshfile.read_text().splitlines(keepends=True)
            if not lines or not lines[0].startswith("# syntax="):
                raise BenchError(f"{self.goshfile}: the first line is not a # syntax line")
            floor_file.write_text(f"# syntax={image}\n" + "".join(lines[1:]))
        args = ["buildx", "build", "--progress=quiet", "-f", str(floor_file), str(self.goshfile.parent)]
        start = time.perf_counter()
        proc = subprocess.run(["docker", *args], capture_output=True, text=True, stdin=subprocess.DEVNULL, check=False)
        seconds = time.perf_counter() - start
        if proc.returncode == 0 or not FLOOR_FAILURE.search(proc.stderr):
            raise BenchError(f"the floor frontend {image} did not fail as expected:\n{proc.stderr.strip()[-800:]}")
        return seconds


# How buildx reports a frontend that exited without returning a result (BuildKit's gateway forwarder).
FLOOR_FAILURE = re.compile(r"no result for incomplete build")


def frontend_entrypoint(image: str) -> list[str]:
    """The Entrypoint of a frontend image."""
    out = docker("image", "inspect", "--format", "{{json .Config.Entrypoint}}", image).stdout
    value = json.loads(out)
    if not isinstance(value, list) or not value:
        raise BenchError(f"{image} has no entrypoint")
    return [str(v) for v in value]


def build_floor_images(frontend: str, work: Path) -> None:
    """Build the two floor frontends (with the builtin frontend, nothing pulled).

    - NOOP_TAG: ``FROM scratch`` with Debian's static busybox, entrypoint ``busybox true``: the
      cheapest external frontend there is (the engine starts a container that exits at once);
    - PYTHON_TAG: ``FROM`` the goshfile frontend image with its entrypoint's interpreter and options
      but ``-c pass`` in place of ``-m goshfile.frontend``: a Python frontend that imports nothing.
    """
    if not BUSYBOX.is_file():
        raise BenchError(f"{BUSYBOX} is missing: install Debian's busybox-static (scripts/install-system.sh)")
    noop = work / "noop"
    noop.mkdir()
    (noop / "busybox").write_bytes(BUSYBOX.read_bytes())
    (noop / "busybox").chmod(0o755)
    (noop / "Dockerfile").write_text(
        f'FROM scratch\nCOPY busybox /busybox\n{FRONTEND_LABELS}ENTRYPOINT ["/busybox", "true"]\n'
    )
    docker("buildx", "build", "--progress=quiet", "-t", NOOP_TAG, str(noop))
    entry = frontend_entrypoint(frontend)
    if "-m" not in entry:
        raise BenchError(f"{frontend}: entrypoint {entry} does not run a module with -m")
    python_entry = [*entry[: entry.index("-m")], "-c", "pass"]
    py = work / "python"
    py.mkdir()
    (py / "Dockerfile").write_text(f"FROM {frontend}\n{FRONTEND_LABELS}ENTRYPOINT {json.dumps(python_entry)}\n")
    docker("buildx", "build", "--progress=quiet", "-t", PYTHON_TAG, str(py))
    libs = work / "libraries"
    libs.mkdir()
    libs_entry = [*entry[: entry.index("-m")], "-c", LIBS_CODE]
    (libs / "Dockerfile").write_text(f"FROM {frontend}\n{FRONTEND_LABELS}ENTRYPOINT {json.dumps(libs_entry)}\n")
    docker("buildx", "build", "--progress=quiet", "-t", LIBS_TAG, str(libs))
    job = work / "job"
    job.mkdir()
    (job / "floor_frontend.py").write_text(JOB_SCRIPT.read_text())
    job_entry = [*entry[: entry.index("-m")], "/opt/goshfile-bench/floor_frontend.py"]
    (job / "Dockerfile").write_text(
        f"FROM {frontend}\nCOPY floor_frontend.py /opt/goshfile-bench/floor_frontend.py\n"
        f"{FRONTEND_LABELS}ENTRYPOINT {json.dumps(job_entry)}\n"
    )
    docker("buildx", "build", "--progress=quiet", "-t", JOB_TAG, str(job))


def prune_cache() -> None:
    """Empty BuildKit's cache (images are not touched)."""
    docker("builder", "prune", "-af")


def tagged_ids(tags: Iterable[str]) -> set[str]:
    """Image ids the given tags point at now (missing tags are skipped)."""
    ids: set[str] = set()
    for tag in tags:
        proc = subprocess.run(
            ["docker", "image", "inspect", "--format", "{{.Id}}", tag], capture_output=True, text=True, check=False
        )
        if proc.returncode == 0:
            ids.add(proc.stdout.strip())
    return ids


def remove_untagged(ids: Iterable[str]) -> int:
    """Remove the images among ``ids`` that no tag points at any more; return how many were removed."""
    removed = 0
    for image_id in ids:
        proc = subprocess.run(
            ["docker", "image", "inspect", "--format", "{{len .RepoTags}}", image_id],
            capture_output=True,
            text=True,
            check=False,
        )
        if proc.returncode != 0 or proc.stdout.strip() != "0":
            continue  # gone already, or tagged (ours now, or someone else's)
        rm = subprocess.run(["docker", "image", "rm", image_id], capture_output=True, text=True, check=False)
        removed += rm.returncode == 0
    return removed


def environment() -> dict[str, Any]:
    """Engine and machine facts that matter for reading the numbers."""

    def out(*args: str) -> str:
        proc = subprocess.run(["docker", *args], capture_output=True, text=True, check=False)
        return proc.stdout.strip() or "?"

    return {
        "docker": out("version", "--format", "{{.Server.Version}}"),
        "buildx": out("buildx", "version"),
        "cpus": os.cpu_count(),
        "loadavg_start": round(os.getloadavg()[0], 2),
    }


FLOORS = {"noop": NOOP_TAG, "python": PYTHON_TAG, "libraries": LIBS_TAG}


PAIRS = (("goshfile", "dockerfile"), ("job", "dockerfile"), ("goshfile", "job"))


def compare(builds: Builds, runs: int) -> dict[str, Any]:
    """The interleaved cold/warm comparison, with both floor frontends."""
    kinds = ("goshfile", "dockerfile", *FLOORS, "job")
    samples: dict[str, list[float]] = {f"{m}/{k}": [] for m in ("cold", "warm") for k in kinds}
    loads: dict[str, list[float]] = {k: [] for k in samples}

    def build(kind: str) -> float:
        if kind == "goshfile":
            return builds.ours()
        if kind == "dockerfile":
            return builds.theirs()
        if kind == "job":
            return builds.job()
        return builds.floor(FLOORS[kind])

    for kind in kinds:  # untimed warm-up: first-use costs (page cache, image store) out of run 1
        build(kind)
    for i in range(runs):
        for kind in kinds:
            prune_cache()
            samples[f"cold/{kind}"].append(build(kind))
            loads[f"cold/{kind}"].append(os.getloadavg()[0])
        builds.ours()  # untimed: put back the cache the last prunes removed
        builds.theirs()
        for kind in kinds:
            samples[f"warm/{kind}"].append(build(kind))
            loads[f"warm/{kind}"].append(os.getloadavg()[0])
        print(f"run {i + 1}/{runs}: " + ", ".join(f"{k} {v[-1]:.3f}s" for k, v in samples.items()), file=sys.stderr)
    modes = {k: Summary(v) for k, v in samples.items()}
    med = {k: v.median for k, v in modes.items()}
    ratios = {m: med[f"{m}/goshfile"] / med[f"{m}/dockerfile"] for m in TARGETS}
    floor_ratios = {
        m: {f"goshfile/{f}": round(med[f"{m}/goshfile"] / med[f"{m}/{f}"], 3) for f in (*FLOORS, "job")}
        | {f"{f}/dockerfile": round(med[f"{m}/{f}"] / med[f"{m}/dockerfile"], 3) for f in (*FLOORS, "job")}
        for m in TARGETS
    }
    # Per run: each run's builds ran one after the other, so a run's ratio is less moved by load drifting between runs.
    run_ratios = {
        m: {f"{a}/{b}": paired.per_run(samples[f"{m}/{a}"], samples[f"{m}/{b}"]) for a, b in PAIRS} for m in TARGETS
    }
    # goshfile's own cost: what it adds over the cheapest external frontend. Warm: goshfile - noop.
    # Cold: the floors run no step, so: (goshfile - dockerfile, both cold) - (noop - dockerfile, both warm).
    floor_extra = med["warm/noop"] - med["warm/dockerfile"]
    own = {
        "warm": med["warm/goshfile"] - med["warm/noop"],
        "cold": med["cold/goshfile"] - med["cold/dockerfile"] - floor_extra,
        # what goshfile's own code adds once its libraries are loaded (warm: goshfile - libraries floor)
        "warm_above_libraries": med["warm/goshfile"] - med["warm/libraries"],
        # above the least frontend doing the same job with the same libraries (it runs the steps, cold too)
        "warm_above_job": med["warm/goshfile"] - med["warm/job"],
        "cold_above_job": med["cold/goshfile"] - med["cold/job"],
    }
    return {
        "benchmark": "frontend",
        "runs": runs,
        "goshfile": str(builds.goshfile),
        "frontend": builds.frontend or "(# syntax line)",
        "floors": {**FLOORS, "job": JOB_TAG},
        "dockerfile": builds.dockerfile.read_text(),
        "modes": {
            k: {**v.as_dict(), "loadavg_median": round(statistics.median(loads[k]), 2)} for k, v in modes.items()
        },
        "ratios": {k: round(v, 3) for k, v in ratios.items()},
        "floor_ratios": floor_ratios,
        "per_run_ratios": run_ratios,
        "own_cost_s": {k: round(v, 4) for k, v in own.items()},
        "targets": {**TARGETS, "own_cost_warm_s": OWN_COST_TARGET},
        "met": {m: ratios[m] <= TARGETS[m] for m in TARGETS} | {"own_cost_warm": own["warm"] <= OWN_COST_TARGET},
        # met, stopped by the floor (the job floor's own ratio, or its own cost above noop, is above the target)
        # or NOT met
        "verdicts": {
            m: verdicts.verdict(ratios[m], TARGETS[m], med[f"{m}/job"] / med[f"{m}/dockerfile"]) for m in TARGETS
        }
        | {"own_cost_warm": verdicts.verdict(own["warm"], OWN_COST_TARGET, med["warm/job"] - med["warm/noop"])},
    }


def print_compare(result: dict[str, Any]) -> None:
    env = result["environment"]
    print(f"goshfile frontend benchmark: {result['runs']} runs per mode, interleaved")
    print(f"  engine: docker {env['docker']}, {env['buildx']}, {env['cpus']} CPUs")
    print(f"  load average (1 min): {env['loadavg_start']} at start, {env['loadavg_end']} at end")
    print(f"  goshfile:   {result['goshfile']} (frontend: {result['frontend']})")
    print("  dockerfile: " + result["dockerfile"].strip().replace("\n", " | "))
    print(
        f"  floors:     noop = {result['floors']['noop']} (static busybox true), "
        f"python = {result['floors']['python']} (-c pass), "
        f"libraries = {result['floors']['libraries']} (grpc, protobuf, yaml loaded), "
        f"job = {result['floors']['job']} (the least frontend doing the build with those libraries)"
    )
    print()
    print(f"  {'mode':<5} {'frontend':<11} {'median':>7} {'min':>7} {'max':>7}  {'load':>5}   samples (s)")
    for key, s in result["modes"].items():
        mode, frontend = key.split("/")
        samples = " ".join(f"{x:.3f}" for x in s["samples"])
        print(
            f"  {mode:<5} {frontend:<11} {s['median']:7.3f} {s['min']:7.3f} {s['max']:7.3f}  "
            f"{s['loadavg_median']:5.2f}   {samples}"
        )
    print()
    for mode, ratio in result["ratios"].items():
        job = result["floor_ratios"][mode]["job/dockerfile"]
        verdict = verdicts.text(result["verdicts"][mode], job, "the job floor")
        floors = ", ".join(f"{k} {v:.2f}x" for k, v in result["floor_ratios"][mode].items())
        print(
            f"  {mode}: goshfile/dockerfile = {ratio:.2f}x (target <= {result['targets'][mode]}x: {verdict}); {floors}"
        )
    for mode, pairs in result["per_run_ratios"].items():
        text = ", ".join(f"{k} {paired.text(v)}" for k, v in pairs.items())
        print(f"  {mode}, per run (median, middle half): {text}")
    for mode, seconds in result["own_cost_s"].items():
        note = ""
        if mode == "warm":
            verdict = result["verdicts"]["own_cost_warm"]
            modes = result["modes"]
            job = modes["warm/job"]["median"] - modes["warm/noop"]["median"]
            libraries = modes["warm/libraries"]["median"] - modes["warm/noop"]["median"]
            note = (
                f" (target <= {OWN_COST_TARGET:.2f} s: {verdict}; the job floor alone: {job:.3f} s, "
                f"the libraries alone: {libraries:.3f} s)"
            )
        print(f"  goshfile's own cost, {mode}: {seconds:.3f} s{note}")


def parse_importtime(stderr: str) -> list[tuple[int, int, int, str]]:
    """``-X importtime`` lines as (self us, cumulative us, depth, module), in output order."""
    rows = []
    for line in stderr.splitlines():
        m = _IMPORTTIME.match(line)
        if m:
            rows.append((int(m[1]), int(m[2]), len(m[3]) // 2, m[4]))
    return rows


@dataclass
class ImportNode:
    """One module of an ``-X importtime`` trace with the modules it imported first."""

    module: str
    self_us: int
    cumulative_us: int
    depth: int
    children: list[ImportNode] = field(default_factory=list)


def import_tree(rows: Sequence[tuple[int, int, int, str]]) -> list[ImportNode]:
    """The roots of a trace (importtime prints a module after the modules it imported, one level deeper)."""
    stack: list[ImportNode] = []
    for self_us, cumulative_us, depth, module in rows:
        node = ImportNode(module, self_us, cumulative_us, depth)
        while stack and stack[-1].depth > depth:
            node.children.insert(0, stack.pop())
        stack.append(node)
    return stack


def walk_imports(roots: Iterable[ImportNode]) -> Iterator[ImportNode]:
    """Every node of a trace, parents first."""
    for node in roots:
        yield node
        yield from walk_imports(node.children)


def big_imports(roots: Iterable[ImportNode], min_us: int, level: int = 0) -> Iterator[tuple[ImportNode, int]]:
    """The nodes whose cumulative time is at least ``min_us``, parents first, with their level in that tree."""
    for node in sorted(roots, key=lambda n: -n.cumulative_us):
        if node.cumulative_us >= min_us:
            yield node, level
            yield from big_imports(node.children, min_us, level + 1)


def _owner(module: str) -> str | None:
    """The package a module belongs to (``goshfile.<sub>`` for ours), or None for the standard library."""
    top = module.split(".")[0]
    if top in sys.stdlib_module_names:
        return None
    if top == "goshfile":
        return ".".join(module.split(".")[:2])
    return top.lstrip("_") or top


def import_owners(roots: Iterable[ImportNode]) -> dict[str, int]:
    """Self time (us) per package, each standard-library module counted for the package that imported it first."""
    owners: dict[str, int] = {}

    def walk(node: ImportNode, owner: str) -> None:
        owner = _owner(node.module) or owner
        owners[owner] = owners.get(owner, 0) + node.self_us
        for child in node.children:
            walk(child, owner)

    for root in roots:
        walk(root, "(stdlib, top level)")
    return dict(sorted(owners.items(), key=lambda kv: -kv[1]))


def _docker_python(image: str, *args: str) -> subprocess.CompletedProcess[str]:
    return docker("run", "--rm", "--entrypoint", IMAGE_PYTHON, image, *args)


def breakdown(builds: Builds, runs: int, image: str) -> dict[str, Any]:
    """Where the frontend's time goes, as ratios to a Dockerfile warm build of the same run."""
    samples: dict[str, list[float]] = {
        "baseline: dockerfile warm build": [],
        "(c) goshfile warm build, BUILDKIT_SYNTAX": [],
        "goshfile warm build, # syntax line": [],
        "(a) docker run frontend python -c pass": [],
        "(a0) docker run bash:latest bash -c :": [],
    }
    keys = list(samples)
    builds.ours(image)  # untimed warm-up, fills the cache for the warm builds
    builds.ours()
    builds.theirs()
    _docker_python(image, "-c", "pass")
    docker("run", "--rm", "--entrypoint", BASH, BASH_IMAGE, "-c", ":")
    for i in range(runs):
        samples[keys[0]].append(builds.theirs())
        samples[keys[1]].append(builds.ours(image))
        samples[keys[2]].append(builds.ours())
        samples[keys[3]].append(timed_docker("run", "--rm", "--entrypoint", IMAGE_PYTHON, image, "-c", "pass")[0])
        samples[keys[4]].append(timed_docker("run", "--rm", "--entrypoint", BASH, BASH_IMAGE, "-c", ":")[0])
        print(f"run {i + 1}/{runs}: " + ", ".join(f"{v[-1]:.3f}s" for v in samples.values()), file=sys.stderr)
    summaries = {k: Summary(v) for k, v in samples.items()}

    # Inside one container: fresh interpreters without docker run's own cost.
    stmts = {"pass": "pass", "libraries": LIBS_CODE, "startup imports": FRONTEND_IMPORTS, "all imports": ALL_IMPORTS}
    out = _docker_python(image, "-c", _IN_IMAGE_TIMER, IMAGE_PYTHON, str(max(10, 3 * runs)), json.dumps(stmts))
    in_image = {k: Summary(v) for k, v in json.loads(out.stdout).items()}

    # (b) -X importtime of everything a build imports, 3 times; the least disturbed (smallest) trace is kept.
    traces = [parse_importtime(_docker_python(image, "-X", "importtime", "-c", ALL_IMPORTS).stderr) for _ in range(3)]
    rows = min(traces, key=lambda t: sum(r[0] for r in t))
    total_us = sum(r[0] for r in rows)
    roots = import_tree(rows)
    owners = import_owners(roots)

    base = summaries[keys[0]].median
    start = in_image["pass"].median
    startup_imports = in_image["startup imports"].median - start
    all_imports = in_image["all imports"].median - start
    libraries = in_image["libraries"].median - start
    extra = summaries[keys[1]].median - base

    def entry(seconds: float, **more: Any) -> dict[str, Any]:
        return {"seconds": round(seconds, 4), "x_baseline": round(seconds / base, 3), **more}

    def share(seconds: float) -> float:
        return round(seconds / extra, 3)

    run_py, run_bash = summaries[keys[3]].median, summaries[keys[4]].median
    return {
        "benchmark": "frontend-breakdown",
        "runs": runs,
        "frontend": image,
        "baseline": {"name": keys[0], **summaries[keys[0]].as_dict()},
        "builds": {k: summaries[k].as_dict() for k in keys},
        "figures": {
            "(c) goshfile warm build (BUILDKIT_SYNTAX)": entry(summaries[keys[1]].median),
            "(c) its extra time over the baseline": entry(extra),
            "goshfile warm build (# syntax line)": entry(summaries[keys[2]].median),
            "(a) docker run + python -c pass": entry(run_py, x_docker_run_bash=round(run_py / run_bash, 3)),
            "(a0) docker run + bash -c :": entry(run_bash),
            "(a) interpreter start, inside the image": entry(start, share_of_extra=share(start)),
            "(b) imports at start (main, build, grpc), wall": entry(
                startup_imports, share_of_extra=share(startup_imports)
            ),
            "(b) all imports of a build (+ convert, spec), wall": entry(all_imports, share_of_extra=share(all_imports)),
            "(b) of which the libraries floor's imports, wall": entry(libraries, share_of_extra=share(libraries)),
            "(b) of which goshfile's own modules, wall": entry(
                all_imports - libraries, share_of_extra=share(all_imports - libraries)
            ),
            "(b) all imports, -X importtime self total": entry(total_us / 1e6),
        },
        "in_image_statements": stmts,
        "in_image_samples": {k: v.as_dict() for k, v in in_image.items()},
        "import_top_cumulative": [
            {
                "module": n.module,
                "cumulative_ms": round(n.cumulative_us / 1000, 1),
                "self_ms": round(n.self_us / 1000, 1),
            }
            for n in sorted(walk_imports(roots), key=lambda n: -n.cumulative_us)[:15]
        ],
        "import_tree": [
            {"module": n.module, "cumulative_ms": round(n.cumulative_us / 1000, 1), "level": level}
            for n, level in big_imports(roots, min_us=max(5000, total_us // 40))
        ],
        "import_self_by_package_ms": {k: round(v / 1000, 1) for k, v in owners.items()},
    }


def print_breakdown(result: dict[str, Any]) -> None:
    env = result["environment"]
    base = result["baseline"]
    print(f"goshfile frontend breakdown: frontend {result['frontend']}, {result['runs']} runs, interleaved")
    print(f"  engine: docker {env['docker']}, {env['buildx']}, {env['cpus']} CPUs")
    print(f"  load average (1 min): {env['loadavg_start']} at start, {env['loadavg_end']} at end")
    print(f"  baseline = {base['name']}: median {base['median']:.3f}s (min {base['min']:.3f}, max {base['max']:.3f})")
    print()
    print(f"  {'figure':<52} {'seconds':>8} {'x baseline':>10}")
    for name, fig in result["figures"].items():
        more = ", ".join(f"{k} {v}" for k, v in fig.items() if k not in ("seconds", "x_baseline"))
        print(f"  {name:<52} {fig['seconds']:8.3f} {fig['x_baseline']:9.2f}x  {more}")
    print()
    print("  (b) top cumulative imports (-X importtime, ms):")
    for row in result["import_top_cumulative"]:
        print(f"    {row['module']:<44} {row['cumulative_ms']:7.1f} (self {row['self_ms']:.1f})")
    print("  (b) import tree, modules above max(5 ms, 2.5% of the total), cumulative ms:")
    for row in result["import_tree"]:
        name = "  " * row["level"] + row["module"]
        print(f"    {name:<52} {row['cumulative_ms']:7.1f}")
    owners = result["import_self_by_package_ms"]
    shown = {k: v for k, v in owners.items() if v >= 1.0}
    other = sum(v for k, v in owners.items() if k not in shown)
    print("  (b) import self time by package, stdlib modules counted for the package that imported them (ms):")
    print("    " + ", ".join(f"{k} {v}" for k, v in shown.items()) + f", other {other:.1f}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=5, help="timed runs per mode (default 5)")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of the table")
    parser.add_argument("--breakdown", action="store_true", help="measure where the frontend's extra time goes")
    parser.add_argument(
        "--frontend",
        metavar="IMAGE",
        help="frontend image for our builds (--build-arg BUILDKIT_SYNTAX=IMAGE); "
        f"default: the goshfile's # syntax line, and {FRONTEND_IMAGE} for --breakdown",
    )
    parser.add_argument("--goshfile", type=Path, default=SEED, help="goshfile to build (default: the seed example)")
    parser.add_argument(
        "--dockerfile-network-none",
        action="store_true",
        help="RUN --network=none in the Dockerfile (goshfile steps run without network by default)",
    )
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be at least 1")

    env = environment()
    previous = tagged_ids(
        [OURS_TAG, THEIRS_TAG, JOB_OUT_TAG]
    )  # images of an earlier run; theirs to clean once the tags move
    with tempfile.TemporaryDirectory(prefix="goshfile-bench-") as tmp:
        dockerfile = Path(tmp) / "Dockerfile"
        builds = Builds(args.goshfile.resolve(), dockerfile, args.frontend)
        try:
            dockerfile.write_text(dockerfile_for(builds.goshfile, args.dockerfile_network_none))
            if args.breakdown:
                result = breakdown(builds, args.runs, args.frontend or FRONTEND_IMAGE)
            else:
                build_floor_images(args.frontend or FRONTEND_IMAGE, Path(tmp))
                result = compare(builds, args.runs)
        except (BenchError, subprocess.TimeoutExpired) as exc:
            print(f"bench: {exc}", file=sys.stderr)
            return 1
        finally:
            remove_untagged((builds.image_ids | previous) - tagged_ids([OURS_TAG, THEIRS_TAG, JOB_OUT_TAG]))
    env["loadavg_end"] = round(os.getloadavg()[0], 2)
    result["environment"] = env
    if args.json:
        print(json.dumps(result, indent=2))
    elif args.breakdown:
        print_breakdown(result)
    else:
        print_compare(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Benchmark how the cost per step of lint and LLB grows with the size of a goshfile.

A goshfile of N steps is generated (default sizes 100, 1,000 and 5,000): every
step is a run step with its own env, a cache mount and, every fifth step, a bind
mount of the previous step; every tenth step is a copy from the build context
(written tersely, in flow style, so that 5,000 steps stay under the 1 MiB limit
of a goshfile's size).
What is timed, in this process, for each size (fresh objects each time, a full
``gc.collect()`` before each sample, the sizes interleaved round by round):

- lint: ``load_text`` (strict YAML decode with positions, validation, defaults),
  what ``goshfile lint`` does;
- LLB: the conversion to LLB states and ``marshal`` to a ``pb.Definition`` of a
  loaded goshfile, what ``goshfile llb`` and the frontend do after loading;
- decode: the YAML decode alone (part of lint), to show where growth comes from.

It prints the median cost per step in microseconds and the ratio of each size's
per-step cost to the smallest size's (the target: at most 1.3x at 5,000 steps
for lint and LLB). ``--no-gc-tuning`` runs with the interpreter's default garbage
collector during loading, to show what the pause in
``goshfile.spec.gcpause`` is worth.

Usage::

    .venv/bin/python bench/scale.py                   # 5 rounds, sizes 100,1000,5000
    .venv/bin/python bench/scale.py --rounds 9 --sizes 10,100,1000,5000 --json
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from functools import partial
from typing import Any

from goshfile.frontend.convert import BaseImage, convert
from goshfile.frontend.options import BuildOptions
from goshfile.llb import Platform, State, marshal
from goshfile.spec import Loaded, gcpause, limits, load_text
from goshfile.spec import document as spec_document

TARGET = 1.3  # per-step cost at the largest size / at the smallest, lint and LLB
PLATFORM = Platform("linux", "amd64")


def goshfile_text(steps: int) -> str:
    """A valid goshfile of ``steps`` steps (see the module docstring)."""
    lines = [
        "# syntax=teamgosh/goshfile",
        "apiVersion: 1",
        "image: bash:latest",
        "args:",
        "  GREETING: hello",
        "env:",
        "  APP_HOME: /app",
        "workdir: /app",
        "labels:",
        "  org.opencontainers.image.title: scale",
        "steps:",
    ]
    for i in range(steps):  # terse (flow style), so that 5,000 steps stay under the 1 MiB file limit
        lines.append(f"  - name: s{i}")
        if i % 10 == 9:
            lines += ["    copy:", f"      src: [src/f{i}, data/]", f"      dst: ./o{i}/"]
            continue
        mounts = "{type: cache, dst: /cache, sharing: locked}"
        if i % 5 == 4 and i > 0:
            mounts += f", {{type: bind, from: s{i - 1}, dst: /prev}}"
        lines += [
            "    run:",
            "      command: [bash, -c]",
            f"      args: ['echo ${{GREETING}} {i} >> /cache/log']",
            f"      env: {{STEP: '{i}', MODE: build}}",
            f"      mounts: [{mounts}]",
        ]
    text = "\n".join(lines) + "\n"
    if len(text.encode()) > limits.MAX_FILE_BYTES:
        raise SystemExit(f"bench: {steps} steps make {len(text.encode()):,} bytes, over the goshfile size limit")
    return text


def decode(text: str) -> object:
    """The YAML decode alone, under the same collector pause as a load."""
    with gcpause.collector_paused():
        return spec_document.decode(text, "goshfile.yaml")


def lint(text: str) -> Loaded:
    return load_text(text, "goshfile.yaml", None)


def llb(loaded: Loaded) -> int:
    """Convert and marshal; return the number of ops (so nothing is optimised away)."""
    contexts: dict[str, State] = {}

    def resolve(name: str) -> State | None:
        if name not in contexts:
            contexts[name] = State.local(name, shared_key_hint=name)
        return contexts[name]

    base = BaseImage("docker.io/library/bash:latest", {"config": {"Env": ["PATH=/usr/local/bin:/usr/bin:/bin"]}})
    created = datetime.fromtimestamp(0, UTC)
    result = convert(loaded, base, BuildOptions(), resolve, PLATFORM, created)
    return len(getattr(marshal(result.state.output), "def"))


def timed(fn: Callable[[], object]) -> float:
    gc.collect()
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--sizes", default="100,1000,5000", help="step counts, comma-separated (default 100,1000,5000)")
    parser.add_argument("--rounds", type=int, default=5, help="timed rounds (default 5), after one untimed")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument(
        "--no-gc-tuning",
        action="store_true",
        help="keep the default garbage collector thresholds while loading (to measure the tuning)",
    )
    args = parser.parse_args(argv)
    sizes = sorted({int(s) for s in args.sizes.split(",") if s.strip()})
    if not sizes or sizes[0] < 1 or args.rounds < 1:
        parser.error("give positive sizes and rounds")
    gcpause.ENABLED = not args.no_gc_tuning

    texts = {n: goshfile_text(n) for n in sizes}
    loaded = {n: lint(t) for n, t in texts.items()}
    for n, one in loaded.items():
        assert len(one.spec.steps) == n, (n, len(one.spec.steps))
        llb(one)  # untimed round: first-use costs out of the numbers
    samples: dict[str, dict[int, list[float]]] = {k: {n: [] for n in sizes} for k in ("lint", "llb", "decode")}
    load: list[float] = []
    for round_ in range(args.rounds):
        for n in sizes:
            text, one = texts[n], loaded[n]
            samples["decode"][n].append(timed(partial(decode, text)) / n)
            samples["lint"][n].append(timed(partial(lint, text)) / n)
            samples["llb"][n].append(timed(partial(llb, one)) / n)
        load.append(os.getloadavg()[0])
        print(f"round {round_ + 1}/{args.rounds} done (load {load[-1]:.2f})", file=sys.stderr)

    per_step = {k: {n: statistics.median(v) for n, v in by.items()} for k, by in samples.items()}
    first, last = sizes[0], sizes[-1]
    ratios = {k: {n: per_step[k][n] / per_step[k][first] for n in sizes} for k in per_step}
    result: dict[str, Any] = {
        "benchmark": "scale",
        "rounds": args.rounds,
        "gc_tuning": not args.no_gc_tuning,
        "sizes": sizes,
        "per_step_us": {k: {str(n): round(v * 1e6, 2) for n, v in by.items()} for k, by in per_step.items()},
        "ratio_to_smallest": {k: {str(n): round(v, 3) for n, v in by.items()} for k, by in ratios.items()},
        "target": TARGET,
        "met": {k: ratios[k][last] <= TARGET for k in ("lint", "llb")},
        "loadavg_1min": {
            "min": round(min(load), 2),
            "median": round(statistics.median(load), 2),
            "max": round(max(load), 2),
        },
        "cpus": os.cpu_count(),
    }
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    tuning = "on" if result["gc_tuning"] else "off"
    print(f"goshfile scale benchmark: {args.rounds} rounds, sizes interleaved, collector pause {tuning}")
    print(f"  load average (1 min) during the rounds: {result['loadavg_1min']}, {os.cpu_count()} CPUs")
    print(
        f"  {'what':<7}" + "".join(f"{n:>10} steps" for n in sizes) + "   (median µs per step; ratio to the smallest)"
    )
    for k in ("lint", "llb", "decode"):
        row = "".join(f"{per_step[k][n] * 1e6:9.1f} {ratios[k][n]:4.2f}x" for n in sizes)
        print(f"  {k:<7}{row}")
    for k in ("lint", "llb"):
        verdict = "met" if result["met"][k] else "NOT met"
        print(f"  {k}: {last} steps / {first} steps = {ratios[k][last]:.2f}x per step (target <= {TARGET}x: {verdict})")
    return 0


if __name__ == "__main__":
    sys.exit(main())

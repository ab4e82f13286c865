"""The node under idle connections: threads, memory and file descriptors of ``goshfile node serve``.

    .venv/bin/python bench/node_idle.py                  # 1,000 idle connections, 5 s idle timeout
    .venv/bin/python bench/node_idle.py --idle 2000 --json

Starts ``goshfile node serve`` on 127.0.0.1 (a free port, a temporary node), measures the process
from ``/proc`` with no client (the baseline), then with N idle connections open (they send nothing),
times real requests while they are open against the same requests without them (interleaved,
medians), and waits for the node to close the idle connections after its idle timeout. It prints
the figures and the ratios against the baseline measured in the same run.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parents[1]


def proc_figures(pid: int) -> dict[str, int]:
    status = Path(f"/proc/{pid}/status").read_text()
    fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
    return {
        "threads": int(fields["Threads"].strip()),
        "rss_kib": int(fields["VmRSS"].split()[0]),
        "fds": len(os.listdir(f"/proc/{pid}/fd")),
    }


def timed_requests(url: str, count: int) -> list[float]:
    samples = []
    with httpx.Client() as client:
        for _ in range(count):
            start = time.perf_counter()
            response = client.get(url + "/v1/info")
            response.raise_for_status()
            samples.append(time.perf_counter() - start)
    return samples


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--idle", type=int, default=1000, help="idle connections to open (default 1000)")
    parser.add_argument("--idle-timeout", type=float, default=5.0, help="the node's idle timeout (default 5 s)")
    parser.add_argument("--requests", type=int, default=50, help="timed requests per round (default 50)")
    parser.add_argument("--json", action="store_true", help="one JSON object")
    args = parser.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, args.idle + 256)), hard))
    with tempfile.TemporaryDirectory() as home:
        node = subprocess.Popen(
            [sys.executable, "-m", "goshfile.cli.main", "node", "serve", "-q", "--listen", "127.0.0.1:0",
             "--node", f"{home}/node", "--idle-timeout", str(args.idle_timeout),
             "--max-connections", str(args.idle + 64)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO,
            env={**os.environ, "GOSHFILE_HOME": home},
        )  # fmt: skip
        try:
            assert node.stdout is not None
            url = node.stdout.readline().strip()
            port = int(url.rsplit(":", 1)[1])
            timed_requests(url, 5)  # warm up
            baseline = proc_figures(node.pid)
            quiet: list[float] = []
            loaded: list[float] = []
            opened_at = time.monotonic()
            idle = [socket.create_connection(("127.0.0.1", port)) for _ in range(args.idle)]
            open_seconds = time.monotonic() - opened_at
            time.sleep(0.5)
            under_load = proc_figures(node.pid)
            loaded += timed_requests(url, args.requests)
            for sock in idle:  # wait for the node to close them
                sock.settimeout(args.idle_timeout * 4 + 30)
            closed, start = 0, time.monotonic()
            for sock in idle:
                try:
                    if sock.recv(1) == b"":
                        closed += 1
                except (TimeoutError, ConnectionResetError):
                    pass
                sock.close()
            closed_after = time.monotonic() - opened_at
            del start
            time.sleep(0.5)
            after = proc_figures(node.pid)
            for _ in range(2):  # interleave: without idle connections, then with them again
                quiet += timed_requests(url, args.requests)
            result: dict[str, Any] = {
                "idle_connections": args.idle,
                "idle_timeout_s": args.idle_timeout,
                "open_seconds": round(open_seconds, 3),
                "baseline": baseline,
                "with_idle": under_load,
                "after_timeout": after,
                "closed_by_node": closed,
                "all_closed_within_s": round(closed_after, 2),
                "request_ms_median_with_idle": round(statistics.median(loaded) * 1000, 3),
                "request_ms_median_without": round(statistics.median(quiet) * 1000, 3),
            }
            result["ratios"] = {
                "threads": round(under_load["threads"] / baseline["threads"], 2),
                "rss": round(under_load["rss_kib"] / baseline["rss_kib"], 2),
                "fds": round(under_load["fds"] / baseline["fds"], 2),
                "request_time": round(result["request_ms_median_with_idle"] / result["request_ms_median_without"], 2),
            }
            result["rss_kib_per_idle_connection"] = round(
                (under_load["rss_kib"] - baseline["rss_kib"]) / max(args.idle, 1), 2
            )
        finally:
            node.terminate()
            node.wait(timeout=30)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        b, u, a = result["baseline"], result["with_idle"], result["after_timeout"]
        print(f"goshfile node serve under {args.idle} idle connections (idle timeout {args.idle_timeout:g} s)")
        print(f"  threads  {b['threads']:>6} -> {u['threads']:>6} (x{result['ratios']['threads']}) -> {a['threads']}")
        print(f"  RSS KiB  {b['rss_kib']:>6} -> {u['rss_kib']:>6} (x{result['ratios']['rss']}) -> {a['rss_kib']}"
              f"  ({result['rss_kib_per_idle_connection']} KiB per idle connection)")  # fmt: skip
        print(f"  fds      {b['fds']:>6} -> {u['fds']:>6} (x{result['ratios']['fds']}) -> {a['fds']}")
        print(f"  closed by the node: {closed}/{args.idle}, all within {result['all_closed_within_s']} s of opening")
        print(f"  /v1/info median {result['request_ms_median_with_idle']} ms with them open, "
              f"{result['request_ms_median_without']} ms without (x{result['ratios']['request_time']})")  # fmt: skip
    return 0 if closed == args.idle else 1


if __name__ == "__main__":
    sys.exit(main())

"""Benchmark the ledger: sign and check throughput (local file and HTTP node), and check latency by ledger size.

What is measured, all in one run, on a temporary folder:

1. Throughput, one caller in a loop: ``sign`` of new contents and ``check`` of recorded ones, on the
   local ledger (:class:`SqliteLedger`, one fsynced transaction per sign) and through a node
   (``goshfile node serve`` in its own process, :class:`HttpLedger` with a kept-alive connection).
2. Latency by size: a ledger is grown to each size (default 10^4, 10^5, 10^6 proofs) with a bulk path
   written here (signatures made in worker processes, records chained and inserted in large
   transactions: the same rows ``sign`` writes, far faster) and copied at each size. Then every copy
   gets a node of its own and all copies are timed in interleaved rounds (so that a busy moment of
   the machine hits every size alike): ``get`` (the lookup alone) and ``check`` (lookup and signature
   check) of random recorded proofs, ``check`` of an absent one, and ``check`` through the node.

Printed ratios compare with a baseline measured in the same run: latency at each size over latency at
the smallest size (an index lookup: it must stay near 1), and HTTP over local for throughput and check.

Usage::

    .venv/bin/python bench/ledger.py                           # 10^4, 10^5, 10^6 proofs (a few minutes)
    .venv/bin/python bench/ledger.py --sizes 1000,10000 --ops 300 --samples 300   # quick
    .venv/bin/python bench/ledger.py --json
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from goshfile.keys import KeyPair  # noqa: E402
from goshfile.ledger import HttpLedger, Proof, SqliteLedger, address, message  # noqa: E402
from goshfile.ledger.log import Record, record_hash  # noqa: E402
from goshfile.ledger.sqlite import HEAD_UPDATE, INSERT, row_values  # noqa: E402

KEYS = 16  # the bulk ledger's proofs are spread over this many signers
BATCH = 50_000


def key(index: int) -> KeyPair:
    """A fixed key per index (a benchmark needs no secrecy)."""
    return KeyPair(bytes([index + 1]) * 32)


def content(n: int) -> str:
    """The n-th distinct image digest."""
    return f"sha256:{n:064x}"


def _sign_range(bounds: tuple[int, int]) -> list[tuple[str, str, str, bytes]]:
    """(address, public, content, signature) of proofs start..stop-1 (runs in a worker process)."""
    start, stop = bounds
    pairs = [key(i) for i in range(KEYS)]
    out = []
    for n in range(start, stop):
        pair, text = pairs[n % KEYS], content(n)
        public = pair.public_hex
        out.append((address(public, text), public, text, pair.sign(message(public, text))))
    return out


def bulk_grow(path: Path, start: int, stop: int, pool: Any) -> None:
    """Append proofs ``start..stop-1`` to the ledger at ``path`` (created by SqliteLedger beforehand)."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA synchronous = OFF")
    seq = int(conn.execute("SELECT value FROM meta WHERE key = 'head_seq'").fetchone()[0])
    prev = conn.execute("SELECT value FROM meta WHERE key = 'head_hash'").fetchone()[0]
    stamp = datetime.now(UTC)
    chunks = [(a, min(a + BATCH // 8, stop)) for a in range(start, stop, BATCH // 8)]
    rows: list[Any] = []
    for signed in pool.imap(_sign_range, chunks):
        for addr, public, text, signature in signed:
            seq += 1
            proof = Proof(addr, public, text, signature, stamp, None, seq)
            record = Record(proof, prev, record_hash(prev, proof))
            prev = record.hash
            rows.append(row_values(record))
        if len(rows) >= BATCH:
            _insert(conn, rows, seq, prev)
            rows = []
    if rows:
        _insert(conn, rows, seq, prev)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # everything in the main file, so it can be copied
    conn.close()


def _insert(conn: sqlite3.Connection, rows: list[Any], seq: int, head: str) -> None:
    conn.execute("BEGIN IMMEDIATE")
    conn.executemany(INSERT, rows)
    conn.execute(HEAD_UPDATE, (str(seq), "head_seq"))
    conn.execute(HEAD_UPDATE, (head, "head_hash"))
    conn.execute("COMMIT")


def timed(calls: Sequence[Callable[[], object]]) -> list[float]:
    """Run each call once; the seconds each took."""
    times = []
    for call in calls:
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return times


def summary(times: list[float]) -> dict[str, float]:
    """Median, p99 and mean, in microseconds."""
    ordered = sorted(times)
    return {
        "median_us": statistics.median(ordered) * 1e6,
        "p99_us": ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1e6,
        "mean_us": statistics.fmean(ordered) * 1e6,
    }


def throughput(calls: Sequence[Callable[[], object]]) -> float:
    """Calls per second, one after another."""
    start = time.perf_counter()
    for call in calls:
        call()
    return len(calls) / (time.perf_counter() - start)


class Node:
    """``goshfile node serve`` on a free local port, in its own process."""

    def __init__(self, ledger: Path) -> None:
        command = [sys.executable, "-m", "goshfile.cli.main", "node", "serve", "--listen", "127.0.0.1:0"]
        self.process = subprocess.Popen(
            [*command, "--ledger", str(ledger), "--quiet"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=REPO,
        )
        assert self.process.stdout is not None
        self.url = self.process.stdout.readline().strip()
        if not self.url.startswith("http://"):
            raise SystemExit(f"the node did not start: {self.process.stderr.read() if self.process.stderr else ''}")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


def measure_throughput(folder: Path, ops: int) -> dict[str, float]:
    signer = key(KEYS + 1)
    public = signer.public_hex
    results: dict[str, float] = {}
    local = SqliteLedger(folder / "throughput-local.db")
    results["local sign/s"] = throughput([partial(local.sign, signer, content(n)) for n in range(ops)])
    results["local check/s"] = throughput([partial(local.check, public, content(n)) for n in range(ops)])
    local.close()
    node = Node(folder / "throughput-http.db")
    try:
        http = HttpLedger(node.url)
        results["http sign/s"] = throughput([partial(http.sign, signer, content(n)) for n in range(ops)])
        results["http check/s"] = throughput([partial(http.check, public, content(n)) for n in range(ops)])
        http.close()
    finally:
        node.stop()
    return results


ROUNDS = 10  # latency samples are taken in rounds that visit every size in turn


class Target:
    """One ledger size under measurement: its file, a local reader, a node and its client, the samples."""

    def __init__(self, path: Path, size: int, samples: int, rng: random.Random) -> None:
        self.size = size
        self.local = SqliteLedger(path)
        self.node = Node(path)
        self.http = HttpLedger(self.node.url)
        picks = [rng.randrange(size) for _ in range(samples)]
        self.pairs = [(key(n % KEYS).public_hex, content(n)) for n in picks]
        self.times: dict[str, list[float]] = {name: [] for name in LATENCIES}

    def warm_up(self) -> None:
        """Untimed calls first (connections, caches), so that every size is measured alike."""
        missing = key(KEYS + 2).public_hex
        for p, c in self.pairs[:200]:
            assert self.local.check(p, c) and self.http.check(p, c) and not self.local.check(missing, c)

    def measure(self, part: slice) -> None:
        missing = key(KEYS + 2).public_hex
        pairs = self.pairs[part]
        calls: dict[str, list[Callable[[], object]]] = {
            "local get": [partial(self.local.get, p, c) for p, c in pairs],
            "local check": [partial(self.local.check, p, c) for p, c in pairs],
            "local check (absent)": [partial(self.local.check, missing, c) for _, c in pairs],
            "http check": [partial(self.http.check, p, c) for p, c in pairs],
        }
        for name, batch in calls.items():
            self.times[name] += timed(batch)

    def close(self) -> None:
        self.local.close()
        self.http.close()
        self.node.stop()


LATENCIES = ("local get", "local check", "local check (absent)", "http check")


def measure_latency(folder: Path, sizes: list[int], samples: int) -> dict[int, dict[str, dict[str, float]]]:
    """Grow one ledger through ``sizes``, keep a copy at each, then time all copies in interleaved rounds."""
    path = folder / "big.db"
    SqliteLedger(path).init()
    grown = 0
    with multiprocessing.get_context("fork").Pool(os.cpu_count() or 2) as pool:
        for size in sizes:
            start = time.perf_counter()
            bulk_grow(path, grown, size, pool)
            grown = size
            if size == sizes[0]:
                checker = SqliteLedger(path)
                report = checker.verify_log()
                checker.close()
                assert report.ok and report.records == size, report  # the bulk path writes valid records
            shutil.copyfile(path, folder / f"ledger-{size}.db")
            built = time.perf_counter() - start
            mib = path.stat().st_size / 2**20
            print(f"  built {size:>9,} proofs (+{built:.1f} s, {mib:.0f} MiB)", file=sys.stderr, flush=True)
    path.unlink()
    rng = random.Random(7)
    targets = [Target(folder / f"ledger-{size}.db", size, samples, rng) for size in sizes]
    try:
        for target in targets:
            target.warm_up()
        step = max(1, samples // ROUNDS)
        for first in range(0, samples, step):
            for target in targets:
                target.measure(slice(first, first + step))
        return {t.size: {name: summary(values) for name, values in t.times.items()} for t in targets}
    finally:
        for target in targets:
            target.close()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--sizes", default="10000,100000,1000000", help="ledger sizes for check latency")
    parser.add_argument("--ops", type=int, default=2000, help="calls per throughput figure")
    parser.add_argument("--samples", type=int, default=2000, help="calls per latency figure")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--dir", type=Path, help="work here instead of a temporary folder (kept)")
    args = parser.parse_args(argv)
    sizes = sorted({int(s) for s in args.sizes.split(",")})
    with tempfile.TemporaryDirectory(prefix="goshfile-bench-ledger-") as temp:
        folder = args.dir or Path(temp)
        folder.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        print(f"throughput ({args.ops} calls each, one caller)...", file=sys.stderr, flush=True)
        rates = measure_throughput(folder, args.ops)
        print(f"latency by size {sizes} ({args.samples} random proofs each)...", file=sys.stderr, flush=True)
        latency = measure_latency(folder, sizes, args.samples)
        elapsed = time.perf_counter() - started
    base = sizes[0]
    ratios = {
        "http/local sign throughput": rates["http sign/s"] / rates["local sign/s"],
        "http/local check throughput": rates["http check/s"] / rates["local check/s"],
        f"http/local check latency at {base}": latency[base]["http check"]["median_us"]
        / latency[base]["local check"]["median_us"],
    }
    for size in sizes[1:]:
        for name in ("local get", "local check", "http check"):
            ratios[f"{name} latency {size}/{base}"] = (
                latency[size][name]["median_us"] / latency[base][name]["median_us"]
            )
    if args.json:
        print(json.dumps({"throughput": rates, "latency": latency, "ratios": ratios, "seconds": elapsed}, indent=2))
        return 0
    print(f"\nthroughput (calls/s, one caller, {args.ops} calls):")
    for name, rate in rates.items():
        print(f"  {name:<16} {rate:>10,.0f}")
    print(f"\ncheck latency by ledger size (µs, {args.samples} random proofs; median / p99):")
    names = list(latency[base])
    print("  " + f"{'proofs':>10}" + "".join(f"  {n:>22}" for n in names))
    for size in sizes:
        cells = "".join(f"  {latency[size][n]['median_us']:>10.1f} / {latency[size][n]['p99_us']:>9.1f}" for n in names)
        print(f"  {size:>10,}{cells}")
    print("\nratios (baseline measured in this run):")
    for name, value in ratios.items():
        print(f"  {name:<40} {value:6.2f}x")
    print(f"\n({elapsed:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

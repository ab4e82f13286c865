"""Benchmark the start-up and the signing commands of the ``goshfile`` CLI against ``python -c pass`` and cosign.

Set-up (untimed): a private ``GOSHFILE_HOME`` in a temporary folder with a wallet key
(``goshfile keys generate``) and a local ledger; the same key as a cosign key pair
(``goshfile keys export --format pkcs8``, ``cosign import-key-pair``, empty password);
a small image (``bash:latest`` plus the label ``WALLET_PUBLIC``) built with the builtin Dockerfile frontend and pushed
to the local registry (``127.0.0.1:5000/goshfile-bench-cli-<random>``), then signed
both ways: ``goshfile sign`` of its registry digest into the local ledger and
``cosign sign --key --tlog-upload=false`` into the registry.

Timed (wall clock of each process, the commands interleaved round by round, one
untimed round first; medians):

- ``python -c pass`` with the venv's interpreter (the floor of any Python CLI);
- ``goshfile --help``, ``goshfile --version``;
- ``goshfile check -n LEDGER PUBLIC DIGEST`` and ``goshfile addr -n LEDGER PUBLIC DIGEST``
  against the local ledger;
- ``goshfile verify -n LEDGER IMAGE`` (label, registry digest, proof);
- ``goshfile sign -n LEDGER --key-file KEY CONTENT`` of a new random digest each time
  (a new proof, one fsynced write);
- ``cosign version``, ``cosign verify --key cosign.pub --insecure-ignore-tlog IMAGE@DIGEST``
  and ``cosign sign --key cosign.key --tlog-upload=false IMAGE@DIGEST`` (a signature
  pushed to the registry each time).

Floors, timed in the same rounds: the venv's interpreter importing only the libraries a
command cannot do without, and doing nothing with them. Every floor imports with the cyclic
garbage collector paused and then freezes what it imported, as goshfile's console script does
(``goshfile.startup``), so no floor pays collections that goshfile does not:

- ``import click`` (the command-line library: any ``--help``);
- ``import click, nacl.signing, sqlite3`` (``check`` on the local ledger:
  parse the options, read the SQLite ledger, verify an ed25519 signature);
- the same plus ``json``, ``httpx``, ``httpcore`` and ``http.client`` (``verify``: the registry through the HTTP
  client library, loaded as ``goshfile.httpclient`` loads it, without its console module;
  the engine's API socket).
- **check job**: the least program doing ``check``'s job with the same libraries (a click
  group and command with the same option and arguments, the address by libsodium's SHA-256,
  one read-only SQLite query, one ed25519 verification, ``true``), checked untimed to print
  ``true``; the floor of ``check``.
- **addr job**: the same group and command printing the address by libsodium's SHA-256 (no
  ledger read, no verification), checked untimed to print what ``goshfile addr`` prints; the
  floor of ``addr``. It pays what click's parsing pays at run time (``-n`` first tried as a long
  option, which loads ``difflib`` and ``gettext``'s ``locale``), which the bare imports do not.
- **verify job**: the least program doing ``verify``'s job on the bench's image with the same
  libraries, request for request: the engine's API over its unix socket (ping, the image's digest
  and label), the ledger proof (one query, one verification), and in the registry the signature tag,
  the referrers API, the referrers tag, the signature's payload (its signature and digest checked)
  and the attestation tag; checked untimed to print ``verified`` where ``goshfile verify`` verifies
  the ledger proof and the registry signature. The floor of ``verify``.

Each goshfile command is printed with its ratio to its floor and the milliseconds above it:
what goshfile's own code costs, whatever the libraries do. ``check``'s own cost is split in
two, timed in the same rounds: **check imports** runs the interpreter importing exactly the
modules ``goshfile check`` imports (found untimed with ``-X importtime``) and nothing else,
so check imports minus the check libraries floor is what goshfile's modules cost to load,
and check minus check imports is what the command does once loaded (parse the options,
read the key and the ledger, verify, print). check imports loads every module with the collector
paused; ``goshfile check`` imports the SQLite ledger when it opens it, after the lazy group has
resumed the collector, so any collection during that import counts as running.

``goshfile verify`` minus the verify libraries is split the same way: the verify job minus the
libraries is what the requests and checks cost; verify minus the job is goshfile's own.

Ratios and targets: ``--help``, ``--version``, ``check``, ``addr`` <= 2.5x ``python -c pass``;
``verify`` <= 3x ``cosign verify --key``; ``sign`` <= 1.0x ``cosign sign --key``. The
1-minute load average is recorded with every sample and printed beside each median. Each verdict
(``bench/verdicts.py``) is met, NOT met, or stopped by the floor: the command's floor, against the
same baseline in the same rounds, is itself above the target (``verdicts`` in ``--json``).

goshfile's own modules are byte-compiled first (``compileall``): an editable install run
with ``PYTHONDONTWRITEBYTECODE`` set would otherwise compile every module it imports on
every start, which an installed goshfile never does.

Usage::

    .venv/bin/python bench/cli.py              # 15 rounds
    .venv/bin/python bench/cli.py --rounds 31 --json
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import paired  # bench/paired.py, beside this script
import verdicts  # bench/verdicts.py, beside this script

REPO = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
REGISTRY = "127.0.0.1:5000"
BASE = "bash:latest"
TARGETS: dict[str, tuple[str, float]] = {  # contender: (baseline, at most this ratio)
    "goshfile --help": ("python -c pass", 2.5),
    "goshfile --version": ("python -c pass", 2.5),
    "goshfile check": ("python -c pass", 2.5),
    "goshfile addr": ("python -c pass", 2.5),
    "goshfile verify": ("cosign verify --key", 3.0),
    "goshfile sign": ("cosign sign --key", 1.0),
}
# Every floor imports with the cyclic collector paused, then freezes what it imported and turns the
# collector on again, as goshfile's console script does (goshfile.startup): a floor pays no collections
# during its imports that goshfile itself does not pay.
PAUSE = "import gc; gc.disable()\n"
RESUME = "gc.freeze(); gc.enable()\n"
FLOOR_CODE = {  # floor: what it runs (httpx as goshfile.httpclient loads it: without its console module)
    "floor: click": PAUSE + "import click\n" + RESUME,
    "floor: check libraries": PAUSE + "import click, nacl.signing, sqlite3\n" + RESUME,
    "floor: verify libraries": PAUSE + "import sys; sys.modules['httpx._main'] = None\n"
    "import click, nacl.signing, sqlite3, json, httpx, httpcore, http.client\n" + RESUME,
}
# The floors of check and addr as jobs: the least programs that do what `goshfile check|addr -n LEDGER
# PUBLIC DIGEST` do with the same libraries (a click group and command with the same option and
# arguments, the address by libsodium's SHA-256; check adds one read-only SQLite query and one ed25519
# verification and prints "true", addr prints the address), written against the ledger's documented
# formats (goshfile/ledger/contract.py) and checked untimed to print what goshfile prints before they are timed.
# The contract's bytes, shared by the three jobs: a proof's address, and the tail its signed message ends with.
_CONTRACT = """from nacl.encoding import RawEncoder
from nacl.hash import sha256
CONTRACT_ID = sha256(b"goshfile/content-signature/v1", encoder=RawEncoder)
def field(data):
    return len(data).to_bytes(4, "big") + data
def tail_of(public, content):
    return CONTRACT_ID + bytes.fromhex(public) + field(content.encode())
def address_of(tail):
    return "0:" + sha256(b"goshfile-proof-address-v1\\x00" + tail, encoder=RawEncoder).hex()
"""
_JOB_PRELUDE = (
    PAUSE
    + "import click\n"
    + _CONTRACT
    + """@click.group()
def cli():
    pass
@cli.command()
@click.option("-n", "--network", required=True)
@click.argument("public")
@click.argument("content")
"""
)
CHECK_JOB = (
    _JOB_PRELUDE
    + """def check(network, public, content):
    import sqlite3
    from nacl.signing import VerifyKey
    gc.freeze(); gc.enable()
    tail = tail_of(public, content)
    db = sqlite3.connect(f"file:{network}?mode=ro", uri=True)
    row = db.execute("SELECT signature FROM proofs WHERE address = ?", (address_of(tail),)).fetchone()
    ok = row is not None
    if ok:
        try:
            VerifyKey(bytes.fromhex(public)).verify(b"goshfile-proof-sign-v1\\x00" + tail, bytes.fromhex(row[0]))
        except Exception:
            ok = False
    click.echo("true" if ok else "false")
cli()
"""
)
ADDR_JOB = (
    _JOB_PRELUDE
    + """def addr(network, public, content):
    gc.freeze(); gc.enable()
    click.echo(address_of(tail_of(public, content)))
cli()
"""
)
# The floor of verify as a job: the least program doing what `goshfile verify -n LEDGER IMAGE` does on the
# bench's image with the same libraries, request for request (checked untimed to print "verified"): the
# engine's API over its unix socket with http.client (ping, then the image's digest and WALLET_PUBLIC
# label); the ledger proof (one SQLite query, one ed25519 verification); in the registry with httpx, the
# signature tag sha256-<hex>.sig, the referrers API and the referrers tag sha256-<hex>, the signature's
# payload blob (its ed25519 signature and the digest it names checked), and the attestation tag .att.
VERIFY_JOB = (
    PAUSE
    + """import sys; sys.modules['httpx._main'] = None
import base64, http.client, json, os, socket, sqlite3
import click, httpx
from nacl.signing import VerifyKey
"""
    + _CONTRACT
    + """OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
class Engine(http.client.HTTPConnection):
    def __init__(self, path):
        super().__init__("localhost")
        self.socket_path = path
    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(self.socket_path)
    def get(self, path):
        self.request("GET", path)
        return self.getresponse().read()
@click.group()
def cli():
    pass
@cli.command()
@click.option("-n", "--network", required=True)
@click.argument("image")
def verify(network, image):
    gc.freeze(); gc.enable()
    engine = Engine(os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock").removeprefix("unix://"))
    engine.get("/_ping")
    info = json.loads(engine.get(f"/images/{image}/json"))
    public = info["Config"]["Labels"]["WALLET_PUBLIC"]
    repo = image.rsplit(":", 1)[0]
    digest = next(d for d in info["RepoDigests"] if d.startswith(repo + "@")).split("@", 1)[1]
    key = VerifyKey(bytes.fromhex(public))
    tail = tail_of(public, digest)
    db = sqlite3.connect(f"file:{network}?mode=ro", uri=True)
    (signature,) = db.execute("SELECT signature FROM proofs WHERE address = ?", (address_of(tail),)).fetchone()
    key.verify(b"goshfile-proof-sign-v1\\x00" + tail, bytes.fromhex(signature))
    host, name = repo.split("/", 1)
    base, tag = f"http://{host}/v2/{name}", digest.replace(":", "-")
    # a plain-HTTP registry: a transport without TLS verification set-up (CA bundle), as goshfile.httpclient makes
    with httpx.Client(transport=httpx.HTTPTransport(verify=False)) as registry:
        sig = registry.get(f"{base}/manifests/{tag}.sig", headers={"Accept": OCI_MANIFEST}).json()
        registry.get(f"{base}/referrers/{digest}", headers={"Accept": OCI_INDEX})
        registry.get(f"{base}/manifests/{tag}", headers={"Accept": OCI_INDEX})
        layer = sig["layers"][0]
        payload = registry.get(f"{base}/blobs/{layer['digest']}").content
        key.verify(payload, base64.b64decode(layer["annotations"]["dev.cosignproject.cosign/signature"]))
        assert json.loads(payload)["critical"]["image"]["docker-manifest-digest"] == digest
        registry.get(f"{base}/manifests/{tag}.att", headers={"Accept": OCI_MANIFEST})
    click.echo("verified")
cli()
"""
)
FLOORS = {  # contender: its floor, which also decides its verdict
    "goshfile --help": "floor: click",
    "goshfile --version": "floor: click",
    "goshfile check": "floor: check job",
    "goshfile addr": "floor: addr job",
    "goshfile verify": "floor: verify job",
}


class BenchError(Exception):
    """A command the benchmark needs failed."""


def run(args: Sequence[str], env: dict[str, str], *, ok: tuple[int, ...] = (0,)) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(list(args), env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL, check=False)
    if proc.returncode not in ok:
        tail = "\n".join((proc.stderr or proc.stdout).strip().splitlines()[-10:])
        raise BenchError(f"{' '.join(args[:4])} ... failed (exit {proc.returncode}):\n{tail}")
    return proc


def find_tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BenchError(f"{name} is not installed (scripts/install-system.sh installs it)")
    return path


class Fixture:
    """The keys, ledger and signed image the commands work on."""

    def __init__(self, work: Path) -> None:
        self.work = work
        self.env = {**os.environ, "GOSHFILE_HOME": str(work / "home"), "COSIGN_PASSWORD": ""}
        self.env.pop("GOSH_NETWORK", None)
        self.env.pop("WALLET_SECRET", None)
        self.env.pop("WALLET_PUBLIC", None)
        self.goshfile = str(VENV_BIN / "goshfile")
        run([str(VENV_BIN / "python"), "-m", "compileall", "-q", str(REPO / "goshfile")], self.env)
        self.cosign = find_tool("cosign")
        self.ledger = str(work / "ledger.db")
        self.key_file = str(work / "wallet.json")
        self.public = run([self.goshfile, "keys", "generate", "-o", self.key_file], self.env).stdout.strip()
        # cosign signs with the wallet key itself, so both tools check the same signature in the registry
        pkcs8 = str(work / "wallet.pkcs8")
        run([self.goshfile, "keys", "export", "--format", "pkcs8", "--key-file", self.key_file, "-o", pkcs8], self.env)
        import_key = [self.cosign, "import-key-pair", "--key", pkcs8, "--output-key-prefix", str(work / "cosign")]
        run(import_key, self.env)
        self.image = f"{REGISTRY}/goshfile-bench-cli-{secrets.token_hex(4)}:v1"
        context = work / "image"
        context.mkdir()
        (context / "Dockerfile").write_text(f"FROM {BASE}\nLABEL WALLET_PUBLIC={self.public}\n")
        run(["docker", "buildx", "build", "--progress=quiet", "-t", self.image, str(context)], self.env)
        run(["docker", "push", "-q", self.image], self.env)
        inspect = run(["docker", "image", "inspect", "--format", "{{json .RepoDigests}}", self.image], self.env)
        repo = self.image.rsplit(":", 1)[0]
        digests = [d for d in json.loads(inspect.stdout) if d.startswith(repo + "@")]
        if not digests:
            raise BenchError(f"{self.image}: no registry digest after the push")
        self.pinned = digests[0]
        self.digest = self.pinned.split("@", 1)[1]
        run([self.goshfile, "sign", "-n", self.ledger, "--key-file", self.key_file, self.digest], self.env)
        run(self.cosign_sign(), self.env)
        said = run(self.job(CHECK_JOB, "check"), self.env).stdout.strip()
        if said != "true":
            raise BenchError(f"the check job floor printed {said!r} for the signed digest, not 'true'")
        said = run(self.job(ADDR_JOB, "addr"), self.env).stdout.strip()
        address = run([self.goshfile, "addr", "-n", self.ledger, self.public, self.digest], self.env).stdout.strip()
        if said != address:
            raise BenchError(f"the addr job floor printed {said!r}, goshfile addr {address!r}")
        said = run(self.verify_job(), self.env).stdout.strip()
        verdict = run([self.goshfile, "verify", "-n", self.ledger, self.image], self.env).stdout
        if said != "verified" or not verdict.startswith("verified:") or "registry: verified" not in verdict:
            raise BenchError(f"the verify job printed {said!r}; goshfile verify printed {verdict!r}")

    def job(self, code: str, command: str) -> list[str]:
        return [str(VENV_BIN / "python"), "-c", code, command, "-n", self.ledger, self.public, self.digest]

    def verify_job(self) -> list[str]:
        return [str(VENV_BIN / "python"), "-c", VERIFY_JOB, "verify", "-n", self.ledger, self.image]

    def cosign_sign(self) -> list[str]:
        key = str(self.work / "cosign.key")
        return [self.cosign, "sign", "--key", key, "--tlog-upload=false", "-y", self.pinned]

    def commands(self) -> dict[str, list[str]]:
        g, n = self.goshfile, ["-n", self.ledger]
        pub = str(self.work / "cosign.pub")
        return {
            "python -c pass": [str(VENV_BIN / "python"), "-c", "pass"],
            **{name: [str(VENV_BIN / "python"), "-c", code] for name, code in FLOOR_CODE.items()},
            "floor: check job": self.job(CHECK_JOB, "check"),
            "floor: addr job": self.job(ADDR_JOB, "addr"),
            "floor: verify job": self.verify_job(),
            "goshfile --help": [g, "--help"],
            "goshfile --version": [g, "--version"],
            "goshfile check": [g, "check", *n, self.public, self.digest],
            "check imports": [
                str(VENV_BIN / "python"),
                "-c",
                self.imports_of([g, "check", *n, self.public, self.digest]),
            ],
            "goshfile addr": [g, "addr", *n, self.public, self.digest],
            "goshfile verify": [g, "verify", *n, self.image],
            "goshfile sign": [g, "sign", *n, "--key-file", self.key_file, "NEW"],
            "cosign version": [self.cosign, "version"],
            "cosign verify --key": [self.cosign, "verify", "--key", pub, "--insecure-ignore-tlog=true", self.pinned],
            "cosign sign --key": self.cosign_sign(),
        }

    def imports_of(self, args: list[str]) -> str:
        """A statement importing what the goshfile command ``args`` imports (from one untimed -X importtime run)."""
        proc = run([str(VENV_BIN / "python"), "-X", "importtime", *args], self.env)
        names = [
            line.rsplit("|", 1)[1].strip()
            for line in proc.stderr.splitlines()
            if line.startswith("import time:") and "|" in line
        ]
        ours = sorted({n for n in names if n == "goshfile" or n.startswith("goshfile.")})
        if not ours:
            raise BenchError(f"{' '.join(args[:2])}: -X importtime listed no goshfile module")
        return PAUSE + "import " + ", ".join(ours) + "\n" + RESUME

    def clean(self) -> None:
        subprocess.run(["docker", "image", "rm", self.image], capture_output=True, check=False)


def timed(args: list[str], env: dict[str, str]) -> float:
    if args[-1] == "NEW":  # goshfile sign: a new content each time, so each run records a proof
        args = [*args[:-1], "sha256:" + secrets.token_hex(32)]
    start = time.perf_counter()
    run(args, env)
    return time.perf_counter() - start


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--rounds", type=int, default=15, help="timed rounds (default 15)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")

    with tempfile.TemporaryDirectory(prefix="goshfile-bench-cli-") as tmp:
        try:
            fixture = Fixture(Path(tmp))
        except BenchError as exc:
            print(f"bench: {exc}", file=sys.stderr)
            return 1
        try:
            commands = fixture.commands()
            samples: dict[str, list[float]] = {k: [] for k in commands}
            loads: dict[str, list[float]] = {k: [] for k in commands}
            for round_ in range(args.rounds + 1):
                for name, command in commands.items():
                    seconds = timed(command, fixture.env)
                    if round_:
                        samples[name].append(seconds)
                        loads[name].append(os.getloadavg()[0])
                if round_:
                    print(f"round {round_}/{args.rounds} (load {os.getloadavg()[0]:.2f})", file=sys.stderr)
        except BenchError as exc:
            print(f"bench: {exc}", file=sys.stderr)
            return 1
        finally:
            fixture.clean()

    medians = {k: statistics.median(v) for k, v in samples.items()}
    ratios = {k: medians[k] / medians[base] for k, (base, _) in TARGETS.items()}
    # each command's floor against the command's own baseline: what decides its verdict
    floor_over = {k: medians[f] / medians[TARGETS[k][0]] for k, f in FLOORS.items()}

    result: dict[str, Any] = {
        "benchmark": "cli",
        "rounds": args.rounds,
        "cpus": os.cpu_count(),
        "image": fixture.pinned,
        "medians_s": {k: round(v, 4) for k, v in medians.items()},
        "loadavg_median": {k: round(statistics.median(v), 2) for k, v in loads.items()},
        "samples_s": {k: [round(x, 4) for x in v] for k, v in samples.items()},
        "ratios": {
            k: {"baseline": TARGETS[k][0], "ratio": round(r, 3), "target": TARGETS[k][1]} for k, r in ratios.items()
        },
        "met": {k: r <= TARGETS[k][1] for k, r in ratios.items()},
        # met, stopped by the floor (the floor's own ratio to the same baseline is above the target), or NOT met
        "verdicts": {k: verdicts.verdict(r, TARGETS[k][1], floor_over.get(k)) for k, r in ratios.items()},
        # each round ran every command back to back: its ratios are less moved by load drifting between rounds
        "per_round_ratios": {
            **{f"{k}/{base}": paired.per_run(samples[k], samples[base]) for k, (base, _) in TARGETS.items()},
            **{f"{k}/{f}": paired.per_run(samples[k], samples[f]) for k, f in FLOORS.items()},
            **{f"{f}/{TARGETS[k][0]}": paired.per_run(samples[f], samples[TARGETS[k][0]]) for k, f in FLOORS.items()},
        },
        "floors": {
            k: {
                "floor": f,
                "ratio": round(medians[k] / medians[f], 3),
                "above_ms": round(1000 * (medians[k] - medians[f])),
                "floor_over_baseline": round(floor_over[k], 3),
            }
            for k, f in FLOORS.items()
        },
        "check_split_ms": {
            "own": round(1000 * (medians["goshfile check"] - medians["floor: check libraries"])),
            "imports": round(1000 * (medians["check imports"] - medians["floor: check libraries"])),
            "run": round(1000 * (medians["goshfile check"] - medians["check imports"])),
            "job_over_libraries": round(1000 * (medians["floor: check job"] - medians["floor: check libraries"])),
        },
        "verify_split_ms": {
            "own": round(1000 * (medians["goshfile verify"] - medians["floor: verify libraries"])),
            "job_over_libraries": round(1000 * (medians["floor: verify job"] - medians["floor: verify libraries"])),
        },
        "python_pass_over_cosign_version": round(medians["python -c pass"] / medians["cosign version"], 3),
    }
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    print(f"goshfile CLI benchmark: {args.rounds} rounds, commands interleaved, {os.cpu_count()} CPUs")
    print(f"  image: {fixture.pinned}")
    print(f"  {'command':<22} {'median':>8} {'min':>8} {'max':>8}  load")
    for name, values in samples.items():
        load = result["loadavg_median"][name]
        print(f"  {name:<22} {medians[name]:8.3f} {min(values):8.3f} {max(values):8.3f}  {load:5.2f}")
    print()
    for name, ratio in ratios.items():
        base, target = TARGETS[name]
        floor = f"the {FLOORS.get(name, '').removeprefix('floor: ')} floor"
        verdict = verdicts.text(result["verdicts"][name], floor_over.get(name), floor)
        print(f"  {name:<20} / {base:<20} = {ratio:5.2f}x (target <= {target}x: {verdict})")
    print(f"  (python -c pass / cosign version = {result['python_pass_over_cosign_version']:.2f}x)")
    print()
    for name, floor in result["floors"].items():
        own = f"{floor['above_ms']:+d} ms of goshfile's own"
        print(f"  {name:<20} / {floor['floor']:<24} = {floor['ratio']:5.2f}x ({own})")
    floor_bases = (
        ("floor: click", "python -c pass"),
        ("floor: check libraries", "python -c pass"),
        ("floor: check job", "python -c pass"),
        ("floor: addr job", "python -c pass"),
        ("floor: verify libraries", "cosign verify --key"),
        ("floor: verify job", "cosign verify --key"),
    )
    for name, base in floor_bases:
        print(f"  {name:<20} / {base:<24} = {medians[name] / medians[base]:5.2f}x (what the floor alone costs)")
    print()
    print("  per round (median, middle half):")
    for name, s in result["per_round_ratios"].items():
        print(f"    {name:<46} {paired.text(s)}")
    split = result["check_split_ms"]
    print(
        f"  goshfile check, {split['own']:+d} ms above the check libraries: "
        f"{split['imports']:+d} ms loading goshfile's modules (check imports - check libraries), "
        f"{split['run']:+d} ms running (check - check imports)"
    )
    print(f"  the check job floor does the same work in {split['job_over_libraries']:+d} ms above the check libraries")
    split = result["verify_split_ms"]
    print(
        f"  goshfile verify, {split['own']:+d} ms above the verify libraries; the verify job floor does the same "
        f"requests and checks in {split['job_over_libraries']:+d} ms above them"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

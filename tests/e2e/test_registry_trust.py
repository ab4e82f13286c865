"""Signatures and provenance travel with the image: the real cosign, the real registry, a fresh home."""

from __future__ import annotations

import base64
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from goshfile.cosign import artifacts
from goshfile.cosign.store import attach_attestation, envelope_bytes
from goshfile.images import reference
from goshfile.images.registry import RegistryClient
from goshfile.keys import read_key_file
from goshfile.keys.keypair import KeyPair
from goshfile.provenance import dsse
from goshfile.provenance.statement import BuildRecord, encode, statement
from tests.e2e.helpers import Images, buildx, run

pytestmark = pytest.mark.docker
SEED = Path(__file__).resolve().parents[2] / "examples" / "seed"
GOSHFILE = str(Path(sys.executable).parent / "goshfile")
COSIGN_FLAGS = ("--insecure-ignore-tlog=true", "--allow-insecure-registry")


def tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is not installed: run scripts/setup.sh (scripts/install-system.sh installs it)")
    return found


def home_env(home: Path, **extra: str) -> dict[str, str]:
    """An environment whose goshfile home, HOME and Docker config are ``home``'s, with no wallet."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WALLET", "GOSH_NETWORK", "COSIGN_"))}
    env.update(GOSHFILE_HOME=str(home / "goshfile"), HOME=str(home), DOCKER_CONFIG=str(home / ".docker"), **extra)
    home.mkdir(parents=True, exist_ok=True)
    return env


def goshfile(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([GOSHFILE, *args], capture_output=True, text=True, env=env, check=False, timeout=600)


def cosign(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([tool("cosign"), *args], capture_output=True, text=True, env=env, check=False, timeout=300)


def verify_json(env: dict[str, str], *args: str) -> tuple[int, dict[str, object]]:
    done = goshfile(env, "verify", "--json", *args)
    assert done.stdout.strip(), done.stderr
    return done.returncode, json.loads(done.stdout)


@pytest.fixture
def node(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A node served over HTTP from its own folder: (URL, folder)."""
    folder = tmp_path / "node"
    server = subprocess.Popen(
        [GOSHFILE, "node", "serve", "--listen", "127.0.0.1:0", "--node", str(folder), "-q"],
        stdout=subprocess.PIPE,
        text=True,
        env=home_env(tmp_path / "node-home"),
    )
    assert server.stdout is not None
    url = server.stdout.readline().strip()
    assert url.startswith("http://127.0.0.1:"), url
    yield url, folder
    server.terminate()
    server.wait(timeout=10)


def seed_context(tmp_path: Path, name: str) -> Path:
    ctx = tmp_path / name
    ctx.mkdir()
    shutil.copy(SEED / "goshfile.yaml", ctx / "goshfile.yaml")
    return ctx


def test_a_signed_build_verifies_with_cosign_and_from_a_fresh_home(
    tmp_path: Path, images: Images, registry: str, node: tuple[str, Path]
) -> None:
    url, _ = node
    builder = home_env(tmp_path / "builder")
    assert goshfile(builder, "keys", "generate").returncode == 0
    image = images.name("trust-built", registry)
    built = goshfile(builder, "build", str(seed_context(tmp_path, "ctx")), "-t", image, "--push", "--sign", "-n", url)
    assert built.returncode == 0, built.stderr
    digest = [line for line in built.stdout.splitlines() if line.startswith("sha256:")][-1]
    pem = tmp_path / "wallet.pem"
    assert goshfile(builder, "keys", "export", "--format", "pem", "-o", str(pem)).returncode == 0

    # What the registry holds: the image, its .sig and .att tags.
    tags = run([tool("skopeo"), "list-tags", "--tls-verify=false", f"docker://{image.rsplit(':', 1)[0]}"]).output
    hexdigest = digest.removeprefix("sha256:")
    assert f"sha256-{hexdigest}.sig" in tags and f"sha256-{hexdigest}.att" in tags, tags
    discovered = run([tool("oras"), "discover", "--plain-http", image])  # the OCI 1.1 referrer (referrers tag here)
    assert discovered.returncode == 0 and "application/vnd.dev.cosign.artifact.sig.v1+json" in discovered.output

    # The real cosign accepts the signature and the provenance attestation with the wallet key.
    checked = cosign(builder, "verify", "--key", str(pem), *COSIGN_FLAGS, image)
    assert checked.returncode == 0, checked.stderr
    assert json.loads(checked.stdout)[0]["critical"]["image"]["docker-manifest-digest"] == digest
    attested = cosign(
        builder, "verify-attestation", "--type", "slsaprovenance1", "--key", str(pem), *COSIGN_FLAGS, image
    )
    assert attested.returncode == 0, attested.stderr
    other = tmp_path / "other.pem"
    assert goshfile(home_env(tmp_path / "x"), "keys", "generate").returncode == 0
    assert goshfile(home_env(tmp_path / "x"), "keys", "export", "-o", str(other)).returncode == 0
    assert cosign(builder, "verify", "--key", str(other), *COSIGN_FLAGS, image).returncode != 0

    # A second, empty home with only the registry and the HTTP node; again after the builder's home is gone.
    fresh = home_env(tmp_path / "fresh")
    everything = ("--require", "ledger", "--require", "registry", "--require", "provenance")
    for round_ in ("builder's home present", "builder's home deleted"):
        code, result = verify_json(fresh, "-n", url, *everything, image)
        assert code == 0 and result["verified"], (round_, result)
        evidence = result["evidence"]
        assert isinstance(evidence, dict)
        assert {evidence[p]["status"] for p in ("label", "ledger", "registry", "provenance")} == {"verified"}
        assert evidence["provenance"]["details"]["source"].startswith("registry tag sha256-")
        assert result["trust"] == "self-declared"
        shutil.rmtree(tmp_path / "builder", ignore_errors=True)
        run(["docker", "rmi", "-f", image])
    assert not (tmp_path / "fresh" / "goshfile" / "provenance").exists()  # nothing was needed from a cache


def test_an_image_signed_only_by_cosign_with_an_imported_wallet_key_verifies(
    tmp_path: Path, images: Images, registry: str
) -> None:
    pair = KeyPair.generate()
    env = home_env(tmp_path / "signer", COSIGN_PASSWORD="correct horse")
    image = images.name("cosign-signed", registry)
    pushed = buildx(seed_context(tmp_path, "ctx"), "--push", "--label", f"WALLET_PUBLIC={pair.public_hex}", "-t", image)
    assert pushed.returncode == 0, pushed.output
    inspect = RegistryClient().inspect(reference.parse(image))
    key = tmp_path / "wallet.key"
    (tmp_path / "wallet.json").write_text(json.dumps({"secret": pair.reveal_secret()}))
    (tmp_path / "wallet.json").chmod(0o600)
    exported = goshfile(
        env, "keys", "export", "--format", "pkcs8", "--key-file", str(tmp_path / "wallet.json"), "-o", str(key)
    )
    assert exported.returncode == 0 and key.stat().st_mode & 0o777 == 0o600, exported.stderr
    imported = cosign(env, "import-key-pair", "--key", str(key), "--output-key-prefix", str(tmp_path / "import"))
    assert imported.returncode == 0, imported.stderr
    signed = cosign(
        env,
        "sign",
        "--key",
        str(tmp_path / "import.key"),
        "--tlog-upload=false",
        *COSIGN_FLAGS[1:],
        "-y",
        f"{image.rsplit(':', 1)[0]}@{inspect.digest}",
    )
    assert signed.returncode == 0, signed.stderr

    fresh = home_env(tmp_path / "fresh")
    code, result = verify_json(fresh, "-n", str(tmp_path / "empty-node"), image)
    assert code == 0 and result["verified"], result
    evidence = result["evidence"]
    assert isinstance(evidence, dict)
    assert evidence["registry"]["status"] == "verified" and evidence["ledger"]["status"] == "absent"
    assert result["signer"] == pair.public_hex

    # goshfile imports cosign's encrypted key file: the same wallet.
    again = goshfile(env, "keys", "import", str(tmp_path / "import.key"))
    assert again.returncode == 0 and again.stdout.strip() == pair.public_hex, again.stderr
    wrong = goshfile(
        {**env, "COSIGN_PASSWORD": "wrong"}, "keys", "import", "-o", str(tmp_path / "k2"), str(tmp_path / "import.key")
    )
    assert wrong.returncode != 0 and "wrong password" in wrong.stderr


def test_each_tamper_case_is_refused_with_its_reason(tmp_path: Path, images: Images, registry: str) -> None:
    owner = home_env(tmp_path / "owner")
    public = goshfile(owner, "keys", "generate").stdout.strip()
    node = str(tmp_path / "node")
    names = [images.name(n, registry) for n in ("tamper-a", "tamper-b")]
    ctx = seed_context(tmp_path, "ctx")
    for i, name in enumerate(names):
        pushed = buildx(ctx, "--push", "--label", f"WALLET_PUBLIC={public}", "--label", f"n={i}", "-t", name)
        assert pushed.returncode == 0, pushed.output
        signed = goshfile(owner, "sign", "-n", node, "--image", name)
        assert signed.returncode == 0, signed.stderr
    client = RegistryClient()
    a, b = (reference.parse(n) for n in names)
    da, db = client.manifest(a).digest, client.manifest(b).digest
    fresh = home_env(tmp_path / "fresh")
    assert verify_json(fresh, "-n", node, names[0])[0] == 0

    # Signing again adds no duplicate.
    assert goshfile(owner, "sign", "-n", node, "--image", names[0]).returncode == 0
    assert len(client.manifest(a, artifacts.signature_tag(da)).json()["layers"]) == 1

    # A valid signature by a key that is not the trusted one.
    code, result = verify_json(fresh, "-n", node, "--signer", KeyPair.generate().public_hex, names[0])
    assert code == 1 and "which is not a trusted signer" in str(result["reason"])

    # The ledger proof gone (another node): the registry signature still verifies.
    code, result = verify_json(fresh, "-n", str(tmp_path / "empty-node"), names[0])
    evidence = result["evidence"]
    assert isinstance(evidence, dict)
    assert code == 0 and evidence["ledger"]["status"] == "absent" and evidence["registry"]["status"] == "verified"

    # Another image's signature copied under this image's .sig tag.
    copied = run(
        [
            tool("skopeo"),
            "copy",
            "--src-tls-verify=false",
            "--dest-tls-verify=false",
            "--preserve-digests",
            f"docker://{b.name}:{artifacts.signature_tag(db)}",
            f"docker://{a.name}:{artifacts.signature_tag(da)}",
        ]
    )
    assert copied.returncode == 0, copied.output
    code, result = verify_json(fresh, "-n", node, names[0])
    assert code == 1 and f"a signature of another image (its payload names {db}, not {da})" in str(result["reason"])

    # The registry signature removed: the ledger still verifies.
    client.delete_manifest(a, client.manifest(a, artifacts.signature_tag(da)).digest)
    code, result = verify_json(fresh, "-n", node, names[0])
    evidence = result["evidence"]
    assert isinstance(evidence, dict)
    assert code == 0 and evidence["registry"]["status"] == "absent" and evidence["ledger"]["status"] == "verified"

    # A provenance attestation whose payload changed by one byte after the owner signed it.
    pair = read_key_file(tmp_path / "owner" / "goshfile" / "keys" / "wallet.json").pair
    assert pair is not None
    record = BuildRecord(names[1], db, {"goshfile.hermetic": "true"})
    envelope = dsse.sign(encode(statement(record)), pair).to_json()
    attach_attestation(client, b, db, envelope_bytes(envelope), artifacts.SLSA_PROVENANCE_V1, pair.public_hex)
    code, result = verify_json(fresh, "-n", node, "--require", "provenance", names[1])
    assert code == 0 and result["verified"], result
    body = bytearray(base64.b64decode(str(envelope["payload"])))
    body[body.index(b"true")] = ord("T")
    envelope["payload"] = base64.b64encode(bytes(body)).decode()
    attach_attestation(client, b, db, envelope_bytes(envelope), artifacts.SLSA_PROVENANCE_V1, pair.public_hex)
    code, result = verify_json(fresh, "-n", node, names[1])
    evidence = result["evidence"]
    assert isinstance(evidence, dict)
    assert code == 1 and evidence["provenance"]["status"] == "invalid"
    assert "DSSE signature does not verify" in str(evidence["provenance"]["reason"])


def test_signatures_go_to_a_private_registry_with_the_users_docker_login(
    tmp_path: Path, images: Images, registry: str
) -> None:
    """Debian's registry behind htpasswd basic auth on a port of its own; credentials from DOCKER_CONFIG."""
    htpasswd = run([tool("htpasswd"), "-Bbn", "ann", "s3cret"])
    assert htpasswd.returncode == 0
    (tmp_path / "htpasswd").write_text(htpasswd.output.strip() + "\n")
    port = _free_port()
    (tmp_path / "registry.yml").write_text(
        f"version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: {tmp_path}/store\n"
        f"http:\n  addr: 127.0.0.1:{port}\nauth:\n  htpasswd:\n    realm: private\n    path: {tmp_path}/htpasswd\n"
    )
    server = subprocess.Popen(
        [tool("docker-registry"), "serve", str(tmp_path / "registry.yml")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for(port)
        host = f"127.0.0.1:{port}"
        owner = home_env(tmp_path / "owner")
        public = goshfile(owner, "keys", "generate").stdout.strip()
        source = images.name("private-src", registry)
        pushed = buildx(seed_context(tmp_path, "ctx"), "--push", "--label", f"WALLET_PUBLIC={public}", "-t", source)
        assert pushed.returncode == 0, pushed.output
        image = f"{host}/team/private:v1"
        copied = run(
            [
                tool("skopeo"),
                "copy",
                "--src-tls-verify=false",
                "--dest-tls-verify=false",
                "--dest-creds",
                "ann:s3cret",
                f"docker://{source}",
                f"docker://{image}",
            ]
        )
        assert copied.returncode == 0, copied.output
        node = str(tmp_path / "node")
        denied = goshfile(owner, "sign", "-n", node, "--image", image)
        assert denied.returncode == 3 and f"docker login {host}" in denied.stderr, denied.stderr
        docker_dir = tmp_path / "owner" / ".docker"
        docker_dir.mkdir()
        auth = base64.b64encode(b"ann:s3cret").decode()
        (docker_dir / "config.json").write_text(json.dumps({"auths": {host: {"auth": auth}}}))
        signed = goshfile(owner, "sign", "-n", node, "--image", image)
        assert signed.returncode == 0, signed.stderr
        code, result = verify_json(owner, "-n", node, "--require", "registry", image)
        assert code == 0 and result["verified"], result
        assert "s3cret" not in json.dumps(result) and "s3cret" not in signed.stderr
        pem = tmp_path / "wallet.pem"
        assert goshfile(owner, "keys", "export", "-o", str(pem)).returncode == 0
        assert cosign(owner, "verify", "--key", str(pem), *COSIGN_FLAGS, image).returncode == 0
    finally:
        server.terminate()
        server.wait(timeout=10)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_for(port: int) -> None:
    for _ in range(100):
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    pytest.fail(f"the private registry on 127.0.0.1:{port} did not start")

"""Registry HTTP: plain HTTP only where allowed, token and basic auth, no credentials to other hosts."""

from __future__ import annotations

import httpx
import pytest

from goshfile.errors import EngineError
from goshfile.images import reference
from goshfile.images.registry import RegistryClient
from goshfile.images.registry_auth import Credentials
from goshfile.images.registry_http import RegistryHTTP
from tests.images.fake_registry import Registry, digest, serving, storage_for


def test_plain_http_only_for_loopback_and_named_insecure_registries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GOSHFILE_INSECURE_REGISTRIES", raising=False)
    http = RegistryHTTP()
    assert http.base("127.0.0.1:5000") == "http://127.0.0.1:5000"
    assert http.base("localhost:5000") == "http://localhost:5000"
    assert http.base("reg.example:5000") == "https://reg.example:5000"
    assert http.base("docker.io") == "https://registry-1.docker.io"
    assert RegistryHTTP(insecure=["reg.example:5000"]).base("reg.example:5000") == "http://reg.example:5000"
    monkeypatch.setenv("GOSHFILE_INSECURE_REGISTRIES", "a.example, b.example:1")
    assert RegistryHTTP().base("b.example:1") == "http://b.example:1"
    assert RegistryHTTP().base("c.example") == "https://c.example"


def test_basic_auth_with_the_users_credentials() -> None:
    with serving(Registry(basic_auth=("ann", "secret"))) as registry:
        registry.image("v1", [b"one"])
        ref = reference.parse(f"{registry.host}/team/app:v1")
        client = RegistryClient(credentials=lambda host: Credentials("ann", "secret"))
        pushed = client.push_blob(ref, b"new blob")
        assert registry.blobs[pushed] == b"new blob"
        assert client.inspect(ref).digest == digest(registry.manifests["v1"][1])
        with pytest.raises(EngineError, match=f"docker login {registry.host}"):
            RegistryClient(credentials=lambda host: Credentials()).inspect(ref)
        with pytest.raises(EngineError, match="refused the credentials"):
            RegistryClient(credentials=lambda host: Credentials("ann", "wrong")).inspect(ref)


def test_credentials_are_not_sent_to_a_redirect_on_another_host() -> None:
    with serving(Registry(basic_auth=("ann", "secret"))) as registry, storage_for(registry) as storage:
        registry.image("v1", [b"layer data"])
        ref = reference.parse(f"{registry.host}/team/app:v1")
        client = RegistryClient(credentials=lambda host: Credentials("ann", "secret"))
        remote = client.inspect(ref)  # the config blob comes from the storage host
        blob = client.blob(ref, remote.layers[0][0])
        buffer = memoryview(bytearray(1 << 16))
        while blob.readinto(buffer):
            pass
        blob.close()
        assert len(storage.authorizations) == 2 and storage.authorizations == ["", ""]
        assert any(header.startswith("Basic ") for _, header in registry.authorizations)


def test_a_bearer_challenge_is_answered_with_a_token_from_the_realm() -> None:
    seen: list[tuple[str, str]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append((str(request.url), request.headers.get("Authorization", "")))
        if request.url.host == "auth.example":
            assert request.url.params["scope"] == "repository:team/app:pull"
            assert request.url.params["service"] == "reg.example"
            assert request.headers["Authorization"].startswith("Basic ")
            return httpx.Response(200, json={"token": "T0K"})
        if request.headers.get("Authorization") != "Bearer T0K":
            challenge = (
                'Bearer realm="https://auth.example/token",service="reg.example",scope="repository:team/app:pull"'
            )
            return httpx.Response(401, headers={"WWW-Authenticate": challenge})
        return httpx.Response(200, content=b"blob!")

    client = RegistryClient(credentials=lambda host: Credentials("ann", "pw"), transport=httpx.MockTransport(handler))
    ref = reference.parse("reg.example/team/app:v1")
    assert client.blob_bytes(ref, digest(b"blob!")) == b"blob!"
    assert client.blob_bytes(ref, digest(b"blob!")) == b"blob!"  # the token is kept: no second challenge
    assert [url for url, _ in seen].count("https://reg.example/v2/team/app/blobs/" + digest(b"blob!")) == 3


def test_an_unreachable_registry_is_an_engine_error() -> None:
    with serving(Registry()) as registry:
        host = registry.host
    with pytest.raises(EngineError, match="cannot reach the registry"):
        RegistryClient().inspect(reference.parse(f"{host}/team/app:v1"))


def test_a_repositorys_tags_are_listed_with_the_users_credentials() -> None:
    with serving(Registry(basic_auth=("ann", "secret"))) as registry:
        registry.image("v2", [b"two"])
        registry.image("v1", [b"one"])
        ref = reference.parse(f"{registry.host}/team/app")
        client = RegistryClient(credentials=lambda host: Credentials("ann", "secret"))
        assert client.list_tags(ref) == ["v1", "v2"]
        assert client.list_tags(ref, limit=1) == ["v1"]
        assert any(path.startswith("/v2/team/app/tags/list?n=") for path in registry.requests)
        with pytest.raises(EngineError, match="docker login"):
            RegistryClient(credentials=lambda host: Credentials()).list_tags(ref)

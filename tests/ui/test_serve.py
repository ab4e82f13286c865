"""Where the dashboard may listen, and the one start-up line it prints."""

from __future__ import annotations

import pytest

from goshfile.cli.main import main
from goshfile.errors import InputError
from goshfile.ui.serve import Listen, bind, parse_listen, require_allowed


@pytest.mark.parametrize(
    ("text", "host", "port", "loopback"),
    [
        ("127.0.0.1:8780", "127.0.0.1", 8780, True),
        ("127.0.0.2:0", "127.0.0.2", 0, True),
        ("localhost:9000", "localhost", 9000, True),
        ("[::1]:8780", "::1", 8780, True),
        ("0.0.0.0:8780", "0.0.0.0", 8780, False),
        ("192.0.2.7:80", "192.0.2.7", 80, False),
    ],
)
def test_listen_addresses_parse_and_know_whether_they_are_loopback(
    text: str, host: str, port: int, loopback: bool
) -> None:
    listen = parse_listen(text)
    assert (listen.host, listen.port, listen.loopback) == (host, port, loopback)


@pytest.mark.parametrize(
    ("text", "problem"),
    [("8780", "give HOST:PORT"), ("127.0.0.1:http", "must be a number"), ("example.org:80", "not a host name")],
)
def test_bad_listen_addresses_say_what_is_wrong(text: str, problem: str) -> None:
    with pytest.raises(InputError, match=problem):
        parse_listen(text)


def test_a_non_loopback_address_needs_allow_remote() -> None:
    with pytest.raises(InputError, match=r"not a loopback address.*--allow-remote"):
        require_allowed(Listen("0.0.0.0", 8780), allow_remote=False)
    require_allowed(Listen("0.0.0.0", 8780), allow_remote=True)
    require_allowed(Listen("127.0.0.1", 8780), allow_remote=False)


def test_the_command_refuses_a_remote_address_before_touching_the_engine(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")  # an engine it must not need
    assert main(["ui", "--listen", "0.0.0.0:8780"]) != 0
    err = capsys.readouterr().err
    assert "not a loopback address" in err and "--allow-remote" in err


def test_port_zero_binds_a_free_port_and_a_busy_one_is_a_clear_error() -> None:
    sock = bind(Listen("127.0.0.1", 0))
    try:
        port = sock.getsockname()[1]
        assert port > 0
        with pytest.raises(InputError, match=f"cannot listen on 127.0.0.1:{port}"):
            bind(Listen("127.0.0.1", port)).close()
    finally:
        sock.close()

"""Where the dashboard may listen, and the one start-up line it prints."""

from __future__ import annotations

import socket
import urllib.error
import urllib.request

import pytest

from goshfile.cli.main import main
from goshfile.errors import InputError
from goshfile.serving import Limits, in_background
from goshfile.ui.dashboard import Dashboard
from goshfile.ui.serve import Listen, bind, dashboard_server, parse_listen, require_allowed
from tests.ui.fakes import World


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


def test_the_dashboard_server_closes_idle_connections_and_serves_the_page(world: World) -> None:
    """Served as the node is: an idle connection is closed after the idle timeout, requests still work."""
    dashboard = Dashboard(world.services())
    server, url = dashboard_server(dashboard, Listen("127.0.0.1", 0), False, Limits(idle_timeout=0.5))
    with in_background(server):
        idle = socket.create_connection(("127.0.0.1", server.port), timeout=10)
        try:
            assert idle.recv(1) == b""  # the server closed it: nothing was sent within the idle timeout
        finally:
            idle.close()
        browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor())  # keeps the session cookie
        with browser.open(url, timeout=10) as page:
            assert page.status == 200 and b"<html" in page.read().lower()
        with pytest.raises(urllib.error.HTTPError) as refused:  # and the token still matters
            urllib.request.urlopen(url.split("?")[0], timeout=10)
        assert refused.value.code == 403

"""git smart HTTP for the node's repositories, by running ``git http-backend`` as a CGI program.

The node's HTTP server routes requests with a few lines::

    from goshfile.gosh import http_git

    def do_GET(self):            # and the same in do_POST
        if http_git.handle(self, node_path):
            return
        ...

URLs: ``/git/<system>/<dao>/<repo>.git/info/refs?service=…``, ``…/git-upload-pack`` and
``…/git-receive-pack`` (smart HTTP only). A push to a repository that does not
exist creates it, as with the local node. :class:`GitHttpServer` is a small
standalone server (127.0.0.1, free port) for tests and ad-hoc use.
"""

from __future__ import annotations

import contextlib
import io
import re
import shutil
import subprocess
import tempfile
import threading
import urllib.parse
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import IO, cast

from goshfile.endpoints import GIT_PREFIX
from goshfile.errors import GoshfileError
from goshfile.gitcmd import clean_env
from goshfile.gosh.store import RepoStore
from goshfile.gosh.url import NAME_RE, SYSTEM_RE
from goshfile.serving import in_background

_NAME = NAME_RE.pattern
_PATH = re.compile(
    rf"/(?P<system>{SYSTEM_RE.pattern})/(?P<dao>{_NAME})/(?P<repo>{_NAME})\.git"
    r"/(?P<endpoint>info/refs|git-upload-pack|git-receive-pack)"
)
SERVICES = ("git-upload-pack", "git-receive-pack")
CHUNK = 64 * 1024


def handle(handler: BaseHTTPRequestHandler, node_path: Path, *, prefix: str = GIT_PREFIX) -> bool:
    """Serve ``handler``'s request if its path is under ``prefix``; False (nothing sent) otherwise."""
    split = urllib.parse.urlsplit(handler.path)
    path = urllib.parse.unquote(split.path)
    if not path.startswith(prefix + "/"):
        return False
    match = _PATH.fullmatch(path[len(prefix) :])
    if match is None:
        handler.send_error(404, "not a git repository URL: expected /git/<system>/<dao>/<repo>.git/...")
        return True
    endpoint = match["endpoint"]
    service = urllib.parse.parse_qs(split.query).get("service", [""])[0] if endpoint == "info/refs" else endpoint
    method = "GET" if endpoint == "info/refs" else "POST"
    if handler.command != method:
        handler.send_error(405, f"use {method} for {endpoint}")
        return True
    if service not in SERVICES:
        handler.send_error(403, "only git's smart HTTP protocol is served (service=git-upload-pack or receive-pack)")
        return True
    store = RepoStore(node_path)
    repo = store.path(match["system"], match["dao"], match["repo"])
    if not store.exists(repo):
        if service != "git-receive-pack" or endpoint != "info/refs":
            handler.send_error(404, "repository not found")
            return True
        try:
            repo = store.create(match["system"], match["dao"], match["repo"])
        except GoshfileError as exc:
            handler.send_error(500, str(exc))
            return True
    path_info = "/" + str(repo.relative_to(store.root)) + "/" + endpoint
    _run_backend(handler, store.root, path_info, split.query)
    if endpoint == "git-receive-pack":
        with contextlib.suppress(GoshfileError):
            store.fix_head(repo)
    return True


def _copy_exactly(source: io.BufferedIOBase, sink: IO[bytes], size: int) -> bool:
    """Copy ``size`` bytes; False when ``source`` ends first."""
    remaining = size
    while remaining:
        data = source.read(min(remaining, CHUNK))
        if not data:
            return False
        sink.write(data)
        remaining -= len(data)
    return True


def _request_body(handler: BaseHTTPRequestHandler, sink: IO[bytes]) -> None:
    """Copy the request body (Content-Length or chunked) into ``sink`` and close it."""
    try:
        if handler.headers.get("Transfer-Encoding", "").lower() == "chunked":
            while True:
                size = int(handler.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while handler.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    break
                if not _copy_exactly(handler.rfile, sink, size):
                    return
                handler.rfile.readline()
        else:
            _copy_exactly(handler.rfile, sink, int(handler.headers.get("Content-Length") or 0))
    except (OSError, ValueError):
        pass  # the backend sees a short body and says so
    finally:
        with contextlib.suppress(OSError):
            sink.close()


def _run_backend(handler: BaseHTTPRequestHandler, root: Path, path_info: str, query: str) -> None:
    env = clean_env(
        {
            "GIT_PROJECT_ROOT": str(root),
            "GIT_HTTP_EXPORT_ALL": "1",
            "GIT_CONFIG_COUNT": "1",
            "GIT_CONFIG_KEY_0": "http.receivepack",
            "GIT_CONFIG_VALUE_0": "true",
            "GATEWAY_INTERFACE": "CGI/1.1",
            "SERVER_PROTOCOL": handler.request_version,
            "REQUEST_METHOD": handler.command,
            "PATH_INFO": path_info,
            "QUERY_STRING": query,
            "REMOTE_ADDR": handler.client_address[0],
            "CONTENT_TYPE": handler.headers.get("Content-Type", ""),
        }
    )
    if handler.headers.get("Content-Length") and not handler.headers.get("Transfer-Encoding"):
        env["CONTENT_LENGTH"] = handler.headers["Content-Length"]
    if handler.headers.get("Content-Encoding"):
        env["HTTP_CONTENT_ENCODING"] = handler.headers["Content-Encoding"]
    if handler.headers.get("Git-Protocol"):
        env["GIT_PROTOCOL"] = handler.headers["Git-Protocol"]
    with tempfile.TemporaryFile() as errors:
        proc = subprocess.Popen(
            ["git", "http-backend"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=errors, env=env
        )
        assert proc.stdin is not None and proc.stdout is not None
        feeder = threading.Thread(target=_request_body, args=(handler, proc.stdin), daemon=True)
        feeder.start()
        try:
            _relay_response(handler, cast(io.BufferedReader, proc.stdout))
        finally:
            proc.stdout.close()
            feeder.join()
            code = proc.wait()
        if code != 0:
            errors.seek(0)
            text = errors.read().decode(errors="replace").strip()
            handler.log_message("git http-backend %s exited %d: %s", path_info, code, text)


def _relay_response(handler: BaseHTTPRequestHandler, out: io.BufferedReader) -> None:
    """Turn the CGI output into an HTTP response, streaming the body."""
    status, reason = 200, "OK"
    headers: list[tuple[str, str]] = []
    while True:
        line = out.readline()
        if line in (b"\r\n", b"\n", b""):
            break
        name, _, value = line.decode("latin-1").partition(":")
        if name.lower() == "status":
            code, _, text = value.strip().partition(" ")
            status, reason = int(code), text or reason
        else:
            headers.append((name.strip(), value.strip()))
    handler.send_response(status, reason)
    sized = any(name.lower() == "content-length" for name, _ in headers)
    chunked = not sized and handler.protocol_version == handler.request_version == "HTTP/1.1"
    if not sized and not chunked:
        handler.close_connection = True  # the end of the body is the end of the connection
    for name, value in headers:
        handler.send_header(name, value)
    if chunked:
        handler.send_header("Transfer-Encoding", "chunked")
    handler.end_headers()
    while data := out.read1(CHUNK):
        if chunked:
            handler.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        else:
            handler.wfile.write(data)
    if chunked:
        handler.wfile.write(b"0\r\n\r\n")
    handler.wfile.flush()


class _Handler(BaseHTTPRequestHandler):
    server: GitHttpServer

    def do_GET(self) -> None:
        if not handle(self, self.server.node_path):
            self.send_error(404)

    def do_POST(self) -> None:
        if not handle(self, self.server.node_path):
            self.send_error(404)

    def log_message(self, format: str, *args: object) -> None:
        if self.server.verbose:
            super().log_message(format, *args)


class GitHttpServer(ThreadingHTTPServer):
    """A standalone smart-HTTP server for one node's repositories, on 127.0.0.1."""

    daemon_threads = True

    def __init__(self, node_path: Path, port: int = 0, *, verbose: bool = False) -> None:
        self.node_path = node_path
        self.verbose = verbose
        super().__init__(("127.0.0.1", port), _Handler)

    @property
    def url(self) -> str:
        """The node URL (``http://127.0.0.1:<port>``), the form GOSH_NETWORK takes."""
        return f"http://127.0.0.1:{self.server_address[1]}"


@contextlib.contextmanager
def serving(node_path: Path) -> Iterator[GitHttpServer]:
    """Run a :class:`GitHttpServer` in a background thread for the duration of the block."""
    if shutil.which("git") is None:
        raise GoshfileError("git is not installed")
    with in_background(GitHttpServer(node_path), poll_interval=0.01) as server:
        yield server

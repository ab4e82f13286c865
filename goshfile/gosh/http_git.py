"""git smart HTTP for the node's repositories: a Starlette app running ``git http-backend`` as CGI.

URLs (under the node's ``/git`` mount): ``/<system>/<dao>/<repo>.git/info/refs?service=…``,
``…/git-upload-pack`` and ``…/git-receive-pack`` (smart HTTP only).

- Fetches and clones (``git-upload-pack``) need nothing.
- Pushes (``git-receive-pack``, its advertisement included) need the node's token, sent as
  ``Authorization: Bearer <token>`` or as the password of HTTP basic authentication (any user name).
  A node without a token refuses every push.
- A read never creates a repository: the push advertisement of a repository that does not exist is
  that of an empty one, and the repository is created only when an authenticated push sends objects.

Request bodies are read (at most :attr:`GitLimits.max_body` bytes, spooled to disk) before the
backend starts; at most :attr:`GitLimits.max_processes` backends run at once. :func:`serving` runs
the app alone on 127.0.0.1 for tests and ad-hoc use.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import shutil
import tempfile
import urllib.parse
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Mount, Route

from goshfile.errors import GoshfileError
from goshfile.gitcmd import clean_env, git
from goshfile.gosh.store import RepoStore
from goshfile.gosh.url import NAME_RE, SYSTEM_RE
from goshfile.serving import AppServer, Limits, in_background
from goshfile.web import HttpError, authorized, body_chunks, error_response, http_exception_response

log = logging.getLogger("goshfile.server")
_NAME = NAME_RE.pattern
_PATH = re.compile(
    rf"(?P<system>{SYSTEM_RE.pattern})/(?P<dao>{_NAME})/(?P<repo>{_NAME})\.git"
    r"/(?P<endpoint>info/refs|git-upload-pack|git-receive-pack)"
)
SERVICES = ("git-upload-pack", "git-receive-pack")
CHUNK = 64 * 1024
SPOOL_IN_MEMORY = 1024 * 1024
REALM = 'Basic realm="goshfile node", charset="UTF-8"'


@dataclass(frozen=True)
class GitLimits:
    """Limits of the git endpoints."""

    max_body: int = 1024 * 1024 * 1024  # bytes of one request body (a push's pack, as sent)
    max_processes: int = 8  # git backends running at once (more requests wait their turn)


@dataclass
class _State:
    node_path: Path
    token: str | None
    limits: Limits
    git_limits: GitLimits
    backends: asyncio.Semaphore | None = None


def create_app(
    node_path: Path, *, token: str | None = None, limits: Limits | None = None, git_limits: GitLimits | None = None
) -> Starlette:
    """The git app for the repositories of the node at ``node_path`` (mount it at ``/git``)."""
    state = _State(node_path, token, limits or Limits(), git_limits or GitLimits())

    async def endpoint(request: Request) -> Response:
        try:
            return await _serve(request, state)
        except HttpError as exc:
            return error_response(exc, request)
        except GoshfileError as exc:
            log.error("git request %s failed: %s", request.url.path, exc)
            return error_response(HttpError(500, "internal_error", str(exc)), request)

    methods = ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"]
    return Starlette(
        routes=[Route("/{path:path}", endpoint, methods=methods)],
        exception_handlers={HTTPException: http_exception_response},
    )


def _not_found() -> HttpError:
    return HttpError(404, "not_found", "not a git repository URL: expected /git/<system>/<dao>/<repo>.git/...")


async def _serve(request: Request, state: _State) -> Response:
    match = _PATH.fullmatch(request.path_params["path"])
    if match is None:
        raise _not_found()
    endpoint = match["endpoint"]
    query = request.scope["query_string"].decode("latin-1")
    if endpoint == "info/refs":
        service = urllib.parse.parse_qs(query, max_num_fields=20).get("service", [""])[0] if query else ""
    else:
        service = endpoint
    method = "GET" if endpoint == "info/refs" else "POST"
    if request.method != method:
        raise HttpError(405, "method_not_allowed", f"use {method} for {endpoint}")
    if service not in SERVICES:
        words = "only git's smart HTTP protocol is served (service=git-upload-pack or receive-pack)"
        raise HttpError(403, "forbidden", words)
    if service == "git-receive-pack":
        if state.token is None:
            raise HttpError(403, "pushes_disabled", "this node takes no pushes (it was started without a token)")
        if not authorized(request, state.token):
            raise HttpError(401, "unauthorized", "a push needs the node's token", {"WWW-Authenticate": REALM})
    store = RepoStore(state.node_path)
    repo = store.path(match["system"], match["dao"], match["repo"])
    exists = await run_in_threadpool(store.exists, repo)
    if not exists and service == "git-upload-pack":
        raise HttpError(404, "not_found", "repository not found")
    body = await _spooled_body(request, state) if method == "POST" else None
    if state.backends is None:
        state.backends = asyncio.Semaphore(state.git_limits.max_processes)
    if exists or endpoint == "git-receive-pack":
        if not exists:
            repo = await run_in_threadpool(store.create, match["system"], match["dao"], match["repo"])
        root, path_info = store.root, "/" + str(repo.relative_to(store.root)) + "/" + endpoint
        return await _backend(request, state, root, path_info, query, body, fix_head=(store, repo) if body else None)
    scratch = Path(await run_in_threadpool(tempfile.mkdtemp, None, ".goshfile-empty-"))  # the advertisement of nothing
    try:
        await run_in_threadpool(git, ["init", "--quiet", "--bare", str(scratch / "empty.git")])
        response = await _backend(request, state, scratch, "/empty.git/info/refs", query, None, fix_head=None)
        return await _buffered(response)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


async def _spooled_body(request: Request, state: _State) -> IO[bytes]:
    sink = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY)  # noqa: SIM115 - closed by the caller
    try:
        async for chunk in body_chunks(request, state.git_limits.max_body, state.limits.body_timeout):
            sink.write(chunk)
    except BaseException:
        sink.close()
        raise
    sink.seek(0)
    return sink


def _environment(request: Request, root: Path, path_info: str, query: str, length: int | None) -> dict[str, str]:
    env = clean_env(
        {
            "GIT_PROJECT_ROOT": str(root),
            "GIT_HTTP_EXPORT_ALL": "1",
            "GIT_CONFIG_COUNT": "1",
            "GIT_CONFIG_KEY_0": "http.receivepack",
            "GIT_CONFIG_VALUE_0": "true",
            "GATEWAY_INTERFACE": "CGI/1.1",
            "SERVER_PROTOCOL": f"HTTP/{request.scope.get('http_version', '1.1')}",
            "REQUEST_METHOD": request.method,
            "PATH_INFO": path_info,
            "QUERY_STRING": query,
            "REMOTE_ADDR": request.client.host if request.client else "",
            "CONTENT_TYPE": request.headers.get("content-type", ""),
        }
    )
    if length is not None:
        env["CONTENT_LENGTH"] = str(length)
    for header, name in (("content-encoding", "HTTP_CONTENT_ENCODING"), ("git-protocol", "GIT_PROTOCOL")):
        if value := request.headers.get(header):
            env[name] = value
    return env


async def _backend(
    request: Request,
    state: _State,
    root: Path,
    path_info: str,
    query: str,
    body: IO[bytes] | None,
    fix_head: tuple[RepoStore, Path] | None,
) -> Response:
    """Run ``git http-backend`` and stream its answer."""
    assert state.backends is not None
    length = None
    if body is not None:
        length = body.seek(0, 2)
        body.seek(0)
    env = _environment(request, root, path_info, query, length)
    await state.backends.acquire()
    try:
        proc = await asyncio.create_subprocess_exec(
            "git",
            "http-backend",
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=env,
        )
    except BaseException:
        state.backends.release()
        if body is not None:
            body.close()
        raise
    assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
    feeder = asyncio.ensure_future(_feed(proc.stdin, body))
    errors = asyncio.ensure_future(proc.stderr.read(CHUNK))
    status, headers = await _cgi_head(proc.stdout)

    async def stream() -> AsyncIterator[bytes]:
        try:
            while data := await proc.stdout.read(CHUNK):  # type: ignore[union-attr]
                yield data
            code = await proc.wait()
            if code != 0:
                text = (await errors).decode(errors="replace").strip()
                log.warning("git http-backend %s exited %d: %s", path_info, code, text)
            if fix_head is not None:
                with contextlib.suppress(GoshfileError):
                    await run_in_threadpool(fix_head[0].fix_head, fix_head[1])
        finally:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()
            feeder.cancel()
            errors.cancel()
            if body is not None:
                body.close()
            state.backends.release()  # type: ignore[union-attr]

    return StreamingResponse(stream(), status_code=status, headers=headers)


async def _feed(sink: asyncio.StreamWriter, body: IO[bytes] | None) -> None:
    try:
        while body is not None and (data := await run_in_threadpool(body.read, CHUNK)):
            sink.write(data)
            await sink.drain()
    except (ConnectionError, OSError):
        pass  # the backend stopped reading: its answer says why
    finally:
        with contextlib.suppress(ConnectionError, OSError):
            sink.close()


async def _cgi_head(out: asyncio.StreamReader) -> tuple[int, dict[str, str]]:
    """The status and headers of the CGI output."""
    status, headers = 200, dict[str, str]()
    while True:
        line = await out.readline()
        if line in (b"\r\n", b"\n", b""):
            return status, headers
        name, _, value = line.decode("latin-1").partition(":")
        if name.strip().lower() == "status":
            code = value.strip().partition(" ")[0]
            status = int(code) if code.isdigit() and len(code) == 3 else 502
        elif name.strip():
            headers[name.strip()] = value.strip()


async def _buffered(response: Response) -> Response:
    """A streamed response read to its end (its source is about to be removed)."""
    assert isinstance(response, StreamingResponse)
    data = b"".join([bytes(chunk) async for chunk in response.body_iterator])  # type: ignore[arg-type]
    headers = {k: v for k, v in response.headers.items() if k.lower() != "content-length"}
    return Response(data, status_code=response.status_code, headers=headers)


class GitHttpServer(AppServer):
    """The git app alone (mounted at ``/git``) on 127.0.0.1, for tests and ad-hoc use."""

    def __init__(self, node_path: Path, port: int = 0, *, token: str | None = None) -> None:
        self.node_path = node_path
        app = Starlette(routes=[Mount("/git", create_app(node_path, token=token))],
                        exception_handlers={HTTPException: http_exception_response})  # fmt: skip
        super().__init__(app, "127.0.0.1", port)


@contextlib.contextmanager
def serving(node_path: Path, *, token: str | None = None) -> Iterator[GitHttpServer]:
    """A :class:`GitHttpServer` on a free port in a background thread for the duration of the block."""
    if shutil.which("git") is None:
        raise GoshfileError("git is not installed")
    with in_background(GitHttpServer(node_path, token=token)) as server:
        yield server

"""``git-remote-gosh``: the git remote helper for gosh:// URLs.

git runs ``git-remote-gosh <remote> <url>`` for ``gosh://…`` URLs (and for
``gosh::<address>``, passing only ``<address>``; the helper reads that as
``gosh::<address>``, as GOSH's helper did). The node comes from
:func:`goshfile.gosh.network.resolve_node`.

- A local node: the helper offers the ``connect`` capability and runs
  ``git upload-pack`` / ``git receive-pack`` on the stored bare repository
  over its own stdin/stdout. The first push creates the repository.
- An HTTP node: the helper becomes git's own ``git remote-http(s)`` for the
  node's smart-HTTP URL of the repository.

git does all object transfer and checking; this module only finds the repository.
"""

from __future__ import annotations

import os
import subprocess
import sys

from goshfile.endpoints import HttpNode, LocalNode
from goshfile.errors import GoshfileError, InputError
from goshfile.gitcmd import clean_env
from goshfile.gosh.network import resolve_node
from goshfile.gosh.store import RepoStore
from goshfile.gosh.url import SCHEME, GoshUrl

PROG = "git-remote-gosh"
SERVICES = ("git-upload-pack", "git-receive-pack")


def url_from_git(address: str) -> GoshUrl:
    """The gosh URL for the address git hands the helper (``gosh://…``, ``gosh::…`` or ``<network>://…``)."""
    if address.startswith((f"{SCHEME}://", f"{SCHEME}::")):
        url = GoshUrl.parse(address)
    else:
        url = GoshUrl.parse(f"{SCHEME}::{address}")
    if url.ref or url.subdir:
        raise InputError(f"{address}: git remotes take no #ref:subdir suffix; name the branch in the git command")
    return url


def _read_line() -> str | None:
    """One command line from git, read byte by byte so nothing meant for a child is consumed."""
    data = bytearray()
    while True:
        byte = os.read(0, 1)
        if not byte:
            return data.decode() if data else None
        if byte == b"\n":
            return data.decode()
        data += byte


def _write(text: str) -> None:
    data = text.encode()
    while data:
        data = data[os.write(1, data) :]


def _fail(message: str) -> int:
    sys.stderr.write(f"{PROG}: error: {' '.join(message.split())}\n")
    sys.stderr.flush()
    return 1


def _serve_local(url: GoshUrl, node: LocalNode) -> int:
    store = RepoStore(node.path)
    path = store.path_for(url)
    while True:
        line = _read_line()
        if line is None or line == "":
            return 0
        if line == "capabilities":
            _write("connect\n\n")
            continue
        command, _, service = line.partition(" ")
        if command != "connect" or service not in SERVICES:
            return _fail(f"unsupported command from git: {line!r}")
        if service == "git-upload-pack":
            if not store.exists(path):
                return _fail(f"repository {url} does not exist on the {node} (expected {path}); push to create it")
            _write("\n")
            os.execvpe("git", ["git", "upload-pack", str(path)], clean_env())
        path = store.create(url.system, url.dao, url.repo)
        _write("\n")
        code = subprocess.run(["git", "receive-pack", str(path)], env=clean_env(), check=False).returncode
        if code == 0:
            store.fix_head(path)
        return code


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``git-remote-gosh`` console script."""
    args = sys.argv[1:] if argv is None else argv
    if not args or len(args) > 2:
        return _fail(f"usage: {PROG} <remote> [<url>] (git runs this for gosh:// URLs)")
    remote, address = args[0], args[-1]
    try:
        url = url_from_git(address)
        node = resolve_node(url)
        if isinstance(node, HttpNode):
            transport = "remote-https" if node.base.lower().startswith("https:") else "remote-http"
            os.execvp("git", ["git", transport, remote, node.git_url(url)])
        return _serve_local(url, node)
    except GoshfileError as exc:
        return _fail(str(exc))
    except OSError as exc:
        return _fail(f"{exc.strerror or exc}")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

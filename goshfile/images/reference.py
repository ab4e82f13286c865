"""Docker image references: parse, normalize (``bash`` -> ``docker.io/library/bash:latest``), pin by digest."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from goshfile.errors import InputError

_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_LABEL = r"[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?"
_DOMAIN = rf"(?:{_LABEL}(?:\.{_LABEL})*(?::[0-9]+)?|\[[0-9a-fA-F:]+\](?::[0-9]+)?)"
_NAME = re.compile(rf"^(?:(?P<domain>{_DOMAIN})/)?(?P<path>{_COMPONENT}(?:/{_COMPONENT})*)$")
_TAG = re.compile(r"^[\w][\w.-]{0,127}$")
DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")
DEFAULT_DOMAIN = "docker.io"
LEGACY_DOMAIN = "index.docker.io"  # Docker Hub's old name, normalized to DEFAULT_DOMAIN as Docker does


@dataclass(frozen=True)
class Reference:
    """A normalized image reference."""

    domain: str
    path: str
    tag: str | None = None
    digest: str | None = None

    @property
    def name(self) -> str:
        """``domain/path`` without tag or digest."""
        return f"{self.domain}/{self.path}"

    def __str__(self) -> str:
        out = self.name
        if self.tag:
            out += f":{self.tag}"
        if self.digest:
            out += f"@{self.digest}"
        return out

    def familiar(self) -> str:
        """The short form users write (``bash:latest``, ``localhost:5000/x:1``)."""
        name = self.path.removeprefix("library/") if self.domain == DEFAULT_DOMAIN else self.name
        out = name + (f":{self.tag}" if self.tag else "")
        return out + (f"@{self.digest}" if self.digest else "")

    def pinned(self, digest: str) -> Reference:
        """The same reference pinned to ``digest`` (the tag is kept for readability)."""
        if not DIGEST.match(digest):
            raise InputError(f"not an image digest: {digest!r}")
        return replace(self, digest=digest)


_HEX64 = re.compile(r"[0-9a-fA-F]{64}")


def parse(ref: str) -> Reference:
    """Parse and normalize ``ref`` as Docker does; raise :class:`InputError` when it is malformed."""
    text = ref.strip()
    digest = None
    if "@" in text:
        text, digest = text.split("@", 1)
        if not DIGEST.match(digest):
            raise InputError(f"image reference {ref!r}: digest must be sha256:<64 lowercase hex>")
    tag = None
    slash, colon = text.rfind("/"), text.rfind(":")
    if colon > slash:
        text, tag = text[:colon], text[colon + 1 :]
        if not _TAG.match(tag):
            raise InputError(f"image reference {ref!r}: invalid tag {tag!r}")
    if _HEX64.fullmatch(text):  # Docker's rule: such a name is an image id (or a secret key typed here)
        raise InputError(
            "an image reference cannot be 64 hex characters (value not shown): use a name, or name@sha256:…"
        )
    match = _NAME.match(text)
    if not match:
        raise InputError(f"image reference {ref!r} is not a valid image name")
    domain, path = match.group("domain"), match.group("path")
    if (
        domain is not None
        and "." not in domain
        and ":" not in domain
        and domain != "localhost"
        and domain.lower() == domain
    ):
        # "user/repo": the first component is a path, not a registry (Docker's rule)
        domain, path = None, f"{domain}/{path}"
    if domain is None or domain == LEGACY_DOMAIN:
        domain = DEFAULT_DOMAIN
    if domain == DEFAULT_DOMAIN and "/" not in path:
        path = f"library/{path}"
    if domain.lower() != domain and not domain.startswith("["):
        raise InputError(f"image reference {ref!r}: registry names are lowercase")
    if tag is None and digest is None:
        tag = "latest"
    return Reference(domain, path, tag, digest)

"""The frontend's job: read the goshfile, resolve the base image, convert, solve, return.

:func:`run` works against any :class:`~goshfile.frontend.gateway.Gateway`,
so it is tested with an in-memory fake; the frontend image calls it with the
gRPC gateway.
"""

from __future__ import annotations

import hashlib
import json
import traceback
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TextIO

from goshfile.errors import EngineError, GoshfileError, InputError, SpecError
from goshfile.frontend.convert import BaseImage, convert
from goshfile.frontend.gateway import UNKNOWN, Gateway
from goshfile.frontend.options import MAIN_CONTEXT, BuildOptions, parse_options, worker_platform
from goshfile.images import reference
from goshfile.llb import Platform, State, marshal, op_digest
from goshfile.spec import Loaded
from goshfile.spec.loader import load_bytes

CONFIG_KEY = "containerimage.config"
DOCKERFILE_LOCAL = "dockerfile"  # the local that holds the build definition file


class Frontend:
    """One build through a gateway."""

    def __init__(self, gateway: Gateway, options: BuildOptions, session_id: str, platform: Platform) -> None:
        self.gateway = gateway
        self.options = options
        self.session_id = session_id
        self.platform = platform
        self._contexts: dict[str, State | None] = {}
        self.definition_vertex = ""

    def read_goshfile(self) -> Loaded:
        """Fetch the goshfile from the client's ``dockerfile`` local and load it."""
        name = self.options.filename
        local = State.local(
            DOCKERFILE_LOCAL,
            session_id=self.session_id,
            shared_key_hint=name,
            follow_paths=[name],
            progress_name=f"[internal] load build definition from {name}",
        )
        definition = marshal(local.output)
        self.definition_vertex = op_digest(getattr(definition, "def")[0])
        ref = self.gateway.solve(definition)
        try:
            data = self.gateway.read_file(ref, name)
        except InputError:
            raise InputError(f"{name}: not found in the build definition folder (check -f)") from None
        loaded = load_bytes(data, name, self.options.build_args, allow_refs=True)
        for warning in loaded.warnings:
            self.gateway.warn(self.definition_vertex, warning)
        return loaded

    def resolve_base(self, loaded: Loaded) -> BaseImage:
        """Pin the base image by digest and fetch its config."""
        image = loaded.spec.image
        if image == "scratch":
            return BaseImage.scratch(self.platform)
        try:
            ref = reference.parse(image)
        except InputError as exc:
            raise SpecError([loaded.document.problem(("image",), str(exc))]) from None
        digest, config = self.gateway.resolve_image_config(
            str(ref), self.platform, self.options.image_resolve_mode, f"[internal] load metadata for {ref.familiar()}"
        )
        # An image that only exists in the engine's local store (docker import/load) may have
        # no manifest digest; it is then used by name, as the Dockerfile frontend does.
        pinned = ref if ref.digest or not reference.DIGEST.match(digest) else ref.pinned(digest)
        try:
            parsed = json.loads(config)
        except ValueError:
            raise EngineError(f"image {ref.familiar()}: config is not JSON") from None
        return BaseImage(str(pinned), parsed, "sha256:" + hashlib.sha256(config).hexdigest())

    def context(self, name: str) -> State | None:
        """The state of build context ``name`` (created on first use)."""
        if name not in self._contexts:
            self._contexts[name] = self._make_context(name)
        return self._contexts[name]

    def _make_context(self, name: str) -> State | None:
        if name == MAIN_CONTEXT and name not in self.options.contexts:
            return State.local(
                MAIN_CONTEXT,
                session_id=self.session_id,
                shared_key_hint=MAIN_CONTEXT,
                exclude_patterns=self._dockerignore(),
                progress_name="[internal] load build context",
            )
        value = self.options.contexts.get(name)
        if value is None:
            return None
        if value.startswith("local:"):
            local = value.removeprefix("local:")
            return State.local(
                local, session_id=self.session_id, shared_key_hint=local, progress_name=f"[context {name}] load"
            )
        if value.startswith("docker-image://"):
            ref = reference.parse(value.removeprefix("docker-image://"))
            return State.image(str(ref), platform=self.platform, name=f"[context {name}] {ref.familiar()}")
        raise InputError(
            f"build context {name}: {value.split(':', 1)[0]} contexts are not supported (use a folder or docker-image://)"
        )

    def _dockerignore(self) -> list[str]:
        probe = State.local(
            MAIN_CONTEXT,
            session_id=self.session_id,
            shared_key_hint=MAIN_CONTEXT,
            follow_paths=[".dockerignore"],
            progress_name="[internal] load .dockerignore",
        )
        ref = self.gateway.solve(marshal(probe.output))
        try:
            text = self.gateway.read_file(ref, ".dockerignore").decode("utf-8", "replace")
        except InputError:
            return []
        return [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]

    def build(self, created: datetime) -> tuple[str, dict[str, bytes]]:
        """Run the whole build; return the result ref and its metadata."""
        loaded = self.read_goshfile()
        base = self.resolve_base(loaded)
        result = convert(loaded, base, self.options, self.context, self.platform, created)
        ref = self.gateway.solve(marshal(result.state.output))
        return ref, {CONFIG_KEY: result.config.render(created)}


def _created(options: BuildOptions) -> datetime:
    epoch = options.build_args.get("SOURCE_DATE_EPOCH")
    if epoch:
        try:
            return datetime.fromtimestamp(int(epoch), UTC)
        except ValueError:
            raise InputError("build arg SOURCE_DATE_EPOCH must be a whole number of seconds") from None
    return datetime.now(UTC)


def run(gateway: Gateway, opts: Mapping[str, str], env: Mapping[str, str], log: TextIO) -> int:
    """Build with ``opts`` and hand BuildKit the result or the error; return the exit status."""
    try:
        options = parse_options(opts)
        platform = options.platform or worker_platform(env.get("BUILDKIT_WORKERS")) or Platform("linux", "amd64")
        frontend = Frontend(gateway, options, env.get("BUILDKIT_SESSION_ID", ""), platform)
        ref, metadata = frontend.build(_created(options))
    except GoshfileError as exc:
        gateway.return_error(UNKNOWN, str(exc))
        return 0
    except Exception as exc:  # report, never crash without telling BuildKit
        traceback.print_exc(file=log)
        gateway.return_error(UNKNOWN, f"goshfile frontend internal error: {type(exc).__name__}: {exc}")
        return 1
    gateway.return_result(ref, metadata)
    return 0

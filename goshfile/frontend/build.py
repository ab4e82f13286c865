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
from goshfile.frontend.convert import BaseImage, Conversion, convert
from goshfile.frontend.fit import fit
from goshfile.frontend.gateway import UNKNOWN, Detail, Gateway, SolveError
from goshfile.frontend.multiplatform import build_platforms, check_runnable, worker_platforms
from goshfile.frontend.options import MAIN_CONTEXT, BuildOptions, parse_options, worker_platform
from goshfile.frontend.sourcemap import SourceMap, error_source_detail, problem_span
from goshfile.images import reference
from goshfile.llb import Platform, State, marshal, op_digest
from goshfile.llb.vertex import SourceFile, Span
from goshfile.spec import Loaded, load_text
from goshfile.spec.document import decode_bytes

CONFIG_KEY = "containerimage.config"
DOCKERFILE_LOCAL = "dockerfile"  # the local that holds the build definition file


class Frontend:
    """One build through a gateway."""

    def __init__(
        self,
        gateway: Gateway,
        options: BuildOptions,
        session_id: str,
        platform: Platform,
        runnable: list[Platform] | None = None,
    ) -> None:
        self.gateway = gateway
        self.options = options
        self.session_id = session_id
        self.platform = platform
        self.runnable = runnable or []  # the platforms the engine's worker can run programs of
        self._contexts: dict[str, State | None] = {}
        self.definition_vertex = ""
        self.data = b""  # the goshfile's bytes, once read
        self.source_map: SourceMap | None = None
        self.worker_platform: Platform | None = None  # the engine's own platform, where the secrets probe runs

    def read_definition(self) -> str:
        """Fetch the goshfile's text from the client's ``dockerfile`` local."""
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
        text = decode_bytes(data, name)  # bounded; bytes that are not UTF-8: a SpecError with their position
        self.data = data
        return text

    def read_goshfile(self) -> Loaded:
        """Fetch the goshfile and load it (with the build args given)."""
        text = self.read_definition()
        loaded = load_text(text, self.options.filename, self.options.build_args, allow_refs=True)
        self.source_map = SourceMap(loaded.document, self.data)
        for warning in loaded.warnings:
            self.gateway.warn(self.definition_vertex, warning)
        return loaded

    def subrequest(self, request: str) -> dict[str, bytes]:
        """Answer a subrequest; nothing but the goshfile is read and no step runs."""
        from goshfile.frontend import subrequests  # only here: a build's start-up never loads it

        if request == subrequests.DESCRIBE:
            return subrequests.describe()
        if request == subrequests.LINT:
            text = self.read_definition()
            given = {k: v for k, v in self.options.build_args.items()}
            return subrequests.lint(text, self.options.filename, self.data, given or None)
        if request in (subrequests.OUTLINE, subrequests.TARGETS):
            text = self.read_definition()
            loaded = load_text(text, self.options.filename, None, allow_refs=True)
            self.source_map = SourceMap(loaded.document, self.data)
            if request == subrequests.TARGETS:
                return subrequests.targets(loaded, self.source_map)
            return subrequests.outline(loaded, self.source_map, self.options.target)
        raise UnsupportedRequest(request)

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
        from goshfile import dockerignore  # only a build that reads its context

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
        return dockerignore.parse(text)

    def build(self, created: datetime | None) -> tuple[str, dict[str, bytes]]:
        """Run the whole build (up to ``--target``); return the result ref and its metadata."""
        loaded = self.read_goshfile()
        check_runnable(loaded, [self.platform], self.runnable)
        base = self.resolve_base(loaded)
        result = convert(loaded, base, self.options, self.context, self.platform, created, self.source_map)
        definition = fit(marshal(result.state.output), loaded.document, len(loaded.spec.steps))
        self.check_needs(result)
        ref = self.gateway.solve(definition)
        return ref, {CONFIG_KEY: result.config.render(created)}

    def check_needs(self, result: Conversion) -> None:
        """Fail before any step runs when a required secret or ssh agent was not given."""
        if not result.needs:
            return
        from goshfile.frontend import probe  # only a build with secrets or ssh

        needs = {(n.kind, n.id): n.step for n in result.needs}
        state = probe.probe_state(list(needs), self.platform)
        if state is None and self.worker_platform is not None:  # a target platform the probe has no program for
            state = probe.probe_state(list(needs), self.worker_platform)
        if state is None:
            return
        try:
            self.gateway.solve(marshal(state.output), evaluate=True)
        except SolveError as exc:
            key = probe.missing(exc.message, list(needs))
            if key is None:
                raise
            need = next((n for n in result.needs if (n.kind, n.id) == key), result.needs[0])
            message = probe.missing_message(need.kind, need.id, need.step)
            raise MissingSecret(message, need.location.spans if need.location else ()) from None


SUBREQUEST_TYPE_URL = "github.com/moby/buildkit/errdefs.Subrequest+json"  # BuildKit's UnsupportedSubrequestError


class UnsupportedRequest(InputError):
    """A subrequest this frontend does not answer (buildx then falls back or says so)."""

    def __init__(self, request: str) -> None:
        super().__init__(f"unsupported request {request}")
        self.request = request


class MissingSecret(InputError):
    """A required secret or ssh agent was not given; located at the step that needs it."""

    def __init__(self, message: str, spans: tuple[Span, ...]) -> None:
        super().__init__(message)
        self.spans = spans


def _created(options: BuildOptions) -> datetime | None:
    """The image's time: ``SOURCE_DATE_EPOCH``'s, else None (BuildKit's exporter sets it from the layers)."""
    epoch = options.build_args.get("SOURCE_DATE_EPOCH")
    if epoch:
        try:
            return datetime.fromtimestamp(int(epoch), UTC)
        except ValueError:
            raise InputError("build arg SOURCE_DATE_EPOCH must be a whole number of seconds") from None
    return None


def _error_details(frontend: Frontend | None, exc: GoshfileError) -> tuple[Detail, ...]:
    """Source details that make buildx print the goshfile's lines under the error."""
    if isinstance(exc, UnsupportedRequest):
        return ((SUBREQUEST_TYPE_URL, json.dumps({"name": exc.request}).encode()),)
    if frontend is None or not frontend.data:
        return ()
    file = SourceFile(frontend.options.filename, frontend.data, "goshfile")
    if isinstance(exc, SpecError):
        return tuple(error_source_detail(file, [problem_span(p)]) for p in exc.problems[:5])
    if isinstance(exc, MissingSecret) and exc.spans:
        return (error_source_detail(file, exc.spans),)
    return ()


def run(gateway: Gateway, opts: Mapping[str, str], env: Mapping[str, str], log: TextIO) -> int:
    """Build with ``opts`` (or answer a subrequest), hand BuildKit the result or the error; return the exit status."""
    frontend: Frontend | None = None
    try:
        options = parse_options(opts)
        runnable = worker_platforms(env.get("BUILDKIT_WORKERS"))
        platform = (
            options.platform
            or worker_platform(env.get("BUILDKIT_WORKERS"))
            or (runnable[0] if runnable else None)
            or Platform("linux", "amd64")
        )
        session = env.get("BUILDKIT_SESSION_ID", "")

        def make(target: Platform) -> Frontend:
            made = Frontend(gateway, options, session, target, runnable)
            made.worker_platform = worker_platform(env.get("BUILDKIT_WORKERS")) or (runnable[0] if runnable else None)
            return made

        frontend = make(platform)
        if options.request is not None:
            gateway.return_result(None, frontend.subrequest(options.request))
            return 0
        if len(options.platforms) > 1:
            # every platform is checked before any is built
            check_runnable(frontend.read_goshfile(), options.platforms, runnable)
            multi = build_platforms(make, options.platforms, _created(options))
            gateway.return_refs(multi.refs, multi.metadata)
            return 0
        ref, metadata = frontend.build(_created(options))
    except SolveError as exc:
        gateway.return_error(exc.code, exc.message, exc.details)
        return 0
    except GoshfileError as exc:
        gateway.return_error(UNKNOWN, str(exc), _error_details(frontend, exc))
        return 0
    except Exception as exc:  # report, never crash without telling BuildKit
        traceback.print_exc(file=log)
        gateway.return_error(UNKNOWN, f"goshfile frontend internal error: {type(exc).__name__}: {exc}")
        return 1
    gateway.return_result(ref, metadata)
    return 0

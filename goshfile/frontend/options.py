"""The options BuildKit hands a frontend, parsed into :class:`BuildOptions`.

BuildKit passes them as ``BUILDKIT_FRONTEND_OPT_<n>=key=value`` environment
variables in no particular order; ``docker buildx build`` turns ``--label``,
``--build-arg``, ``--build-context``, ``--no-cache``, ``--platform``, ``--target``,
``-f`` and ``--print``/``--call`` into ``label:K``, ``build-arg:K``, ``context:NAME``,
``no-cache``, ``platform``, ``target``, ``filename`` and ``requestid``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from goshfile import labels
from goshfile.errors import InputError
from goshfile.llb.vertex import Platform
from goshfile.secrets import REFUSAL, looks_secret
from goshfile.spec.pins import PIN_PREFIX

OPT_PREFIX = "BUILDKIT_FRONTEND_OPT_"
DEFAULT_FILENAME = "goshfile.yaml"
MAIN_CONTEXT = "context"  # the client's build context
WALLET_LABEL = labels.WALLET_PUBLIC
_HEX_KEY = re.compile(r"^(0x)?[0-9a-fA-F]{64}$")


@dataclass(frozen=True)
class BuildOptions:
    """What the build was asked to do, independent of how the options arrived."""

    filename: str = DEFAULT_FILENAME
    build_args: dict[str, str] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)
    contexts: dict[str, str] = field(default_factory=dict)
    no_cache: frozenset[str] | None = None  # None: use the cache; empty: ignore it for every step
    platform: Platform | None = None
    image_resolve_mode: str = "default"
    pins: dict[str, str] = field(default_factory=dict)  # gosh-pin:<url>#<ref> -> commit
    target: str | None = None  # --target STEP: build the image as it is after that step
    request: str | None = None  # a subrequest (frontend.outline, ...): answer it, run no step

    def ignores_cache(self, step_name: str) -> bool:
        """Whether ``--no-cache`` (all steps, or the named ones) applies to a step."""
        return self.no_cache is not None and (not self.no_cache or step_name in self.no_cache)


def opts_from_environ(environ: Mapping[str, str]) -> dict[str, str]:
    """Collect ``BUILDKIT_FRONTEND_OPT_<n>=key=value`` variables into a dict."""
    opts: dict[str, str] = {}
    for name in sorted(environ):
        if name.startswith(OPT_PREFIX):
            key, _, value = environ[name].partition("=")
            opts[key] = value
    return opts


def _refuse_secrets(opts: Mapping[str, str]) -> None:
    for key in opts:
        name = key.split(":", 1)[1] if key.startswith(("build-arg:", "label:")) else key
        if looks_secret(name):
            kind = "build arg" if key.startswith("build-arg:") else "label" if key.startswith("label:") else "opt"
            raise InputError(f"{kind} {name} {REFUSAL}")


def _wallet_public(opts: Mapping[str, str], labels: dict[str, str]) -> None:
    given = {v for k, v in opts.items() if k in ("wallet_public", "build-arg:wallet_public", "build-arg:WALLET_PUBLIC")}
    if len(given) > 1:
        raise InputError("wallet_public is given twice with different values")
    if given:
        key = given.pop()
        if not _HEX_KEY.match(key):
            raise InputError("wallet_public must be a 64-hex-character ed25519 public key")
        key = key.removeprefix("0x").lower()
        if labels.get(WALLET_LABEL, key) != key:
            raise InputError(f"the {WALLET_LABEL} label and the wallet_public opt disagree")
        labels[WALLET_LABEL] = key


def parse_options(opts: Mapping[str, str]) -> BuildOptions:
    """Turn raw frontend opts into :class:`BuildOptions`, refusing secret-looking names."""
    _refuse_secrets(opts)
    build_args = {k.removeprefix("build-arg:"): v for k, v in opts.items() if k.startswith("build-arg:")}
    labels = {k.removeprefix("label:"): v for k, v in opts.items() if k.startswith("label:")}
    contexts = {k.removeprefix("context:"): v for k, v in opts.items() if k.startswith("context:")}
    _wallet_public(opts, labels)
    no_cache = None
    if "no-cache" in opts:
        no_cache = frozenset(n.strip() for n in opts["no-cache"].split(",") if n.strip())
    platform = None
    if opts.get("platform"):
        platforms = [p for p in opts["platform"].split(",") if p.strip()]
        if not platforms:
            raise InputError(f"platform {opts['platform']!r} names no platform")
        if len(platforms) > 1:
            raise InputError("building several platforms at once is not supported; build one --platform at a time")
        try:
            platform = Platform.parse(platforms[0])
        except ValueError as exc:
            raise InputError(str(exc)) from None
    mode = opts.get("image-resolve-mode") or "default"
    if mode not in ("default", "pull", "local"):
        raise InputError(f"image-resolve-mode must be default, pull or local, not {mode!r}")
    return BuildOptions(
        filename=opts.get("filename") or opts.get("dockerfilekey") or DEFAULT_FILENAME,
        build_args=build_args,
        labels=labels,
        contexts=contexts,
        no_cache=no_cache,
        platform=platform,
        image_resolve_mode=mode,
        pins={k: v for k, v in build_args.items() if k.startswith(PIN_PREFIX)},
        target=opts.get("target") or None,
        request=opts.get("requestid") or None,
    )


def worker_platform(workers_json: str | None) -> Platform | None:
    """The first platform of the first worker in ``BUILDKIT_WORKERS`` (JSON), if any."""
    if not workers_json:
        return None
    try:
        workers = json.loads(workers_json)
        first = workers[0]["Platforms"][0]
        return Platform(first["OS"], first["Architecture"], first.get("Variant", ""))
    except (ValueError, LookupError, TypeError):
        return None

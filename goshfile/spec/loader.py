"""Load a goshfile in fixed steps: strict decode, validate (collecting every
problem with its position), then substitute build args and fill defaults.

>>> loaded = load_text(text, "goshfile.yaml", build_args={"VERSION": "1.2"})
>>> loaded.spec.steps[0].name

Whatever text or bytes are given, loading ends with a :class:`Loaded` or a
:class:`SpecError` whose problems carry positions, within the bounds of
:mod:`goshfile.spec.limits`. ``goshfile lint`` and the build load through the
same functions, so they make the same checks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from goshfile.errors import Problem, SpecError
from goshfile.files import read_small_file
from goshfile.secrets import REFUSAL, looks_secret
from goshfile.spec import limits
from goshfile.spec.checks import check_values
from goshfile.spec.document import Document, Path, decode, decode_bytes
from goshfile.spec.gcpause import collector_paused
from goshfile.spec.model import GOSHFILE, Goshfile, GoshMount
from goshfile.spec.shapes import Failure
from goshfile.spec.sources import uses

if TYPE_CHECKING:  # the frontend loads text: it need not load pathlib
    from pathlib import Path as FilePath

_REF = re.compile(r"\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)\}")

# Build args that BuildKit clients pass on their own, or that goshfile reads itself.
_IMPLICIT_ARGS = re.compile(
    r"^(BUILDKIT_.*|SOURCE_DATE_EPOCH|wallet_public|WALLET_PUBLIC|gosh-pin:.*|"
    r"(HTTP|HTTPS|FTP|NO|ALL)_PROXY|(http|https|ftp|no|all)_proxy)$"
)


@dataclass(frozen=True)
class Loaded:
    """A valid goshfile and the warnings found while loading it."""

    spec: Goshfile
    document: Document
    warnings: list[str] = field(default_factory=list)


# Maps whose keys are the user's own names (an x- label is a label, not an extension).
_FREE_FORM = frozenset({"env", "labels", "args", "sources"})


def _strip_extensions(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            k: (v if k in _FREE_FORM and isinstance(v, dict) and k != "sources" else _strip_extensions(v))
            for k, v in value.items()
            if not k.startswith("x-")
        }
    if isinstance(value, list):
        return [_strip_extensions(v) for v in value]
    return value


def _substitute(value: Any, args: dict[str, str]) -> Any:
    if isinstance(value, str):
        return _REF.sub(lambda m: "${" if m.group(1) is None else args.get(m.group(1), m.group(0)), value)
    if isinstance(value, dict):
        return {k: _substitute(v, args) for k, v in value.items()}
    if isinstance(value, list):
        return [_substitute(v, args) for v in value]
    return value


def _validation_problems(doc: Document, failures: list[Failure]) -> list[Problem]:
    seen: dict[str, Problem] = {}
    for failure in failures:
        problem = doc.problem(failure.path, failure.message, at_key=failure.at_key)
        key = problem.path
        if key in seen and seen[key].message != problem.message:
            # a value that fits no member of a union: say what would fit
            merged = f"{seen[key].message}, or {problem.message.removeprefix('must be ')}"
            seen[key] = Problem(problem.file, problem.line, problem.column, problem.path, merged)
        else:
            seen.setdefault(key, problem)
    # A union member that failed deeper explains more than one that failed at the top:
    # drop a problem when another one lies inside it.
    paths = list(seen)
    return [
        p
        for k, p in seen.items()
        if not any(o != k and (o.startswith(k + "[") or o.startswith(k + ".")) for o in paths)
    ]


def _check_semantics(doc: Document, data: dict[str, Any], problems: list[Problem]) -> None:
    """Checks across fields, on the raw data so that they run even when the structure has errors."""
    raw_steps = data.get("steps")
    steps: list[Any] = raw_steps if isinstance(raw_steps, list) else []
    all_names = [s.get("name") if isinstance(s, dict) else None for s in steps]
    names: dict[str, int] = {}
    for i, step in enumerate(steps):
        if not isinstance(step, dict):
            continue
        name = step.get("name")
        if isinstance(name, str) and name in names:
            problems.append(doc.problem(("steps", i, "name"), f"duplicate step name (also steps[{names[name]}])"))
        refs: list[tuple[Path, Any]] = []
        if isinstance(step.get("copy"), dict):
            refs.append((("steps", i, "copy", "from"), step["copy"].get("from")))
        run = step.get("run")
        if isinstance(run, dict) and isinstance(run.get("mounts"), list):
            for j, mount in enumerate(run["mounts"]):
                if isinstance(mount, dict):
                    refs.append((("steps", i, "run", "mounts", j, "from"), mount.get("from")))
        for path, ref in refs:
            if not isinstance(ref, str):
                continue
            if ref == name:
                problems.append(doc.problem(path, "a step cannot use its own result"))
            elif ref not in names and ref in all_names[i + 1 :]:  # earlier names first: no copy of the rest
                problems.append(doc.problem(path, f"step {ref!r} comes later; only earlier steps can be used"))
        if isinstance(name, str):
            names.setdefault(name, i)
    maps: list[tuple[Path, Any]] = [((section,), data.get(section)) for section in ("args", "env", "labels")]
    for i, step in enumerate(steps):
        if isinstance(step, dict) and isinstance(step.get("run"), dict):
            maps.append((("steps", i, "run", "env"), step["run"].get("env")))
    for path, values in maps:
        if isinstance(values, dict):
            for key in values:
                if isinstance(key, str) and looks_secret(key):
                    problems.append(doc.problem((*path, key), f"{key} {REFUSAL}", at_key=True))


def _check_sources(doc: Document, spec: Goshfile, allow_refs: bool, problems: list[Problem]) -> None:
    """Gosh sources: named sources exist and do not clash with steps; revisions are commits unless refs are allowed."""
    step_names = {s.name for s in spec.steps}
    for name in spec.sources:
        if name in step_names:
            problems.append(doc.problem(("sources", name), "a source and a step cannot share a name", at_key=True))
    for i, step in enumerate(spec.steps):
        if step.run is None:
            continue
        for j, mount in enumerate(step.run.mounts):
            if isinstance(mount, GoshMount) and mount.source is not None and mount.source not in spec.sources:
                path = ("steps", i, "run", "mounts", j, "source")
                problems.append(doc.problem(path, f"no source named {mount.source!r} in 'sources'"))
    if not allow_refs:
        for use in uses(spec):
            if not use.pinned:
                problems.append(
                    doc.problem(
                        use.path,
                        f"{use.revision!r} is not a full commit id (40 hex); pin a commit, "
                        "or let goshfile build resolve a branch or tag with --allow-ref",
                    )
                )


def load_document(doc: Document, build_args: dict[str, str] | None = None, allow_refs: bool = False) -> Loaded:
    """Validate a decoded document; substitute ``build_args`` unless it is None (lint).

    Gosh sources must be pinned by commit unless ``allow_refs``.
    """
    data = _strip_extensions(doc.data)
    problems: list[Problem] = []
    warnings: list[str] = []
    if not isinstance(data, dict):
        raise SpecError([doc.problem((), "a goshfile must be a mapping of fields")])
    raw_args = data.get("args")
    declared: dict[Any, Any] = raw_args if isinstance(raw_args, dict) else {}
    if build_args is not None:
        values: dict[str, str] = {}
        for name, default in declared.items():
            if name in build_args:
                values[name] = build_args[name]
            elif isinstance(default, str):
                values[name] = default
            elif default is None:
                problems.append(
                    doc.problem(
                        ("args", name),
                        f"build arg {name} has no default; give it with --build-arg {name}=...",
                        at_key=True,
                    )
                )
        unused = sorted(n for n in build_args if n not in declared and not _IMPLICIT_ARGS.match(n))
        if unused:
            warnings.append(f"build args not declared in {doc.filename} 'args' were ignored: {', '.join(unused)}")
        data = {k: (_substitute(v, values) if k != "args" else v) for k, v in data.items()}
    _check_semantics(doc, data, problems)
    failures: list[Failure] = []
    spec: Goshfile = GOSHFILE.check(data, (), failures)
    if failures:
        raise SpecError(problems + _validation_problems(doc, failures))
    _check_sources(doc, spec, allow_refs, problems)
    check_values(doc, spec, problems)
    if problems:
        raise SpecError(problems)
    return Loaded(spec, doc, warnings)


def load_text(text: str, filename: str, build_args: dict[str, str] | None = None, allow_refs: bool = False) -> Loaded:
    """Decode and validate goshfile ``text``; ``filename`` is used in messages."""
    with collector_paused():  # see goshfile.spec.gcpause: linear cost for large files
        return load_document(decode(text, filename), build_args, allow_refs)


def load_bytes(
    data: bytes, filename: str, build_args: dict[str, str] | None = None, allow_refs: bool = False
) -> Loaded:
    """Decode (UTF-8, bounded) and validate goshfile ``data``; see :func:`load_text`."""
    return load_text(decode_bytes(data, filename), filename, build_args, allow_refs)


def read_goshfile(path: FilePath, filename: str | None = None) -> str:
    """The text of the goshfile at ``path``: a regular file of at most :data:`limits.MAX_FILE_BYTES`, UTF-8.

    InputError names a folder, device, FIFO or a file too large; SpecError points at bytes that are not UTF-8.
    """
    data, _ = read_small_file(path, limit=limits.MAX_FILE_BYTES, what="")
    return decode_bytes(data, filename or str(path))

"""BuildKit subrequests: describe, outline, targets and lint, answered without running a step.

buildx asks them with the ``requestid`` opt (``--print=outline|targets|lint`` on
buildx 0.13, ``--call outline|targets|check`` and ``--check`` on 0.15+) and prints
the result metadata: ``result.json`` (the shapes of BuildKit's
``frontend/subrequests`` packages, which buildx parses and prints itself),
``result.txt`` (the text of a version it does not know) and, for lint,
``result.statuscode`` (non-zero fails ``--check``).
"""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from goshfile.errors import GoshfileError, Problem, SpecError
from goshfile.frontend.convert import BaseImage, convert
from goshfile.frontend.fit import MAX_DEFINITION, too_large
from goshfile.frontend.options import BuildOptions
from goshfile.frontend.sourcemap import SourceMap, location_json, problem_span, source_info_json
from goshfile.images import reference
from goshfile.llb import Platform, State, marshal
from goshfile.llb.vertex import SourceFile
from goshfile.spec.document import decode
from goshfile.spec.loader import Loaded, load_document
from goshfile.spec.model import CacheMount, SecretMount, SshMount, Step
from goshfile.spec.sources import uses

DESCRIBE = "frontend.subrequests.describe"
OUTLINE = "frontend.outline"
TARGETS = "frontend.targets"
LINT = "frontend.lint"
VERSION = "1.0.0"
LANGUAGE = "goshfile"


def _definition(name: str, description: str, metadata: list[str], opts: list[tuple[str, str]]) -> dict[str, Any]:
    return {
        "name": name,
        "version": VERSION,
        "type": "rpc",
        "description": description,
        "opts": [{"name": n, "description": d} for n, d in opts],
        "inputs": None,
        "metadata": [{"name": m, "description": ""} for m in metadata],
        "refs": None,
    }


DEFINITIONS = [
    _definition(
        OUTLINE,
        "List all parameters current build target supports",
        ["result.json", "result.txt"],
        [("target", "Target build step")],
    ),
    _definition(TARGETS, "List all targets current build supports", ["result.json", "result.txt"], []),
    _definition(LINT, "Lint a goshfile", ["result.json", "result.txt", "result.statuscode"], []),
    _definition(DESCRIBE, "List available subrequest types", ["result.json", "result.txt"], []),
]


def _table(header: list[str], rows: list[list[str]], padding: int) -> str:
    """Columns as Go's tabwriter aligns them (minwidth 0, padding, blanks)."""
    widths = [max(len(r[c]) for r in [header, *rows]) for c in range(len(header) - 1)]
    out = []
    for row in [header, *rows]:
        cells = [cell + " " * (widths[c] - len(cell) + padding) for c, cell in enumerate(row[:-1])]
        out.append("".join(cells) + row[-1])
    return "\n".join(out) + "\n"


def _result(payload: Any, text: str, **extra: bytes) -> dict[str, bytes]:
    return {
        "result.json": json.dumps(payload, indent=2).encode(),
        "result.txt": text.encode(),
        "version": VERSION.encode(),
        **extra,
    }


def describe() -> dict[str, bytes]:
    """The subrequests this frontend answers."""
    rows = [[d["name"].removeprefix("frontend."), d["version"], d["description"]] for d in DEFINITIONS]
    return _result(DEFINITIONS, _table(["NAME", "VERSION", "DESCRIPTION"], rows, 1))


@dataclass(frozen=True)
class _Ids:
    name: str
    required: bool
    location: dict[str, Any]


def _mounts(smap: SourceMap, kind: type[Any], steps: list[Step]) -> list[_Ids]:
    found: dict[str, _Ids] = {}
    for i, step in enumerate(steps):
        if step.run is None:
            continue
        for j, mount in enumerate(step.run.mounts):
            if isinstance(mount, kind):
                known = found.get(mount.id)
                required = mount.required or (known is not None and known.required)
                location = known.location if known else location_json([smap.line(("steps", i, "run", "mounts", j))])
                found[mount.id] = _Ids(mount.id, required, location)
    return list(found.values())


def outline(loaded: Loaded, smap: SourceMap, target: str | None) -> dict[str, bytes]:
    """Build args, secrets, ssh ids, caches and gosh sources of the build (up to ``target``)."""
    spec = loaded.spec
    steps = _steps_until(spec.steps, target)
    args = []
    for name, default in spec.args.items():
        arg: dict[str, Any] = {"name": name}
        if default is None:
            arg["description"] = "required: give it with --build-arg " + name + "=..."
        else:
            arg["value"] = default
        arg["location"] = location_json([smap.line(("args", name), at_key=True)])
        args.append(arg)
    secrets = _mounts(smap, SecretMount, steps)
    ssh = _mounts(smap, SshMount, steps)
    caches = []
    for i, step in enumerate(steps):
        for j, mount in enumerate(step.run.mounts if step.run else []):
            if isinstance(mount, CacheMount):
                caches.append(
                    {
                        "ID": mount.id or mount.dst,
                        "location": location_json([smap.line(("steps", i, "run", "mounts", j))]),
                    }
                )
    gosh = []
    for use in uses(spec):
        entry: dict[str, Any] = {"url": use.url, "revision": use.revision}
        if use.subdir:
            entry["subdir"] = use.subdir
        entry["location"] = location_json([smap.line(use.path)])
        gosh.append(entry)
    payload: dict[str, Any] = {}
    if steps:
        payload["name"] = steps[-1].name  # the target, as the Dockerfile frontend names its default stage
    if gosh:
        payload["description"] = "gosh sources: " + ", ".join(f"{g['url']}@{g['revision']}" for g in gosh)
    if args:
        payload["args"] = args
    if secrets:
        payload["secrets"] = [_ids_json(s) for s in secrets]
    if ssh:
        payload["ssh"] = [_ids_json(s) for s in ssh]
    if caches:
        payload["cache"] = caches
    if gosh:
        payload["goshSources"] = gosh
    payload["sources"] = [_b64(smap.file)]
    return _result(payload, _outline_text(payload))


def _ids_json(ids: _Ids) -> dict[str, Any]:
    out: dict[str, Any] = {"name": ids.name}
    if ids.required:
        out["required"] = True
    out["location"] = ids.location
    return out


def _b64(file: SourceFile) -> str:
    return str(source_info_json(file)["data"])


def _outline_text(payload: dict[str, Any]) -> str:
    parts = []
    if payload.get("name") or payload.get("description"):
        head = [["TARGET:", payload.get("name") or "(default)"]]
        if payload.get("description"):
            head.append(["DESCRIPTION:", payload["description"]])
        parts.append(_table(head[0], head[1:], 1))
    if payload.get("args"):
        rows = [[a["name"], a.get("value", ""), a.get("description", "")] for a in payload["args"]]
        parts.append(_table(["BUILD ARG", "VALUE", "DESCRIPTION"], rows, 3))
    for key, title in (("secrets", "SECRET"), ("ssh", "SSH")):
        if payload.get(key):
            rows = [[s["name"], "true" if s.get("required") else ""] for s in payload[key]]
            parts.append(_table([title, "REQUIRED"], rows, 3))
    if payload.get("goshSources"):
        rows = [
            [g["url"] + (f":{g['subdir']}" if g.get("subdir") else ""), g["revision"]] for g in payload["goshSources"]
        ]
        parts.append(_table(["GOSH SOURCE", "COMMIT"], rows, 3))
    return "\n".join(parts) + ("\n" if parts else "")


def _describe_step(step: Step) -> str:
    if step.run is not None:
        return "run " + shlex.join([*step.run.command, *step.run.args])
    assert step.copy_ is not None
    origin = f" from {step.copy_.from_}" if step.copy_.from_ else ""
    return f"copy{origin} {' '.join(step.copy_.sources)} {step.copy_.dst}"


def _steps_until(steps: list[Step], target: str | None) -> list[Step]:
    if not target:
        return steps
    for i, step in enumerate(steps):
        if step.name == target:
            return steps[: i + 1]
    return steps


def targets(loaded: Loaded, smap: SourceMap) -> dict[str, bytes]:
    """Every step, the last one the default (``--target STEP`` builds up to a step)."""
    spec = loaded.spec
    items = []
    for i, step in enumerate(spec.steps):
        item: dict[str, Any] = {"name": step.name}
        if i == len(spec.steps) - 1:
            item["default"] = True
        item["description"] = _describe_step(step)
        item["base"] = spec.image if i == 0 else spec.steps[i - 1].name
        item["location"] = location_json([smap.step_span(i)])
        items.append(item)
    payload = {"targets": items, "sources": [_b64(smap.file)]}
    rows = []
    for item in items:
        name = f"{item['name']} (default)" if item.get("default") else item["name"]
        rows.append([name, item["description"]])
    return _result(payload, _table(["TARGET", "DESCRIPTION"], rows, 1))


def _rule(problem: Problem) -> tuple[str, str]:
    """A rule name and description for a spec problem, in BuildKit's CamelCase style."""
    text = problem.message
    for needle, rule, description in _RULES:
        if needle in text:
            return rule, description
    return "InvalidValue", "A field has a value goshfile does not accept."


_RULES = [
    ("unknown field", "UnknownField", "A key goshfile does not know (extension keys start with x-)."),
    ("duplicate key", "DuplicateKey", "A key is given twice in one mapping."),
    ("duplicate step name", "DuplicateStepName", "Step names must be unique."),
    ("required field", "MissingField", "A required field is missing."),
    ("is missing", "MissingField", "A required field is missing."),
    ("comes later", "StepOrder", "Only earlier steps can be used."),
    ("its own result", "StepOrder", "A step cannot use its own result."),
    ("secret", "SecretLookingName", "A name that looks like a secret would be stored in the image."),
    ("build arg", "BuildArg", "A problem with a build arg."),
    ("not a full commit", "UnpinnedSource", "Gosh sources must be pinned by commit."),
    ("invalid YAML", "InvalidYAML", "The file is not valid YAML."),
]


def lint(text: str, filename: str, data: bytes, build_args: dict[str, str] | None) -> dict[str, bytes]:
    """Every check of ``goshfile lint``, as BuildKit lint warnings with the goshfile's lines.

    A problem (what makes ``goshfile lint`` exit 1) sets ``result.statuscode`` to 1, so
    ``--check`` fails; advice (what ``goshfile lint`` prints as a warning and exits 0 on) is
    reported without failing.
    """
    file = SourceFile(filename, data, LANGUAGE)
    warnings: list[dict[str, Any]] = []
    failing = 0

    def add(rule: str, description: str, detail: str, line: int, column: int, *, fails: bool = True) -> None:
        nonlocal failing
        location = location_json([problem_span(Problem(filename, line, column, "", ""))])
        warnings.append({"ruleName": rule, "description": description, "detail": detail, "location": location})
        failing += fails

    build_error: dict[str, Any] | None = None
    try:
        document = decode(text, filename)
        loaded = load_document(document, build_args)
    except SpecError as exc:
        for p in exc.problems:
            rule, description = _rule(p)
            detail = f"{p.path}: {p.message}" if p.path else p.message
            if rule == "InvalidYAML":
                location = location_json([problem_span(p)])
                build_error = {"message": str(p), "location": location}
            else:
                add(rule, description, detail, p.line, p.column)
    else:
        line, column = document.positions.of_key(("args",)) if "args" in document.data else (1, 1)
        for message in loaded.warnings:
            description = "A build arg was given that the goshfile does not declare."
            add("UndeclaredBuildArg", description, message, line, column, fails=False)
        size = definition_size(loaded, build_args or {})
        # conservative by a tenth: the base image's environment, unknown here, is in every run step
        if size is not None and size > MAX_DEFINITION * 9 // 10:
            line, column = document.positions.of_key(("steps",))
            detail = too_large(size, len(loaded.spec.steps))
            add("DefinitionTooLarge", "The build definition is larger than BuildKit accepts.", detail, line, column)
        if build_args is None:
            for name, default in loaded.spec.args.items():
                if default is None:
                    line, column = document.positions.of_key(("args", name))
                    detail = f"build arg {name} has no default: a build needs --build-arg {name}=..."
                    add("RequiredBuildArg", "A build arg without a default.", detail, line, column, fails=False)
    payload: dict[str, Any] = {"warnings": warnings, "sources": [source_info_json(file)]}
    if build_error is not None:
        payload["buildError"] = build_error
    status = 1 if failing or build_error else 0
    return _result(payload, lint_text(payload, data), **{"result.statuscode": str(status).encode()})


def definition_size(loaded: Loaded, build_args: dict[str, str]) -> int | None:
    """The bytes of the goshfile's LLB without its source map (the base image's config unknown), or None."""
    image = loaded.spec.image
    platform = Platform("linux", "amd64")
    try:
        base = BaseImage.scratch(platform) if image == "scratch" else BaseImage(str(reference.parse(image)), {})
        options = BuildOptions(filename=loaded.document.filename, build_args=build_args)
        conversion = convert(loaded, base, options, lambda name: State.local(name), platform, _EPOCH)
    except GoshfileError:
        return None  # what the build would refuse for another reason is reported by the build
    return marshal(conversion.state.output).ByteSize()


_EPOCH = datetime.fromtimestamp(0, UTC)


def lint_text(payload: dict[str, Any], data: bytes) -> str:
    """The warnings the way buildx prints them: rule, detail, the goshfile's lines."""
    lines = data.decode("utf-8", "replace").split("\n")
    out = []
    for w in payload["warnings"]:
        span = w["location"]["ranges"][0]
        line = span["start"]["line"]
        out.append(f"WARNING: {w['ruleName']}\n{payload['sources'][0]['filename']}:{line}: {w['detail']}")
        out.append(_snippet(lines, line))
    if payload.get("buildError"):
        error = payload["buildError"]
        out.append(f"ERROR: {error['message']}")
        out.append(_snippet(lines, error["location"]["ranges"][0]["start"]["line"]))
    count = len(payload["warnings"])
    if count:
        out.append(f"Check complete, {count} warning{'s have' if count > 1 else ' has'} been found!")
    elif not payload.get("buildError"):
        out.append("Check complete, no warnings found.")
    return "\n".join(out) + "\n"


def _snippet(lines: list[str], line: int, around: int = 2) -> str:
    first, last = max(1, line - around), min(len(lines), line + around)
    rows = ["-" * 20]
    for n in range(first, last + 1):
        marker = ">>>" if n == line else "   "
        rows.append(f" {n:>3} | {marker} {lines[n - 1]}")
    rows.append("-" * 20)
    return "\n".join(rows)

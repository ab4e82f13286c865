"""Where each part of a goshfile is, as BuildKit source locations.

The goshfile travels in the LLB Definition as a source (``pb.SourceInfo``) and
every op points at the lines of its step, so BuildKit and buildx show those
lines when a step fails, as they do for a Dockerfile's instructions. The same
spans locate outline entries, targets and lint warnings.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable
from typing import Any

from goshfile.errors import Problem
from goshfile.llb.vertex import Location, SourceFile, Span
from goshfile.spec.document import Document, Path

LANGUAGE = "goshfile"
SOURCE_TYPE_URL = "github.com/moby/buildkit/errdefs.Source+json"  # as BuildKit registers errdefs.Source


class SourceMap:
    """The goshfile's text and the line spans of its steps."""

    def __init__(self, document: Document, data: bytes) -> None:
        self.document = document
        self.file = SourceFile(document.filename, data, LANGUAGE)
        self._lines = data.decode("utf-8", "replace").split("\n")
        self._step_ends: dict[int, int] = {}
        for positions in (document.positions.values, document.positions.keys):
            for path, (line, _) in positions.items():
                if len(path) >= 2 and path[0] == "steps" and isinstance(path[1], int):
                    self._step_ends[path[1]] = max(line, self._step_ends.get(path[1], 0))

    def span(self, path: Path, *, at_key: bool = False) -> Span:
        """The line of ``path`` (its key's line when ``at_key``), as a one-line span."""
        positions = self.document.positions
        line, column = positions.of_key(path) if at_key else positions.of_value(path)
        return Span(line, line, column - 1, column - 1)

    def line(self, path: Path, *, at_key: bool = False) -> Span:
        """The line of ``path`` as a span without characters (as the Dockerfile frontend locates instructions)."""
        span = self.span(path, at_key=at_key)
        return Span(span.start, span.end)

    def step_span(self, index: int) -> Span:
        """From the step's first line (its ``- `` item) to its last."""
        start = self.span(("steps", index)).start
        end = max(start, self._step_ends.get(index, start))
        return Span(start, end)

    def step(self, index: int) -> Location:
        """The location of step ``index``."""
        return Location(self.file, (self.step_span(index),))

    def at(self, path: Path, *, at_key: bool = False) -> Location:
        """The location of one field."""
        return Location(self.file, (self.span(path, at_key=at_key),))


def location_json(spans: Iterable[Span], source_index: int = 0) -> dict[str, Any]:
    """A ``pb.Location`` as Go's encoding/json writes it (zero values left out)."""
    out: dict[str, Any] = {}
    if source_index:
        out["sourceIndex"] = source_index
    out["ranges"] = [range_json(s) for s in spans]
    return out


def range_json(span: Span) -> dict[str, Any]:
    """A ``pb.Range`` as Go's encoding/json writes it."""

    def position(line: int, character: int) -> dict[str, int]:
        pos = {"line": line}
        if character:
            pos["character"] = character
        return pos

    return {"start": position(span.start, span.start_column), "end": position(span.end, span.end_column)}


def source_info_json(file: SourceFile) -> dict[str, Any]:
    """A ``pb.SourceInfo`` as Go's encoding/json writes it (bytes in base64)."""
    return {"filename": file.filename, "data": base64.b64encode(file.data).decode(), "language": file.language}


def problem_span(problem: Problem) -> Span:
    """The one-line span of a spec problem (BuildKit's characters count from 0)."""
    return Span(problem.line, problem.line, max(problem.column - 1, 0), max(problem.column - 1, 0))


def error_source_detail(file: SourceFile, spans: Iterable[Span]) -> tuple[str, bytes]:
    """An error detail (type URL, value) that makes buildx print these lines under the error."""
    value = {"info": source_info_json(file), "ranges": [range_json(s) for s in spans]}
    return SOURCE_TYPE_URL, json.dumps(value, separators=(",", ":")).encode()

"""The build engine behind a small interface: ``docker buildx build`` with the goshfile frontend."""

from goshfile.engine.buildx import Builder, BuildRequest, BuildResult, BuildxBuilder

__all__ = ["BuildRequest", "BuildResult", "Builder", "BuildxBuilder"]

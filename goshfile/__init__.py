"""goshfile: build container images from GOSH sources with a BuildKit frontend written in Python."""

__version__ = "0.1.0"

"""The OCI image config a goshfile build returns to the exporter."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from goshfile.llb.vertex import Platform

DEFAULT_PATH = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def merge_env(base: Iterable[str], *overrides: dict[str, str]) -> list[str]:
    """``KEY=VALUE`` list: base order kept, overridden values replaced, new keys appended."""
    merged: dict[str, str] = {}
    for item in base:
        key, _, value = item.partition("=")
        merged[key] = value
    for layer in overrides:
        merged.update(layer)
    return [f"{k}={v}" for k, v in merged.items()]


def ensure_path(env: list[str]) -> list[str]:
    """Add the default ``PATH`` when ``env`` has none, as BuildKit's Dockerfile frontend does."""
    return env if any(e.startswith("PATH=") for e in env) else [*env, DEFAULT_PATH]


def empty_config(platform: Platform) -> dict[str, Any]:
    """The config of ``scratch``."""
    out: dict[str, Any] = {
        "architecture": platform.architecture,
        "os": platform.os,
        "config": {"Env": [DEFAULT_PATH]},
        "rootfs": {"type": "layers", "diff_ids": []},
        "history": [],
    }
    if platform.variant:
        out["variant"] = platform.variant
    return out


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class ImageConfig:
    """An image config being derived from a base image's config; mutable while building, then rendered."""

    def __init__(self, base: dict[str, Any], platform: Platform) -> None:
        self._data = copy.deepcopy(base)
        self._data["architecture"] = platform.architecture
        self._data["os"] = platform.os
        if platform.variant:
            self._data["variant"] = platform.variant
        self._data.setdefault("rootfs", {"type": "layers", "diff_ids": []})
        self._data.setdefault("history", [])
        self._pad_base_history()
        self.config: dict[str, Any] = self._data.setdefault("config", {}) or {}
        self._data["config"] = self.config

    def _pad_base_history(self) -> None:
        """One history entry per base layer, so that the exporter matches our entries with our layers.

        A base image made without history (or with less than its layers) would otherwise have its
        layers paired with the next entries, ours among them, and ours with the wrong layers' times.
        """
        rootfs, history = self._data.get("rootfs"), self._data.get("history")
        diff_ids = rootfs.get("diff_ids") if isinstance(rootfs, dict) else None
        if not isinstance(diff_ids, list) or not isinstance(history, list):
            return
        layered = sum(1 for h in history if not (isinstance(h, dict) and h.get("empty_layer")))
        missing = len(diff_ids) - layered
        history.extend({"comment": "goshfile.v1: a base image layer without history"} for _ in range(missing))

    @property
    def env(self) -> list[str]:
        """The image's environment as ``KEY=VALUE`` strings."""
        return list(self.config.get("Env") or [])

    @property
    def workdir(self) -> str:
        """The working directory (``/`` when unset)."""
        return str(self.config.get("WorkingDir") or "/")

    @property
    def user(self) -> str:
        """The user (empty: root)."""
        return str(self.config.get("User") or "")

    def set_process(
        self,
        *,
        env: list[str],
        workdir: str | None,
        user: str | None,
        entrypoint: list[str] | None,
        cmd: list[str] | None,
    ) -> None:
        """Apply the goshfile's process settings; a new entrypoint clears an inherited cmd, as in Docker."""
        self.config["Env"] = env
        if workdir:
            self.config["WorkingDir"] = workdir
        if user:
            self.config["User"] = user
        if entrypoint is not None:
            self.config["Entrypoint"] = entrypoint
            if cmd is None:
                self.config.pop("Cmd", None)
        if cmd is not None:
            self.config["Cmd"] = cmd

    def add_labels(self, labels: dict[str, str]) -> None:
        """Add or replace labels."""
        merged = dict(self.config.get("Labels") or {})
        merged.update(labels)
        self.config["Labels"] = merged

    def add_history(self, created_by: str, created: datetime | None, empty_layer: bool = False) -> None:
        """Record one step in the image history (``created`` None: BuildKit's exporter sets it, see :meth:`render`)."""
        entry: dict[str, Any] = {"created_by": created_by, "comment": "goshfile.v1"}
        if created is not None:
            entry["created"] = _stamp(created)
        if empty_layer:
            entry["empty_layer"] = True
        self._data["history"].append(entry)

    def render(self, created: datetime | None) -> bytes:
        """The JSON bytes for the ``containerimage.config`` result metadata.

        ``created`` None (no ``SOURCE_DATE_EPOCH``): the config and the history entries of the steps
        carry no time, and BuildKit's image exporter sets each entry's from the creation time of its
        layer's cache record and the config's from the last entry, as for a Dockerfile build. A cached
        rebuild then gives the same image, instead of a new image (and a dangling old one) every time.
        An image with no timed history at all (``scratch`` and no steps) gets ``"created": null``.
        """
        if created is None:
            self._data.pop("created", None)  # the base image's: not this image's
        else:
            self._data["created"] = _stamp(created)
        return json.dumps(self._data, sort_keys=True, separators=(",", ":")).encode()

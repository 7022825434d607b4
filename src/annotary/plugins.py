"""Entry-point registries for formats, checks and pre-labelers.

Built-ins are registered in pyproject.toml under the same groups third-party
packages use, with versioned names (``coco.v1``). ``get("coco")`` gives the
newest version; ``get("coco.v1")`` pins one.
"""

from __future__ import annotations

import re
from importlib.metadata import EntryPoint, entry_points
from typing import Any, Generic, TypeVar

from annotary.errors import NotFound

T = TypeVar("T")
_VERSIONED = re.compile(r"^(?P<base>[a-z0-9][a-z0-9_-]*)\.v(?P<version>\d+)$")


class Registry(Generic[T]):
    """Named plugins of one kind, loaded lazily from an entry-point group."""

    def __init__(self, group: str, kind: str) -> None:
        self.group = group
        self.kind = kind
        self._loaded: dict[str, T] = {}
        self._extra: dict[str, T] = {}
        self._found: dict[str, EntryPoint] | None = None

    def _entry_points(self) -> dict[str, EntryPoint]:
        # Scanning the installed distributions costs milliseconds; a lookup
        # sits on hot paths (a live flag count, every export), so once.
        if self._found is None:
            self._found = {ep.name: ep for ep in entry_points(group=self.group)}
        return self._found

    def register(self, name: str, plugin: T) -> T:
        """Register in-process (tests, notebooks); entry points are the usual way."""
        _check_name(name)
        self._extra[name] = plugin
        return plugin

    def unregister(self, name: str) -> None:
        self._extra.pop(name, None)
        self._loaded.pop(name, None)

    def names(self) -> list[str]:
        return sorted(self._entry_points().keys() | self._extra.keys())

    def resolve(self, name: str) -> str:
        """The full versioned name for ``name`` (newest version if unversioned)."""
        names = self.names()
        if name in names:
            return name
        versions = [
            (int(m["version"]), full)
            for full in names
            if (m := _VERSIONED.match(full)) and m["base"] == name
        ]
        if not versions:
            known = ", ".join(sorted({n.split(".v")[0] for n in names})) or "none"
            raise NotFound(f"no {self.kind} named {name!r}; known: {known}", name=name)
        return max(versions)[1]

    def get(self, name: str) -> T:
        full = self.resolve(name)
        if full in self._extra:
            return self._extra[full]
        if full not in self._loaded:
            self._loaded[full] = self._entry_points()[full].load()
        return self._loaded[full]


def _check_name(name: str) -> None:
    if not _VERSIONED.match(name):
        raise ValueError(f"plugin name {name!r} must look like 'name.v1'")


formats: Registry[Any] = Registry("annotary.formats", "format")
checks: Registry[Any] = Registry("annotary.checks", "check")
prelabelers: Registry[Any] = Registry("annotary.prelabelers", "pre-labeler")

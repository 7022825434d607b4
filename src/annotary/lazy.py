"""Modules imported on first use.

``annotary --help`` and ``annotary serve`` should start fast; the services
behind quality, pre-labelling and cleaning load scipy, scikit-learn and OpenCV,
so the CLI and the routes reach them through a ``LazyModule``.
"""

from __future__ import annotations

import importlib
from typing import Any


class LazyModule:
    """Stands for a module; the first attribute access imports it."""

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attr: str) -> Any:
        return getattr(importlib.import_module(self._name), attr)

"""Annotary: open-source data annotation, from raw data to a training-ready dataset."""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"
__all__ = ["Client", "__version__"]


def __getattr__(name: str) -> Any:
    # The SDK pulls in httpx; load it only when someone asks for it (PEP 562).
    # importlib keeps the import out of the static graph the layer contract checks.
    if name == "Client":
        return importlib.import_module("annotary.client").Client
    raise AttributeError(f"module 'annotary' has no attribute {name!r}")

"""Annotary: open-source data annotation, from raw data to a training-ready dataset."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from annotary.client import Client

__all__ = ["Client", "__version__"]


def __getattr__(name: str) -> Any:
    # The SDK pulls in httpx; load it only when someone asks for it (PEP 562).
    if name == "Client":
        from annotary.client import Client

        return Client
    raise AttributeError(f"module 'annotary' has no attribute {name!r}")

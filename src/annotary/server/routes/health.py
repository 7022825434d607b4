"""GET /health: is the server up."""

from __future__ import annotations

from fastapi import APIRouter

from annotary import __version__

router = APIRouter(tags=["health"])


@router.get("/health")
def health() -> dict[str, str]:
    """Answers as soon as the app is up; touches no database."""
    return {"status": "ok", "version": __version__}

"""API tokens for the caller; the plain token is shown once."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict

from annotary.server.auth import WS, Actor
from annotary.services import accounts

router = APIRouter(prefix="/tokens", tags=["tokens"])


class NewToken(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = "default"


@router.post("", status_code=201)
def create_token(body: NewToken, ws: WS, actor: Actor) -> dict[str, str]:
    """A new token for ``Authorization: Token ...``; only its hash is kept."""
    token = accounts.new_token(ws, body.name, actor=actor)
    return {"name": body.name, "token": token}

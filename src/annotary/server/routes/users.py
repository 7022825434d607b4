"""Users of the workspace (admins only)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict

from annotary.server.auth import WS, Actor
from annotary.services import accounts

router = APIRouter(prefix="/users", tags=["users"])


class NewUser(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str
    password: str
    is_admin: bool = False


@router.get("")
def list_users(ws: WS, actor: Actor) -> list[dict[str, Any]]:
    return [u.model_dump(mode="json") for u in accounts.list_users(ws, actor=actor)]


@router.post("", status_code=201)
def create_user(body: NewUser, ws: WS, actor: Actor) -> dict[str, Any]:
    made = accounts.add_user(
        ws, body.username, body.password, is_admin=body.is_admin, actor=actor
    )
    return made.model_dump(mode="json")

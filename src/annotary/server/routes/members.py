"""Who works on a project, and in which role."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict

from annotary.server.auth import WS, Actor
from annotary.server.params import PathId
from annotary.services import members, projects

router = APIRouter(prefix="/projects/{pid}/members", tags=["members"])


class RoleBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: str


@router.get("")
def list_members(pid: PathId, ws: WS, actor: Actor) -> list[dict[str, Any]]:
    """Members with their roles (managers)."""
    return projects.list_members(ws, pid, actor=actor)


@router.put("/{uid}")
def set_member(
    pid: PathId, uid: PathId, body: RoleBody, ws: WS, actor: Actor
) -> dict[str, Any]:
    """Add a member or change their role (managers; admin roles need an admin)."""
    return members.set_member(ws, pid, uid, body.role, actor=actor)


@router.delete("/{uid}", status_code=204)
def remove_member(pid: PathId, uid: PathId, ws: WS, actor: Actor) -> None:
    members.remove_member(ws, pid, uid, actor=actor)

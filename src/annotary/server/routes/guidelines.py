"""Guideline and label-schema versions of a project."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from annotary.server.auth import WS, Actor
from annotary.server.params import PathId
from annotary.services import projects

router = APIRouter(prefix="/projects/{pid}/guidelines", tags=["guidelines"])


class NewGuideline(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    text: str = ""
    label_schema: dict[str, Any] | None = Field(default=None, alias="schema")


@router.get("")
def list_guidelines(pid: PathId, ws: WS, actor: Actor) -> list[dict[str, Any]]:
    """Every version, oldest first; the last one is current."""
    found = projects.list_guidelines(ws, pid, actor=actor)
    return [g.model_dump(mode="json", by_alias=True) for g in found]


@router.post("", status_code=201)
def add_guideline(
    pid: PathId, body: NewGuideline, ws: WS, actor: Actor
) -> dict[str, Any]:
    """Save a new version (text and schema); it becomes current (managers)."""
    made = projects.add_guideline(
        ws, pid, text=body.text, label_schema=body.label_schema, actor=actor
    )
    return made.model_dump(mode="json", by_alias=True)

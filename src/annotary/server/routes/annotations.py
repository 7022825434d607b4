"""Annotations of an item: list, create, change with a row version, delete."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from annotary.server.auth import WS, Actor
from annotary.server.params import BodyId, BodyVersion, PathId, QueryVersion
from annotary.services import annotations as service

router = APIRouter(tags=["annotations"])


class NewAnnotation(BaseModel):
    model_config = ConfigDict(extra="forbid")

    regions: list[dict[str, Any]] = Field(default_factory=list)
    state: Literal["draft", "submitted"] = "submitted"
    lead_time: float | None = Field(default=None, ge=0)
    parent_id: BodyId | None = None


class AnnotationChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: BodyVersion
    regions: list[dict[str, Any]] | None = None
    state: Literal["draft", "submitted", "accepted", "rejected"] | None = None
    lead_time: float | None = Field(default=None, ge=0)


@router.get("/items/{iid}/annotations")
def list_annotations(iid: PathId, ws: WS, actor: Actor) -> list[dict[str, Any]]:
    """The annotations the caller may see on the item."""
    found = service.list_annotations(ws, iid, actor=actor)
    return [a.model_dump(mode="json") for a in found]


@router.post("/items/{iid}/annotations", status_code=201)
def create_annotation(
    iid: PathId, body: NewAnnotation, ws: WS, actor: Actor
) -> dict[str, Any]:
    """A new annotation by the caller, a draft or submitted."""
    made = service.create_annotation(
        ws,
        iid,
        body.regions,
        actor=actor,
        state=body.state,
        lead_time=body.lead_time,
        parent_id=body.parent_id,
    )
    return made.model_dump(mode="json")


@router.get("/annotations/{aid}")
def get_annotation(aid: PathId, ws: WS, actor: Actor) -> dict[str, Any]:
    return service.get_annotation(ws, aid, actor=actor).model_dump(mode="json")


@router.put("/annotations/{aid}")
def update_annotation(
    aid: PathId, body: AnnotationChange, ws: WS, actor: Actor
) -> dict[str, Any]:
    """Change it if ``version`` is still current; 409 with the current one if not."""
    changed = service.update_annotation(
        ws,
        aid,
        version=body.version,
        actor=actor,
        regions=body.regions,
        state=body.state,
        lead_time=body.lead_time,
    )
    return changed.model_dump(mode="json")


@router.delete("/annotations/{aid}", status_code=204)
def delete_annotation(
    aid: PathId, ws: WS, actor: Actor, version: QueryVersion | None = None
) -> None:
    service.delete_annotation(ws, aid, version=version, actor=actor)

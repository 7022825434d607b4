"""Projects: list, create, show, change."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict

from annotary.core.models import DataKind
from annotary.server.auth import WS, Actor
from annotary.server.params import PathId
from annotary.services import overview, projects

router = APIRouter(prefix="/projects", tags=["projects"])


class NewProject(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    kind: DataKind
    description: str = ""
    label_schema: dict[str, Any] | None = None
    guideline_text: str = ""
    settings: dict[str, Any] | None = None


class ProjectChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = None
    description: str | None = None
    settings: dict[str, Any] | None = None


@router.get("")
def list_projects(ws: WS, actor: Actor) -> list[dict[str, Any]]:
    """Projects the caller belongs to (all for admins), with role and counts."""
    return projects.list_projects(ws, actor=actor)


@router.post("", status_code=201)
def create_project(body: NewProject, ws: WS, actor: Actor) -> dict[str, Any]:
    """A new project; its creator becomes its admin."""
    created = projects.create_project(
        ws,
        body.name,
        body.kind,
        actor=actor,
        label_schema=body.label_schema,
        guideline_text=body.guideline_text,
        description=body.description,
        settings=body.settings,
    )
    return overview.project_summary(ws, created.id, actor=actor)


@router.get("/{pid}")
def get_project(pid: PathId, ws: WS, actor: Actor) -> dict[str, Any]:
    return overview.project_summary(ws, pid, actor=actor)


@router.patch("/{pid}")
def update_project(
    pid: PathId, body: ProjectChange, ws: WS, actor: Actor
) -> dict[str, Any]:
    """Rename, describe or change settings (managers)."""
    projects.update_project(
        ws,
        pid,
        actor=actor,
        name=body.name,
        description=body.description,
        settings=body.settings,
    )
    return overview.project_summary(ws, pid, actor=actor)

"""Items: pages of a project's items, one item, its media, decisions about it."""

from __future__ import annotations

import mimetypes
from pathlib import Path
from typing import Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import FileResponse
from pydantic import BaseModel, ConfigDict, Field

from annotary.core.models import Item
from annotary.errors import NotFound
from annotary.media.store import MediaStore
from annotary.server.auth import WS, Actor
from annotary.server.params import BodyId, PathId
from annotary.services import items
from annotary.services.items import MAX_PAGE
from annotary.services.workspace import Workspace

router = APIRouter(tags=["items"])

# Media is served as data, never as a page: no scripts, no plugins, no forms.
MEDIA_CSP = "default-src 'none'; img-src 'self'; media-src 'self'; sandbox"


class ItemChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    excluded: bool | None = None
    exclude_reason: str | None = None
    split: str | None = None


class Bulk(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ids: list[BodyId] = Field(max_length=100_000)
    action: Literal["exclude", "include", "requeue"]
    reason: str | None = None


@router.get("/projects/{pid}/items")
def list_items(
    pid: PathId,
    ws: WS,
    actor: Actor,
    cursor: str | None = None,
    limit: int = Query(default=50, ge=1, le=MAX_PAGE),
    status: str | None = None,
    label: str | None = None,
    annotator: str | None = None,
    split: str | None = None,
    q: str | None = None,
    excluded: bool | None = None,
    sort: str = "id",
) -> dict[str, Any]:
    """One page; pass ``next_cursor`` back as ``cursor`` for the next one."""
    return items.list_items(
        ws,
        pid,
        actor=actor,
        cursor=cursor or None,
        limit=limit,
        status=status or None,
        label=label or None,
        annotator=annotator or None,
        split=split or None,
        q=q or None,
        excluded=excluded,
        sort=sort,
    )


@router.post("/projects/{pid}/items/bulk")
def bulk_update(pid: PathId, body: Bulk, ws: WS, actor: Actor) -> dict[str, int]:
    """Exclude, include or requeue many items at once (managers)."""
    changed = items.bulk_update(
        ws, pid, body.ids, body.action, actor=actor, reason=body.reason
    )
    return {"changed": changed}


@router.get("/items/{iid}")
def get_item(iid: PathId, ws: WS, actor: Actor) -> dict[str, Any]:
    return items.get_item(ws, iid, actor=actor).model_dump(mode="json")


@router.patch("/items/{iid}")
def update_item(iid: PathId, body: ItemChange, ws: WS, actor: Actor) -> dict[str, Any]:
    """Exclude or include an item, or set its split (managers)."""
    changed = items.update_item(
        ws,
        iid,
        actor=actor,
        excluded=body.excluded,
        exclude_reason=body.exclude_reason,
        split=body.split,
    )
    return changed.model_dump(mode="json")


@router.get(
    "/items/{iid}/media",
    response_class=FileResponse,
    responses={200: {"content": {"application/octet-stream": {}}}},
)
def get_media(iid: PathId, ws: WS, actor: Actor) -> FileResponse:
    """The item's stored file, inline, with its content type."""
    item = items.get_item(ws, iid, actor=actor)
    path = _media_path(ws, item)
    assert item.media is not None
    mime = item.media.mime or mimetypes.guess_type(path.name)[0]
    return FileResponse(
        path,
        media_type=mime or "application/octet-stream",
        filename=item.media.original_name or path.name,
        content_disposition_type="inline",
        headers={"Content-Security-Policy": MEDIA_CSP},
    )


def _media_path(ws: Workspace, item: Item) -> Path:
    if item.media is None:
        raise NotFound(f"item {item.id} has no media file (it is a text item)")
    path = Path(MediaStore(ws.media_root).local_path(item.media)).resolve()
    if not path.is_relative_to(ws.media_root) or not path.is_file():
        raise NotFound(f"the media file of item {item.id} is missing from the store")
    return path

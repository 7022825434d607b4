"""The labeling queue: next item, skip, release."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response

from annotary.server.auth import WS, Actor
from annotary.server.params import PathId
from annotary.services import queue

router = APIRouter(prefix="/projects/{pid}/queue", tags=["queue"])


@router.post("/next", responses={204: {"description": "nothing is left for you"}})
def next_item(pid: PathId, ws: WS, actor: Actor) -> Any:
    """Lease the next item to the caller, with their draft on it if there is one."""
    found = queue.next_item_with_draft(ws, pid, actor)
    if found is None:
        return Response(status_code=204)
    item, draft = found
    return {
        "item": item.model_dump(mode="json"),
        "annotation_draft": draft.model_dump(mode="json") if draft else None,
    }


@router.post("/{iid}/skip", status_code=204)
def skip(pid: PathId, iid: PathId, ws: WS, actor: Actor) -> None:
    """Give the item back for good: the caller will not get it again."""
    queue.skip_item(ws, pid, iid, actor)


@router.post("/{iid}/release", status_code=204)
def release(pid: PathId, iid: PathId, ws: WS, actor: Actor) -> None:
    """Give the leased item back; the caller may get it again later."""
    queue.release_item(ws, pid, iid, actor)


@router.get("/stats")
def stats(pid: PathId, ws: WS, actor: Actor) -> dict[str, Any]:
    """Open items and active leases (managers)."""
    return queue.queue_stats(ws, pid, actor=actor)

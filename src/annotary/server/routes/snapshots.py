"""Snapshots and splits: freeze a project for a training run, split it, check leaks.

Managers and admins make splits and snapshots; reviewers and up read them.
"""

from __future__ import annotations

import secrets
import shutil
from typing import Any, Literal

from fastapi import APIRouter
from fastapi.responses import FileResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.background import BackgroundTask

from annotary import plugins
from annotary.core.ids import MAX_ID
from annotary.errors import InvalidInput, NotFound
from annotary.server.auth import WS, Actor
from annotary.server.params import PathId
from annotary.services import snapshots, splits

router = APIRouter(tags=["datasets"])


class SnapshotRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, max_length=200)
    format: str = "jsonl"
    options: dict[str, Any] = Field(default_factory=dict)


class SplitRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    strategy: Literal["random", "stratified"] = "random"
    ratios: dict[str, float] | None = Field(default=None, max_length=20)
    seed: int = Field(default=0, ge=0, le=MAX_ID)
    group_by: str | None = Field(default=None, max_length=200)
    by_clusters: bool = True
    preview: bool = False


@router.post("/projects/{pid}/snapshots", status_code=201)
def create_snapshot(
    pid: PathId, body: SnapshotRequest, ws: WS, actor: Actor
) -> dict[str, Any]:
    """Export the project now and freeze it with a manifest (managers)."""
    try:
        name = plugins.formats.resolve(body.format)
    except NotFound as exc:
        raise InvalidInput(exc.message, field="format") from None
    made = snapshots.create_snapshot(
        ws, pid, name=body.name or None, format=name, actor=actor, options=body.options
    )
    return _public(made)


@router.get("/projects/{pid}/snapshots")
def list_snapshots(pid: PathId, ws: WS, actor: Actor) -> list[dict[str, Any]]:
    """The project's snapshots, oldest first (reviewers)."""
    return [_public(s) for s in snapshots.list_snapshots(ws, pid, actor=actor)]


@router.get("/snapshots/{sid}")
def get_snapshot(sid: PathId, ws: WS, actor: Actor) -> dict[str, Any]:
    """One snapshot's summary: counts, items per split, manifest hash."""
    return _public(snapshots.get_snapshot(ws, sid, actor=actor))


@router.get("/snapshots/{sid}/manifest")
def get_manifest(sid: PathId, ws: WS, actor: Actor) -> dict[str, Any]:
    """The full manifest: item ids, annotation ids and versions, splits, sha256."""
    return snapshots.get_manifest(ws, sid, actor=actor)


@router.get("/snapshots/{sid}/diff/{other}")
def diff_snapshots(sid: PathId, other: PathId, ws: WS, actor: Actor) -> dict[str, Any]:
    """What changed from snapshot ``sid`` to snapshot ``other``."""
    return snapshots.diff_snapshots(ws, sid, other, actor=actor)


@router.get(
    "/snapshots/{sid}/download",
    response_class=FileResponse,
    responses={200: {"content": {"application/zip": {}}}},
)
def download_snapshot(sid: PathId, ws: WS, actor: Actor) -> FileResponse:
    """The frozen files and manifest.json as a zip, checked against their hashes."""
    folder = ws.tmp_dir / f"snapshot-{secrets.token_hex(8)}"
    folder.mkdir(parents=True)
    try:
        archive = snapshots.write_archive(ws, sid, folder, actor=actor)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return FileResponse(
        archive,
        filename=archive.name,
        media_type="application/zip",
        background=BackgroundTask(shutil.rmtree, folder, ignore_errors=True),
    )


@router.post("/projects/{pid}/splits")
def make_split(pid: PathId, body: SplitRequest, ws: WS, actor: Actor) -> dict[str, Any]:
    """Split the items and store it on them, or only preview it (managers)."""
    return splits.split_project(
        ws,
        pid,
        ratios=body.ratios,
        seed=body.seed,
        stratify=body.strategy == "stratified",
        group_by=body.group_by,
        by_clusters=body.by_clusters,
        preview=body.preview,
        actor=actor,
    )


@router.get("/projects/{pid}/splits")
def split_summary(pid: PathId, ws: WS, actor: Actor) -> dict[str, Any]:
    """Items per split as stored now (reviewers)."""
    return splits.split_summary(ws, pid, actor=actor)


@router.get("/projects/{pid}/leakage")
def leakage(pid: PathId, ws: WS, actor: Actor) -> dict[str, Any]:
    """Exact and near duplicates that sit in different splits now (reviewers)."""
    return splits.leakage(ws, pid, actor=actor)


def _public(summary: dict[str, Any]) -> dict[str, Any]:
    """A snapshot as the API shows it: no folder path of the server's disk."""
    return {key: value for key, value in summary.items() if key != "path"}

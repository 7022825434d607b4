"""Exports: the project in a registered format, as one file or a zip."""

from __future__ import annotations

import re
import secrets
import shutil
from pathlib import Path
from typing import Any

from fastapi import APIRouter
from fastapi.responses import FileResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.background import BackgroundTask

from annotary import plugins
from annotary.core.models import Role
from annotary.errors import InvalidInput, NotFound
from annotary.server.auth import WS, Actor
from annotary.services import exports, overview

router = APIRouter(prefix="/projects/{pid}/exports", tags=["exports"])


class ExportRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    format: str
    options: dict[str, Any] = Field(default_factory=dict)


@router.post(
    "",
    response_class=FileResponse,
    responses={200: {"content": {"application/octet-stream": {}}}},
)
def export(pid: int, body: ExportRequest, ws: WS, actor: Actor) -> FileResponse:
    """Write the export and send it: the file itself, or a zip of a folder."""
    overview.check_role(ws, pid, Role.manager, actor=actor)
    project = overview.project_summary(ws, pid, actor=actor)
    try:
        name = plugins.formats.resolve(body.format)
    except NotFound as exc:
        raise InvalidInput(exc.message, field="format") from None
    folder = ws.tmp_dir / f"export-{secrets.token_hex(8)}"
    try:
        out = folder / "out"
        exports.export_project(ws, pid, name, out, actor=actor, options=body.options)
        path, filename = _deliverable(folder, out, f"{_slug(project['name'])}-{name}")
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return FileResponse(
        path,
        filename=filename,
        media_type="application/zip" if filename.endswith(".zip") else None,
        background=BackgroundTask(shutil.rmtree, folder, ignore_errors=True),
    )


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-") or "project"


def _deliverable(folder: Path, out: Path, stem: str) -> tuple[Path, str]:
    """One written file as it is; several (or a folder) zipped."""
    if out.is_file():
        return out, f"{stem}{out.suffix}"
    files = [p for p in out.rglob("*") if p.is_file()] if out.is_dir() else []
    if len(files) == 1 and files[0].parent == out:
        return files[0], f"{stem}{files[0].suffix}"
    archive = shutil.make_archive(str(folder / stem), "zip", root_dir=out)
    return Path(archive), f"{stem}.zip"

"""Exports: the project in a registered format, as one file or a zip."""

from __future__ import annotations

import json
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
from annotary.server.params import PathId
from annotary.services import exports, overview

router = APIRouter(prefix="/projects/{pid}/exports", tags=["exports"])
REPORT_HEADER = "X-Annotary-Export-Report"
HEADER_WARNINGS = 20


class ExportRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    format: str
    options: dict[str, Any] = Field(default_factory=dict)


@router.get("/formats")
def export_formats(pid: PathId, ws: WS, actor: Actor) -> list[dict[str, Any]]:
    """The registered formats that can hold this project's data (managers)."""
    overview.check_role(ws, pid, Role.manager, actor=actor)
    kind = overview.project_summary(ws, pid, actor=actor)["kind"]
    found = []
    for name in plugins.formats.names():
        fmt = plugins.formats.get(name)
        dumper = getattr(fmt, "dumper", fmt)
        if kind in fmt.kinds and dumper is not None:
            doc = (dumper.__doc__ or "").strip().splitlines()
            found.append({"name": name, "description": doc[0] if doc else ""})
    return found


@router.post(
    "",
    response_class=FileResponse,
    responses={200: {"content": {"application/octet-stream": {}}}},
)
def export(pid: PathId, body: ExportRequest, ws: WS, actor: Actor) -> FileResponse:
    """Write the export and send it: the file itself, or a zip of a folder.

    The format's report (items, annotations, what it left out, warnings)
    comes along as JSON in the ``X-Annotary-Export-Report`` header.
    """
    overview.check_role(ws, pid, Role.manager, actor=actor)
    project = overview.project_summary(ws, pid, actor=actor)
    try:
        name = plugins.formats.resolve(body.format)
    except NotFound as exc:
        raise InvalidInput(exc.message, field="format") from None
    folder = ws.tmp_dir / f"export-{secrets.token_hex(8)}"
    try:
        out = folder / "out"
        report = exports.export_project(
            ws, pid, name, out, actor=actor, options=body.options
        )
        path, filename = _deliverable(
            folder, out, exports.download_stem(project["name"], name)
        )
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return FileResponse(
        path,
        filename=filename,
        media_type="application/zip" if filename.endswith(".zip") else None,
        headers={REPORT_HEADER: _report_header(report)},
        background=BackgroundTask(shutil.rmtree, folder, ignore_errors=True),
    )


def _report_header(report: Any) -> str:
    """The report as one line of ASCII JSON, warnings cut to the first few."""
    data = report.model_dump(mode="json")
    data.pop("files", None)
    warnings = data.get("warnings", [])
    data["warnings_total"] = len(warnings)
    data["warnings"] = [w[:300] for w in warnings[:HEADER_WARNINGS]]
    return json.dumps(data, ensure_ascii=True, separators=(",", ":"))


def _deliverable(folder: Path, out: Path, stem: str) -> tuple[Path, str]:
    """One written file as it is; several (or a folder) zipped."""
    if out.is_file():
        return out, f"{stem}{out.suffix}"
    files = [p for p in out.rglob("*") if p.is_file()] if out.is_dir() else []
    if len(files) == 1 and files[0].parent == out:
        return files[0], f"{stem}{files[0].suffix}"
    archive = shutil.make_archive(str(folder / stem), "zip", root_dir=out)
    return Path(archive), f"{stem}.zip"

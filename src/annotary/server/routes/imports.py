"""Imports: uploaded files (multipart) or folders under the configured roots."""

from __future__ import annotations

import json
import logging
import secrets
import shutil
from pathlib import PurePosixPath
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile

from annotary.core.models import Role, User
from annotary.errors import InvalidInput
from annotary.server.auth import WS, Actor
from annotary.server.params import PathId
from annotary.services import imports, overview, uploads
from annotary.services.workspace import Workspace

log = logging.getLogger("annotary.server")
router = APIRouter(prefix="/projects/{pid}/imports", tags=["imports"])

MAX_FILES = 10_000
_UPLOAD_SCHEMA = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["files"],
                    "properties": {
                        "files": {
                            "type": "array",
                            "items": {"type": "string", "format": "binary"},
                        },
                        "format": {"type": "string"},
                        "field": {"type": "string"},
                        "text_mode": {"type": "string", "enum": ["line", "file"]},
                        "options": {"type": "string", "description": "JSON object"},
                    },
                }
            }
        },
    }
}


class PathImport(BaseModel):
    model_config = ConfigDict(extra="forbid")

    paths: list[str] = Field(min_length=1)
    format: str | None = None
    field: str | None = None
    text_mode: str = "line"
    options: dict[str, Any] | None = None


@router.post("", openapi_extra=_UPLOAD_SCHEMA)
async def upload(pid: PathId, request: Request, ws: WS, actor: Actor) -> dict[str, Any]:
    """Import uploaded files (``files`` parts); returns the import report."""
    await run_in_threadpool(overview.check_role, ws, pid, Role.manager, actor=actor)
    form = await request.form(max_files=MAX_FILES, max_fields=100)
    try:
        files = [v for v in form.getlist("files") if isinstance(v, UploadFile)]
        if not files:
            raise InvalidInput(
                "send the files as multipart parts named 'files'", field="files"
            )
        fields = _form_fields(form)
        return await run_in_threadpool(_import_uploads, ws, pid, files, fields, actor)
    finally:
        await form.close()


@router.post("/paths")
def import_server_paths(
    pid: PathId, body: PathImport, ws: WS, actor: Actor
) -> dict[str, Any]:
    """Import files or folders on the server, only under ``import_roots``."""
    report = uploads.import_server_paths(
        ws,
        pid,
        body.paths,
        actor=actor,
        format=body.format,
        field=body.field,
        text_mode=body.text_mode,
        options=body.options,
    )
    return report.model_dump(mode="json")


def _form_fields(form: FormData) -> dict[str, Any]:
    def text(name: str) -> str | None:
        value = form.get(name)
        return value if isinstance(value, str) and value else None

    options: dict[str, Any] | None = None
    raw = text("options")
    if raw is not None:
        try:
            options = json.loads(raw)
        except ValueError:
            raise InvalidInput("options is not valid JSON", field="options") from None
        if not isinstance(options, dict):
            raise InvalidInput("options must be a JSON object", field="options")
    return {
        "format": text("format"),
        "field": text("field"),
        "text_mode": text("text_mode") or "line",
        "options": options,
    }


def _safe_name(raw: str | None, index: int) -> str:
    """The upload's base name without folders; never '..', never empty."""
    name = PurePosixPath((raw or "").replace("\\", "/")).name
    if name in ("", ".", ".."):
        return f"upload-{index}"
    if len(name.encode("utf-8")) > 120:
        # File systems refuse names over 255 bytes; keep the extension.
        suffix = PurePosixPath(name).suffix[:16]
        stem = name.encode("utf-8")[: 120 - len(suffix.encode())].decode(
            "utf-8", "ignore"
        )
        name = stem + suffix
    return name


def _import_uploads(
    ws: Workspace,
    pid: PathId,
    uploads: list[UploadFile],
    fields: dict[str, Any],
    actor: User,
) -> dict[str, Any]:
    folder = ws.tmp_dir / f"upload-{secrets.token_hex(8)}"
    try:
        paths = []
        for index, upload in enumerate(uploads):
            # One sub-folder per file keeps two uploads of one name apart.
            target = folder / str(index) / _safe_name(upload.filename, index)
            target.parent.mkdir(parents=True)
            with target.open("wb") as out:
                shutil.copyfileobj(upload.file, out, 1 << 20)
            paths.append(target)
        log.info("upload of %d file(s) into project %s", len(paths), pid)
        report = imports.import_paths(ws, pid, paths, actor=actor, **fields)
        data = report.model_dump(mode="json")
        # Name the uploaded files, not where the server kept them meanwhile.
        prefix = str(folder)
        for rejection in data["rejected"]:
            source = rejection["source"]
            if source.startswith(prefix):
                rest = source[len(prefix) :].lstrip("/")
                rejection["source"] = rest.split("/", 1)[1] if "/" in rest else rest
        data["encodings"] = {
            (
                k[len(prefix) :].lstrip("/").split("/", 1)[-1]
                if k.startswith(prefix)
                else k
            ): v
            for k, v in data["encodings"].items()
        }
        return data
    finally:
        shutil.rmtree(folder, ignore_errors=True)

"""Imports started over HTTP: server-side paths are allowed only under roots."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from annotary.core.models import ImportReport, Role, User
from annotary.errors import PermissionDenied
from annotary.services.imports import import_paths
from annotary.services.users import require_role
from annotary.services.workspace import Workspace


def allowed_path(ws: Workspace, raw: str) -> Path:
    """``raw`` resolved (links followed), if it lies under an import root."""
    roots = [Path(r).expanduser().resolve() for r in ws.settings.import_roots]
    if not roots:
        raise PermissionDenied(
            "server-side path imports are off; set import_roots in annotary.toml",
            field="paths",
        )
    path = Path(raw).expanduser().resolve()
    if not any(path.is_relative_to(root) for root in roots):
        raise PermissionDenied(
            f"{raw} is outside the import roots ({', '.join(map(str, roots))})",
            field="paths",
        )
    return path


def import_server_paths(
    ws: Workspace,
    project_id: int,
    raw_paths: list[str],
    *,
    actor: User | None = None,
    **options: Any,
) -> ImportReport:
    """Import files or folders on the server, for a manager, under the roots only."""
    with ws.db.read() as conn:
        require_role(conn, actor, project_id, Role.manager)
    paths = [allowed_path(ws, raw) for raw in raw_paths]
    return import_paths(ws, project_id, paths, actor=actor, **options)

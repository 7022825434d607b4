"""Read-only summaries the API and UI show next to the raw records."""

from __future__ import annotations

from typing import Any

from annotary.core.models import Role, User
from annotary.services.projects import item_counts, load_project
from annotary.services.users import require_role
from annotary.services.workspace import Workspace


def project_summary(
    ws: Workspace, project_id: int, *, actor: User | None = None
) -> dict[str, Any]:
    """A project as JSON with the actor's role and item counts by status."""
    with ws.db.read() as conn:
        role = require_role(conn, actor, project_id, Role.annotator)
        project = load_project(conn, project_id)
        counts = item_counts(conn, project_id)
    return {**project.model_dump(mode="json"), "role": role.value, "counts": counts}


def check_role(
    ws: Workspace, project_id: int, least: Role, *, actor: User | None
) -> Role:
    """The actor's role if it is at least ``least`` (NotFound for non-members)."""
    with ws.db.read() as conn:
        return require_role(conn, actor, project_id, least)

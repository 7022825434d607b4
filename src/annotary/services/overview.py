"""Read-only summaries the API and UI show next to the raw records."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from annotary.core.models import Annotation, Role, User
from annotary.services.annotations import to_annotation
from annotary.services.projects import item_counts, load_project
from annotary.services.users import require_role
from annotary.services.workspace import Workspace
from annotary.storage import tables as t


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


def own_draft(ws: Workspace, item_id: int, *, actor: User) -> Annotation | None:
    """The actor's newest draft annotation of the item, in one query."""
    with ws.db.read() as conn:
        row = (
            conn.execute(
                select(t.annotations)
                .where(
                    (t.annotations.c.item_id == item_id)
                    & (t.annotations.c.user_id == actor.id)
                    & (t.annotations.c.state == "draft")
                )
                .order_by(t.annotations.c.id.desc())
                .limit(1)
            )
            .mappings()
            .first()
        )
    return to_annotation(row) if row is not None else None

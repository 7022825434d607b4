"""Small builders shared by the service tests."""

from __future__ import annotations

import hashlib

from sqlalchemy import select

from annotary.core.models import ImportReport, ItemDraft, User
from annotary.services import imports, users
from annotary.services.workspace import Workspace
from annotary.storage import tables as t


def add_texts(ws: Workspace, project_id: int, texts: list[str]) -> list[int]:
    """Import texts through the import service; ids of the ones it added, in order."""
    drafts = [
        ItemDraft(text=text, content_hash=hashlib.sha256(text.encode()).hexdigest())
        for text in texts
    ]
    with ws.db.read() as conn:
        before = (
            conn.execute(select(t.items.c.id).where(t.items.c.project_id == project_id))
            .scalars()
            .all()
        )
    imports.import_drafts(ws, project_id, drafts, report=ImportReport(project="t"))
    with ws.db.read() as conn:
        rows = conn.execute(
            select(t.items.c.content_hash, t.items.c.id).where(
                (t.items.c.project_id == project_id) & t.items.c.id.not_in(before)
            )
        ).all()
    ids = dict(rows)
    return [ids[d.content_hash] for d in drafts if d.content_hash in ids]


def member(ws: Workspace, project_id: int, name: str, role: str) -> User:
    user = users.create_user(ws, name, "password-123")
    users.set_role(ws, project_id, user.id, role)
    return user

"""The audit log: who changed what, and when."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection

from annotary.core.models import User
from annotary.storage import tables as t


def record(
    conn: Connection,
    action: str,
    *,
    project_id: int | None = None,
    user: User | None = None,
    target: str | None = None,
    data: dict[str, Any] | None = None,
) -> None:
    """Write one audit event inside the caller's transaction."""
    conn.execute(
        t.audit_events.insert().values(
            project_id=project_id,
            user_id=user.id if user else None,
            action=action,
            target=target,
            data=data or {},
            created_at=datetime.now(UTC),
        )
    )

"""Gold answers: items whose right labels a manager knows."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select

from annotary.core.models import Role, User
from annotary.core.regions import Region
from annotary.services.annotations import parse_regions
from annotary.services.audit import record
from annotary.services.items import item_row
from annotary.services.users import now, require_role
from annotary.services.workspace import Workspace
from annotary.storage import tables as t


def set_gold(
    ws: Workspace, answers: dict[int, list[Any]], *, actor: User | None = None
) -> int:
    """Store gold answers (item id -> regions), replacing earlier ones."""
    parsed = {item_id: parse_regions(regions) for item_id, regions in answers.items()}
    with ws.db.write() as conn:
        projects_seen: set[int] = set()
        rows = []
        for item_id, regions in parsed.items():
            project_id = item_row(conn, item_id)["project_id"]
            if project_id not in projects_seen:
                require_role(conn, actor, project_id, Role.manager)
                projects_seen.add(project_id)
            rows.append(
                {
                    "item_id": item_id,
                    "project_id": project_id,
                    "regions": [r.model_dump(mode="json") for r in regions],
                    "created_at": now(),
                }
            )
        if rows:
            conn.execute(
                delete(t.gold_answers).where(t.gold_answers.c.item_id.in_(list(parsed)))
            )
            conn.execute(t.gold_answers.insert(), rows)
        for project_id in sorted(projects_seen):
            items = [r["item_id"] for r in rows if r["project_id"] == project_id]
            record(
                conn,
                "gold.set",
                project_id=project_id,
                user=actor,
                target=",".join(map(str, items[:20])),
                data={"items": len(items)},
            )
    return len(rows)


def gold_answers(
    ws: Workspace, project_id: int, *, actor: User | None = None
) -> dict[int, list[Region]]:
    with ws.db.read() as conn:
        require_role(conn, actor, project_id, Role.manager)
        rows = conn.execute(
            select(t.gold_answers.c.item_id, t.gold_answers.c.regions).where(
                t.gold_answers.c.project_id == project_id
            )
        ).all()
    return {item_id: parse_regions(regions) for item_id, regions in rows}

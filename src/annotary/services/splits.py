"""Train/val/test splits stored on the items, and the leakage check."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Hashable
from typing import Any

from sqlalchemy import Connection, bindparam, select, update

from annotary.core.models import Item, Role, User
from annotary.errors import InvalidInput
from annotary.services.audit import record
from annotary.services.exports import iter_records
from annotary.services.projects import load_project
from annotary.services.users import require_role
from annotary.services.workspace import Workspace
from annotary.storage import tables as t

log = logging.getLogger("annotary.dataset")


def duplicate_clusters(conn: Connection, project_id: int) -> dict[int, Hashable]:
    """Item id -> duplicate cluster id, from the cleaning checks' flags."""
    rows = conn.execute(
        select(t.flags.c.item_id, t.flags.c.check, t.flags.c.cluster).where(
            (t.flags.c.project_id == project_id) & t.flags.c.cluster.is_not(None)
        )
    ).all()
    return {item_id: f"{check}:{cluster}" for item_id, check, cluster in rows}


def split_project(
    ws: Workspace,
    project_id: int,
    *,
    ratios: dict[str, float] | None = None,
    seed: int = 0,
    stratify: bool = False,
    group_by: str | None = None,
    by_clusters: bool = True,
    actor: User | None = None,
) -> dict[str, Any]:
    """Assign every item a split and store it; no group crosses two splits.

    ``group_by`` names a metadata key (source video, patient, session) whose
    items stay together; with ``by_clusters`` the duplicate clusters found by
    cleaning stay together too.
    """
    from annotary.dataset.splits import assign_splits, leakage_report

    with ws.db.read() as conn:
        require_role(conn, actor, project_id, Role.manager)
        project = load_project(conn, project_id)
        clusters = duplicate_clusters(conn, project_id) if by_clusters else {}
    records = list(iter_records(ws, project_id, which="final"))
    if group_by and not any(group_by in item.meta for item, _ in records):
        raise InvalidInput(
            f"no item has the metadata key {group_by!r}", field="group_by"
        )

    def group_key(item: Item) -> list[Hashable]:
        keys: list[Hashable] = []
        if group_by and item.meta.get(group_by) is not None:
            keys.append(("meta", str(item.meta[group_by])))
        if item.id in clusters:
            keys.append(("cluster", clusters[item.id]))
        return keys

    assignment = assign_splits(
        records,
        ratios=ratios,
        seed=seed,
        stratify="label" if stratify else None,
        group_key=group_key,
        multi_label=project.label_schema.multi_label,
    )
    with ws.db.write() as conn:
        if assignment:
            conn.execute(
                update(t.items)
                .where(t.items.c.id == bindparam("item"))
                .values(split=bindparam("name")),
                [{"item": item, "name": name} for item, name in assignment.items()],
            )
        counts = dict(Counter(assignment.values()))
        record(
            conn,
            "items.split",
            project_id=project_id,
            user=actor,
            data={
                "counts": counts,
                "seed": seed,
                "stratify": stratify,
                "group_by": group_by,
            },
        )
    leaks = leakage_report([item for item, _ in records], assignment, clusters)
    return {"counts": counts, "leakage": leaks.model_dump(mode="json")}


def leakage(
    ws: Workspace, project_id: int, *, actor: User | None = None
) -> dict[str, Any]:
    """Exact and near duplicates that sit in different splits now."""
    from annotary.dataset.splits import leakage_report

    with ws.db.read() as conn:
        require_role(conn, actor, project_id, Role.manager)
        clusters = duplicate_clusters(conn, project_id)
    items = [item for item, _ in iter_records(ws, project_id, which="final")]
    return leakage_report(items, None, clusters).model_dump(mode="json")

"""Gold answers: items whose right labels a manager knows."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy import delete, select

from annotary.core.models import Project, Role, User
from annotary.core.regions import Region
from annotary.errors import AnnotaryError, InvalidInput
from annotary.services.annotations import check_regions, parse_regions
from annotary.services.audit import record
from annotary.services.items import item_row
from annotary.services.projects import load_project
from annotary.services.users import now, require_role
from annotary.services.workspace import Workspace
from annotary.storage import tables as t


def set_gold(
    ws: Workspace, answers: dict[int, list[Any]], *, actor: User | None = None
) -> int:
    """Store gold answers (item id -> regions), replacing earlier ones."""
    parsed = {item_id: parse_regions(regions) for item_id, regions in answers.items()}
    with ws.db.write() as conn:
        projects_seen: dict[int, Project] = {}
        rows = []
        for item_id, regions in parsed.items():
            item = item_row(conn, item_id)
            project_id = item["project_id"]
            if project_id not in projects_seen:
                require_role(conn, actor, project_id, Role.manager)
                projects_seen[project_id] = load_project(conn, project_id)
            # A gold answer is held to the rules any annotation is.
            try:
                check_regions(projects_seen[project_id], item, regions)
            except InvalidInput as exc:
                raise InvalidInput(
                    f"gold answer for item {item_id}: {exc.message}",
                    **exc.details,
                    item=item_id,
                ) from None
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


def import_gold(
    ws: Workspace, project_id: int, path: Path, *, actor: User | None = None
) -> dict[str, Any]:
    """Read gold answers from a JSONL file, one item per line.

    A line names its item by ``item_id`` or ``external_id`` and gives the
    answer as ``regions`` (as the API takes them), ``label`` or ``labels`` (a
    class answer). A bad line is reported by number and left out; the good
    ones land together, replacing earlier answers for their items.
    """
    with ws.db.read() as conn:
        require_role(conn, actor, project_id, Role.manager)
        project = load_project(conn, project_id)
        by_external = {
            external: item_id
            for item_id, external in conn.execute(
                select(t.items.c.id, t.items.c.external_id).where(
                    (t.items.c.project_id == project_id)
                    & t.items.c.external_id.is_not(None)
                )
            )
        }
        ids = set(
            conn.execute(
                select(t.items.c.id).where(t.items.c.project_id == project_id)
            ).scalars()
        )
    answers: dict[int, list[Any]] = {}
    rejected: list[dict[str, Any]] = []
    try:
        handle = path.open("rb")
    except OSError as exc:
        raise InvalidInput(f"{path}: {exc.strerror or exc}", path=str(path)) from None
    # One read transaction for the file: each line's item is looked up in it.
    with handle, ws.db.read() as conn:
        for number, raw in enumerate(handle, start=1):
            if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]
            if not raw.strip():
                continue
            try:
                line = raw.decode("utf-8")
                item_id, regions = _gold_line(line, ids, by_external)
                check_regions(project, item_row(conn, item_id), parse_regions(regions))
            except UnicodeDecodeError:
                rejected.append({"line": number, "reason": "not valid UTF-8"})
                continue
            except (ValueError, AnnotaryError, ValidationError) as exc:
                reason = str(exc).splitlines()[0]
                rejected.append({"line": number, "reason": reason})
                continue
            answers[item_id] = regions
    stored = set_gold(ws, answers, actor=actor) if answers else 0
    return {"file": str(path), "stored": stored, "rejected": rejected}


def _gold_line(
    line: str, ids: set[int], by_external: dict[str, int]
) -> tuple[int, list[Any]]:
    try:
        data = json.loads(line)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not JSON: {exc.msg} at column {exc.colno}") from None
    if not isinstance(data, dict):
        raise ValueError("a line must be a JSON object")
    if "item_id" in data:
        item_id = data["item_id"]
        if not isinstance(item_id, int) or isinstance(item_id, bool):
            raise ValueError("item_id must be an integer")
        if item_id not in ids:
            raise ValueError(f"item {item_id} is not in this project")
    elif "external_id" in data:
        external = str(data["external_id"])
        if external not in by_external:
            raise ValueError(f"no item with external_id {external!r} in this project")
        item_id = by_external[external]
    else:
        raise ValueError("name the item with item_id or external_id")
    if "regions" in data:
        regions = data["regions"]
        if not isinstance(regions, list):
            raise ValueError("regions must be a list")
    elif "labels" in data or "label" in data:
        labels = data.get("labels", [data.get("label")])
        if not isinstance(labels, list) or not all(
            isinstance(x, str) and x for x in labels
        ):
            raise ValueError("label must be a name, labels a list of names")
        regions = [{"type": "class", "labels": labels}]
    else:
        raise ValueError("give the answer as regions, label or labels")
    return item_id, regions

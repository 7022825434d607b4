"""Annotations: create, update with a row version, delete, list."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

from pydantic import TypeAdapter, ValidationError
from sqlalchemy import Connection, RowMapping, bindparam, delete, select, update

from annotary.core.checks import Target, region_problems
from annotary.core.ids import is_id
from annotary.core.models import (
    ROLE_RANK,
    Annotation,
    AnnotationState,
    Origin,
    Project,
    Role,
    User,
)
from annotary.core.regions import Region
from annotary.errors import InvalidInput, NotFound, PermissionDenied, StaleVersion
from annotary.services.audit import record
from annotary.services.items import can_see_item, item_row
from annotary.services.projects import load_project
from annotary.services.users import now, require_role
from annotary.services.workspace import Workspace
from annotary.storage import tables as t


@functools.cache
def _regions() -> TypeAdapter[list[Region]]:
    # Built on first use: building the union's validator costs import time.
    return TypeAdapter(list[Region])


DONE_STATES = ("submitted", "accepted")

# Statements of the submit path, built once (see services.queue).
_ann = t.annotations
_asg = t.assignments
_DONE_OF_ITEM = select(
    _ann.c.author, _ann.c.origin, _ann.c.state, _ann.c.regions
).where((_ann.c.item_id == bindparam("iid")) & _ann.c.state.in_(DONE_STATES))
_SET_ITEM_STATE = (
    update(t.items)
    .where(t.items.c.id == bindparam("iid"))
    .values(
        annotation_count=bindparam("people"),
        status=bindparam("status"),
        labels=bindparam("labels"),
    )
)
# The item, the person's role in its project and their assignment on it.
_ITEM_FOR = (
    select(
        t.items,
        t.memberships.c.role.label("_role"),
        _asg.c.id.label("_assignment"),
        _asg.c.state.label("_assignment_state"),
    )
    .select_from(t.items)
    .outerjoin(
        t.memberships,
        (t.memberships.c.project_id == t.items.c.project_id)
        & (t.memberships.c.user_id == bindparam("uid")),
    )
    .outerjoin(
        _asg, (_asg.c.item_id == t.items.c.id) & (_asg.c.user_id == bindparam("uid"))
    )
    .where(t.items.c.id == bindparam("iid"))
)
_MINE = (
    select(_ann)
    .where(
        (_ann.c.item_id == bindparam("iid"))
        & (_ann.c.user_id == bindparam("uid"))
        & (_ann.c.origin == "human")
    )
    .order_by(_ann.c.id.desc())
    .limit(1)
)
_INSERT = _ann.insert().returning(*_ann.c)
_HOLD_ONE_MORE = (
    update(t.items)
    .where(t.items.c.id == bindparam("iid"))
    .values(holds=t.items.c.holds + 1)
)
_ASSIGNMENT_DONE = (
    update(_asg)
    .where(_asg.c.id == bindparam("aid"))
    .values(state="done", leased_until=None)
)


def parse_regions(data: Any) -> list[Region]:
    try:
        return _regions().validate_python(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = "regions" + "".join(
            f"[{p}]" if isinstance(p, int) else f".{p}" for p in first["loc"]
        )
        raise InvalidInput(f"{where}: {first['msg']}", field=where) from None


def to_annotation(row: RowMapping) -> Annotation:
    return Annotation(
        id=row["id"],
        item_id=row["item_id"],
        project_id=row["project_id"],
        regions=_regions().validate_python(row["regions"]),
        author=row["author"],
        user_id=row["user_id"],
        origin=Origin(row["origin"]),
        model_name=row["model_name"],
        model_version=row["model_version"],
        parent_id=row["parent_id"],
        guideline_version=row["guideline_version"],
        state=AnnotationState(row["state"]),
        lead_time=row["lead_time"],
        version=row["version"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


def check_regions(
    project: Project, item: Mapping[Any, Any], regions: list[Region]
) -> None:
    """Refuse regions the project or the item does not allow (see core.checks).

    Raises:
        InvalidInput: naming the first bad region's index and what is wrong.
    """
    problems = region_problems(
        project.label_schema, Target.of(item["text"], item["media"]), regions
    )
    if problems:
        first = problems[0]
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise InvalidInput(first.message + more, field=first.field)


def _labels_of(regions: list[dict[str, Any]]) -> set[str]:
    found: set[str] = set()
    for region in regions:
        if region.get("label"):
            found.add(region["label"])
        found.update(region.get("labels") or [])
    return found


def refresh_item(conn: Connection, item_id: int, overlap: int) -> None:
    """Recompute an item's count of people who finished it, status and labels.

    One read of the item's finished annotations and one update.
    """
    # People, not annotations: a reviewer's fix or a re-submit counts once;
    # an imported label set (no author) counts as one more person.
    people_seen: set[str] = set()
    labels: set[str] = set()
    reviewed = False
    for author, origin, state, regions in conn.execute(_DONE_OF_ITEM, {"iid": item_id}):
        if origin in ("human", "imported"):
            people_seen.add("(imported)" if author is None else author)
        labels |= _labels_of(regions)
        reviewed = reviewed or state == "accepted"
    people = len(people_seen)
    if reviewed and people >= overlap:
        status = "reviewed"
    elif people >= overlap:
        status = "done"
    elif people > 0:
        status = "in_progress"
    else:
        status = "new"
    conn.execute(
        _SET_ITEM_STATE,
        {
            "iid": item_id,
            "people": people,
            "status": status,
            "labels": "|" + "|".join(sorted(labels)) + "|" if labels else "",
        },
    )


def _finish_assignment(
    conn: Connection,
    project_id: int,
    item_id: int,
    user_id: int,
    known: tuple[int | None, str | None] | None = None,
) -> None:
    """Mark the person's assignment on the item done (make one if none).

    ``known``: the assignment's (id, state) when the caller already read it.
    """
    if known is not None:
        row: Any = None if known[0] is None else known
    else:
        row = conn.execute(
            select(_asg.c.id, _asg.c.state).where(
                (_asg.c.item_id == item_id) & (_asg.c.user_id == user_id)
            )
        ).first()
    if row is None:
        conn.execute(
            t.assignments.insert().values(
                project_id=project_id,
                item_id=item_id,
                user_id=user_id,
                state="done",
                is_gold=False,
                leased_until=None,
                created_at=now(),
            )
        )
        conn.execute(_HOLD_ONE_MORE, {"iid": item_id})
        return
    assignment_id, state = row
    if state != "done":
        if state == "skipped":
            conn.execute(_HOLD_ONE_MORE, {"iid": item_id})
        conn.execute(_ASSIGNMENT_DONE, {"aid": assignment_id})


def _item_for(conn: Connection, item_id: int, actor: User | None) -> RowMapping:
    """The item's row for a new annotation by ``actor``, checked like
    `item_row` + `can_see_item`, with the actor's role and assignment on it
    (``_role``, ``_assignment``, ``_assignment_state``) in one query."""
    if not is_id(item_id):
        raise NotFound(f"no item with id {item_id}")
    uid = actor.id if actor is not None else -1
    row = conn.execute(_ITEM_FOR, {"iid": item_id, "uid": uid}).mappings().first()
    if row is None:
        raise NotFound(f"no item with id {item_id}")
    if actor is None or actor.is_admin:
        return row
    if row["_role"] is None:
        raise NotFound(f"no project with id {row['project_id']}")
    if Role(row["_role"]) == Role.annotator and row["_assignment"] is None:
        raise PermissionDenied("the queue has not given you this item")
    return row


def _role_in(row: RowMapping, actor: User | None) -> Role:
    if actor is None or actor.is_admin:
        return Role.admin
    return Role(row["_role"])


def create_annotation(
    ws: Workspace,
    item_id: int,
    regions: list[Any],
    *,
    actor: User | None = None,
    state: str = "submitted",
    lead_time: float | None = None,
    parent_id: int | None = None,
    origin: str = "human",
    model_name: str | None = None,
    model_version: str | None = None,
) -> Annotation:
    parsed = parse_regions(regions)
    state_value = AnnotationState(state)
    if state_value not in (AnnotationState.draft, AnnotationState.submitted):
        raise InvalidInput("a new annotation is a draft or submitted", field="state")
    with ws.db.write() as conn:
        item = _item_for(conn, item_id, actor)
        project = load_project(conn, item["project_id"])
        check_regions(project, item, parsed)
        if origin != "human":
            role = _role_in(item, actor)
            if ROLE_RANK[role] < ROLE_RANK[Role.manager]:
                raise PermissionDenied(
                    f"this needs the manager role in the project; you are {role.value}"
                )
        elif actor is not None:
            _one_per_person(conn, item_id, actor, item["_assignment_state"])
        if parent_id is not None:
            parent = conn.execute(
                select(t.annotations.c.item_id).where(t.annotations.c.id == parent_id)
            ).scalar()
            if parent != item_id:
                raise InvalidInput(
                    "parent_id is no annotation of this item", field="parent_id"
                )
        stamp = now()
        created = (
            conn.execute(
                _INSERT,
                {
                    "project_id": project.id,
                    "item_id": item_id,
                    "user_id": actor.id if actor and origin == "human" else None,
                    "author": (actor.username if actor else None)
                    if origin == "human"
                    else model_name,
                    "origin": origin,
                    "model_name": model_name,
                    "model_version": model_version,
                    "parent_id": parent_id,
                    "guideline_version": project.guideline_version,
                    "state": state_value.value,
                    "regions": [r.model_dump(mode="json") for r in parsed],
                    "lead_time": lead_time,
                    "version": 1,
                    "created_at": stamp,
                    "updated_at": stamp,
                },
            )
            .mappings()
            .one()
        )
        aid = created["id"]
        if origin == "human" and actor is not None and state_value == "submitted":
            known = (item["_assignment"], item["_assignment_state"])
            _finish_assignment(conn, project.id, item_id, actor.id, known)
        refresh_item(conn, item_id, project.settings.overlap)
        record(
            conn,
            "annotation.create",
            project_id=project.id,
            user=actor,
            target=str(aid),
            data={"item_id": item_id, "state": state_value.value},
        )
        made = to_annotation(created)
    if origin == "human" and state_value == AnnotationState.submitted:
        _after_submit(ws, project)
    return made


def _one_per_person(
    conn: Connection, item_id: int, actor: User, assignment_state: str | None
) -> None:
    """A person has one annotation per item; a second create is a conflict.

    Two tabs of one person would otherwise each add an annotation; the second
    gets the first to reconcile with, like a stale update.
    """
    if assignment_state == "skipped":
        raise PermissionDenied(f"you skipped item {item_id}; it is no longer yours")
    mine = conn.execute(_MINE, {"iid": item_id, "uid": actor.id}).mappings().first()
    if mine is not None:
        raise StaleVersion(
            f"you already have annotation {mine['id']} on item {item_id}; "
            "update it instead",
            current=to_annotation(mine).model_dump(mode="json"),
        )


def annotation_row(conn: Connection, annotation_id: int) -> RowMapping:
    """The stored row of one annotation, or NotFound."""
    row = (
        conn.execute(select(t.annotations).where(t.annotations.c.id == annotation_id))
        .mappings()
        .first()
    )
    if row is None:
        raise NotFound(f"no annotation with id {annotation_id}")
    return row


def _load(conn: Connection, annotation_id: int) -> Annotation:
    row = (
        conn.execute(select(t.annotations).where(t.annotations.c.id == annotation_id))
        .mappings()
        .first()
    )
    if row is None:
        raise NotFound(f"no annotation with id {annotation_id}")
    return to_annotation(row)


def _may_edit(conn: Connection, actor: User | None, row: RowMapping) -> None:
    role = require_role(conn, actor, row["project_id"], Role.annotator)
    if role != Role.annotator:
        return
    if actor is None or row["user_id"] != actor.id:
        raise PermissionDenied("you may change only your own annotations")
    if row["state"] == "accepted":
        raise PermissionDenied(
            f"annotation {row['id']} was accepted in review; a reviewer may change it"
        )


def get_annotation(
    ws: Workspace, annotation_id: int, *, actor: User | None = None
) -> Annotation:
    with ws.db.read() as conn:
        row = annotation_row(conn, annotation_id)
        role = require_role(conn, actor, row["project_id"], Role.annotator)
        if role == Role.annotator and not _visible_to_annotator(conn, actor, row):
            raise PermissionDenied("this annotation is someone else's")
        return to_annotation(row)


def _visible_to_annotator(
    conn: Connection, actor: User | None, row: RowMapping
) -> bool:
    if actor is not None and row["user_id"] == actor.id:
        return True
    project = load_project(conn, row["project_id"])
    if row["origin"] == "model":
        can_see_item(conn, actor, item_row(conn, row["item_id"]))
        return True
    return project.settings.show_others_annotations


def update_annotation(
    ws: Workspace,
    annotation_id: int,
    *,
    version: int,
    actor: User | None = None,
    regions: list[Any] | None = None,
    state: str | None = None,
    lead_time: float | None = None,
) -> Annotation:
    """Change an annotation if nobody changed it since ``version``; else 409."""
    parsed = parse_regions(regions) if regions is not None else None
    with ws.db.write() as conn:
        row = annotation_row(conn, annotation_id)
        _may_edit(conn, actor, row)
        project = load_project(conn, row["project_id"])
        item = item_row(conn, row["item_id"])
        values: dict[str, Any] = {"version": row["version"] + 1, "updated_at": now()}
        if parsed is not None:
            check_regions(project, item, parsed)
            values["regions"] = [r.model_dump(mode="json") for r in parsed]
            values["guideline_version"] = project.guideline_version
        if state is not None:
            new_state = AnnotationState(state)
            role = require_role(conn, actor, project.id, Role.annotator)
            if new_state in ("accepted", "rejected") and role == Role.annotator:
                raise PermissionDenied("only reviewers accept or reject annotations")
            values["state"] = new_state.value
        if lead_time is not None:
            values["lead_time"] = lead_time
        changed = conn.execute(
            update(t.annotations)
            .where(
                (t.annotations.c.id == annotation_id)
                & (t.annotations.c.version == version)
            )
            .values(**values)
        ).rowcount
        if not changed:
            current = _load(conn, annotation_id)
            raise StaleVersion(
                f"annotation {annotation_id} changed since version {version} "
                f"(now version {current.version})",
                current=current.model_dump(mode="json"),
            )
        if (
            values.get("state") == "submitted"
            and row["origin"] == "human"
            and row["user_id"] is not None
        ):
            _finish_assignment(conn, project.id, row["item_id"], row["user_id"])
        refresh_item(conn, row["item_id"], project.settings.overlap)
        record(
            conn,
            "annotation.update",
            project_id=project.id,
            user=actor,
            target=str(annotation_id),
            data={"version": values["version"]},
        )
        changed_row = _load(conn, annotation_id)
    if values.get("state") == "submitted" and row["origin"] == "human":
        _after_submit(ws, project)
    return changed_row


def _after_submit(ws: Workspace, project: Project) -> None:
    """Queue a background retrain when the project asks for one every N labels."""
    if project.settings.retrain_every is None:
        return
    # services.prelabel builds on this module; importing it here avoids a cycle.
    from annotary.services.prelabel import maybe_schedule_retrain

    maybe_schedule_retrain(ws, project.id)


def delete_annotation(
    ws: Workspace,
    annotation_id: int,
    *,
    version: int | None = None,
    actor: User | None = None,
) -> None:
    with ws.db.write() as conn:
        row = annotation_row(conn, annotation_id)
        _may_edit(conn, actor, row)
        if version is not None and version != row["version"]:
            raise StaleVersion(
                f"annotation {annotation_id} changed since version {version}",
                current=to_annotation(row).model_dump(mode="json"),
            )
        conn.execute(delete(t.annotations).where(t.annotations.c.id == annotation_id))
        project = load_project(conn, row["project_id"])
        refresh_item(conn, row["item_id"], project.settings.overlap)
        record(
            conn,
            "annotation.delete",
            project_id=project.id,
            user=actor,
            target=str(annotation_id),
        )


def list_annotations(
    ws: Workspace, item_id: int, *, actor: User | None = None
) -> list[Annotation]:
    with ws.db.read() as conn:
        item = item_row(conn, item_id)
        can_see_item(conn, actor, item)
        role = require_role(conn, actor, item["project_id"], Role.annotator)
        rows = (
            conn.execute(
                select(t.annotations)
                .where(t.annotations.c.item_id == item_id)
                .order_by(t.annotations.c.id)
            )
            .mappings()
            .all()
        )
        if role == Role.annotator:
            rows = [r for r in rows if _visible_to_annotator(conn, actor, r)]
        return [to_annotation(r) for r in rows]

"""Items: adding them in batches, listing them, and deciding about them."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterable, Sequence
from typing import Any

import orjson
from sqlalchemy import Connection, RowMapping, and_, exists, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert

from annotary.core.ids import is_id, parse_id
from annotary.core.models import (
    Item,
    ItemDraft,
    ItemStatus,
    MediaRef,
    Role,
    TextDraft,
    User,
)
from annotary.errors import InvalidInput, NotFound, PermissionDenied
from annotary.services.audit import record
from annotary.services.users import now, require_role, role_of
from annotary.services.workspace import Workspace
from annotary.storage import tables as t

SPLIT_NAME = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
SORTS = {
    "id": t.items.c.id,
    "status": t.items.c.status,
    "annotations": t.items.c.annotation_count,
    "split": t.items.c.split,
}
MAX_PAGE = 1000


def to_item(row: RowMapping) -> Item:
    media = row["media"]
    return Item(
        id=row["id"],
        project_id=row["project_id"],
        external_id=row["external_id"],
        text=row["text"],
        media=MediaRef.model_validate(media) if media else None,
        meta=row["meta"] or {},
        status=ItemStatus(row["status"]),
        split=row["split"],
        excluded=row["excluded"],
        exclude_reason=row["exclude_reason"],
        content_hash=row["content_hash"],
        annotation_count=row["annotation_count"],
        created_at=row["created_at"],
    )


Draft = ItemDraft | TextDraft


def insert_drafts(
    conn: Connection,
    project_id: int,
    drafts: Sequence[Draft],
    ranks: Sequence[int],
) -> dict[str, int]:
    """Insert one batch; drafts whose content hash is already there are skipped.

    Returns content hash -> item id for the rows this batch added.
    """
    if not drafts:
        return {}
    if conn.engine.dialect.name == "sqlite":
        before = conn.execute(
            select(func.coalesce(func.max(t.items.c.id), 0))
        ).scalar_one()
        _insert_sqlite(conn, project_id, drafts, ranks)
        # SQLite has one writer: the rows above the old highest id are ours.
        added = conn.execute(
            select(t.items.c.content_hash, t.items.c.id).where(
                (t.items.c.project_id == project_id) & (t.items.c.id > before)
            )
        )
        return {h: i for h, i in added}
    return {h: i for h, i in _insert_pg(conn, project_id, drafts, ranks)}


def insert_drafts_counted(
    conn: Connection,
    project_id: int,
    drafts: Sequence[Draft],
    ranks: Sequence[int],
) -> int:
    """`insert_drafts` for a batch that needs no ids back: how many were added."""
    if not drafts:
        return 0
    if conn.engine.dialect.name == "sqlite":
        return _insert_sqlite(conn, project_id, drafts, ranks)
    return len(_insert_pg(conn, project_id, drafts, ranks))


def _insert_pg(
    conn: Connection,
    project_id: int,
    drafts: Sequence[Draft],
    ranks: Sequence[int],
) -> list[tuple[str, int]]:
    created = now()
    rows = [
        {
            "project_id": project_id,
            "external_id": d.external_id,
            "content_hash": d.content_hash,
            "text": d.text,
            "media": _media_json(d),
            "meta": d.meta,
            "status": "new",
            "split": d.split,
            "excluded": d.excluded,
            "exclude_reason": d.exclude_reason,
            "rank": ranks[i],
            "holds": 0,
            "annotation_count": 0,
            "labels": "",
            "created_at": created,
        }
        for i, d in enumerate(drafts)
    ]
    stmt = pg_insert(t.items).on_conflict_do_nothing(
        index_elements=["project_id", "content_hash"]
    )
    added = conn.execute(stmt.returning(t.items.c.content_hash, t.items.c.id), rows)
    return [(h, i) for h, i in added]


def _media_json(draft: Draft) -> dict[str, Any] | None:
    if draft.media is None:
        return None
    return draft.media.model_dump(mode="json", exclude_none=True)


_SQLITE_INSERT = (
    "INSERT INTO items (project_id, external_id, content_hash, text, media, meta, "
    "status, split, excluded, exclude_reason, rank, holds, annotation_count, labels, "
    "created_at) VALUES (?, ?, ?, ?, ?, ?, 'new', ?, ?, ?, ?, 0, 0, '', ?) "
    "ON CONFLICT (project_id, content_hash) DO NOTHING"
)


def _insert_sqlite(
    conn: Connection,
    project_id: int,
    drafts: Sequence[Draft],
    ranks: Sequence[int],
) -> int:
    """The hot path of big imports: one executemany on the driver's cursor.

    Values are encoded as SQLAlchemy would store them (JSON text, naive UTC
    timestamps), so reads through the tables see no difference. Returns how
    many rows were added (the others were already there).
    """
    stamp = now().strftime("%Y-%m-%d %H:%M:%S.%f")
    dumps = orjson.dumps
    no_media = "null"
    rows = [
        (
            project_id,
            d.external_id,
            d.content_hash,
            d.text,
            no_media if d.media is None else dumps(_media_json(d)).decode(),
            dumps(d.meta).decode(),
            d.split,
            d.excluded,
            d.exclude_reason,
            rank,
            stamp,
        )
        for d, rank in zip(drafts, ranks, strict=True)
    ]
    driver = conn.connection.driver_connection
    assert driver is not None  # a live SQLite connection
    cursor = driver.executemany(_SQLITE_INSERT, rows)
    return int(cursor.rowcount)


def next_rank(conn: Connection, project_id: int) -> int:
    return (
        int(
            conn.execute(
                select(func.coalesce(func.max(t.items.c.rank), -1)).where(
                    t.items.c.project_id == project_id
                )
            ).scalar_one()
        )
        + 1
    )


def existing_hashes(
    conn: Connection, project_id: int, hashes: Iterable[str]
) -> set[str]:
    wanted = list(set(hashes))
    found: set[str] = set()
    for start in range(0, len(wanted), 900):
        chunk = wanted[start : start + 900]
        found.update(
            conn.execute(
                select(t.items.c.content_hash).where(
                    (t.items.c.project_id == project_id)
                    & (t.items.c.content_hash.in_(chunk))
                )
            ).scalars()
        )
    return found


def can_see_item(conn: Connection, actor: User | None, item: RowMapping) -> None:
    role = require_role(conn, actor, item["project_id"], Role.annotator)
    if role != Role.annotator or actor is None:
        return
    given = conn.execute(
        select(t.assignments.c.id).where(
            (t.assignments.c.item_id == item["id"])
            & (t.assignments.c.user_id == actor.id)
        )
    ).first()
    if given is None:
        raise PermissionDenied("the queue has not given you this item")


def item_row(conn: Connection, item_id: int) -> RowMapping:
    if not is_id(item_id):
        raise NotFound(f"no item with id {item_id}")
    row = (
        conn.execute(select(t.items).where(t.items.c.id == item_id)).mappings().first()
    )
    if row is None:
        raise NotFound(f"no item with id {item_id}")
    return row


def get_item(ws: Workspace, item_id: int, *, actor: User | None = None) -> Item:
    with ws.db.read() as conn:
        row = item_row(conn, item_id)
        can_see_item(conn, actor, row)
        return to_item(row)


def _encode_cursor(values: list[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode()


def _decode_cursor(cursor: str) -> list[Any]:
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except ValueError:
        raise InvalidInput(
            "cursor is not one this server gave out", field="cursor"
        ) from None
    if (
        not isinstance(values, list)
        or len(values) != 2
        or not isinstance(values[1], int)
        or not all(v is None or isinstance(v, str | int | float) for v in values)
    ):
        raise InvalidInput("cursor is not one this server gave out", field="cursor")
    return values


def list_items(
    ws: Workspace,
    project_id: int,
    *,
    actor: User | None = None,
    cursor: str | None = None,
    limit: int = 50,
    status: str | None = None,
    label: str | None = None,
    annotator: int | str | None = None,
    split: str | None = None,
    q: str | None = None,
    excluded: bool | None = None,
    sort: str = "id",
) -> dict[str, Any]:
    """One page of items, keyset-paginated on (sort key, id)."""
    descending = sort.startswith("-")
    key = sort[1:] if descending else sort
    if key not in SORTS:
        raise InvalidInput(
            f"sort {sort!r} is not one of {', '.join(SORTS)}", field="sort"
        )
    if not 1 <= limit <= MAX_PAGE:
        raise InvalidInput(f"limit must be 1 to {MAX_PAGE}", field="limit")
    column = SORTS[key]

    with ws.db.read() as conn:
        role = require_role(conn, actor, project_id, Role.annotator)
        where = [t.items.c.project_id == project_id]
        if role == Role.annotator and actor is not None:
            where.append(
                exists().where(
                    (t.assignments.c.item_id == t.items.c.id)
                    & (t.assignments.c.user_id == actor.id)
                )
            )
        if status:
            where.append(t.items.c.status == status)
        if split:
            where.append(
                t.items.c.split.is_(None)
                if split == "none"
                else t.items.c.split == split
            )
        if excluded is not None:
            where.append(t.items.c.excluded == excluded)
        if label:
            where.append(t.items.c.labels.contains(f"|{label}|", autoescape=True))
        if annotator is not None:
            uid = _user_id(conn, annotator)
            where.append(
                exists().where(
                    (t.annotations.c.item_id == t.items.c.id)
                    & (t.annotations.c.user_id == uid)
                )
            )
        if q:
            pattern = q.lower()
            where.append(
                or_(
                    func.lower(t.items.c.text).contains(pattern, autoescape=True),
                    func.lower(t.items.c.external_id).contains(
                        pattern, autoescape=True
                    ),
                )
            )
        total = conn.execute(select(func.count()).where(and_(*where))).scalar()
        page_where = list(where)
        if cursor:
            last_key, last_id = _decode_cursor(cursor)
            if descending:
                page_where.append(
                    or_(
                        column < last_key,
                        and_(column == last_key, t.items.c.id < last_id),
                    )
                )
            else:
                page_where.append(
                    or_(
                        column > last_key,
                        and_(column == last_key, t.items.c.id > last_id),
                    )
                )
        order = (
            [column.desc(), t.items.c.id.desc()]
            if descending
            else [column.asc(), t.items.c.id.asc()]
        )
        rows = (
            conn.execute(
                select(t.items)
                .where(and_(*page_where))
                .order_by(*order)
                .limit(limit + 1)
            )
            .mappings()
            .all()
        )
        page = rows[:limit]
        ids = [row["id"] for row in page]
        annotators = _annotators_of(conn, ids)
        items = []
        for row in page:
            data = to_item(row).model_dump(mode="json")
            data["labels"] = [x for x in row["labels"].split("|") if x]
            data["annotators"] = annotators.get(row["id"], [])
            items.append(data)
        next_cursor = None
        if len(rows) > limit:
            last = page[-1]
            next_cursor = _encode_cursor(
                [last[key if key != "annotations" else "annotation_count"], last["id"]]
            )
    return {"items": items, "next_cursor": next_cursor, "total": total}


def _user_id(conn: Connection, annotator: int | str) -> int:
    if isinstance(annotator, int) or (
        str(annotator).isascii() and str(annotator).isdigit()
    ):
        uid = parse_id(annotator)
        if uid is None:
            raise NotFound(f"no user with id {annotator}", field="annotator")
        return uid
    uid = conn.execute(
        select(t.users.c.id).where(t.users.c.username == annotator)
    ).scalar()
    if uid is None:
        raise NotFound(f"no user {annotator!r}", field="annotator")
    return int(uid)


def _annotators_of(conn: Connection, item_ids: list[int]) -> dict[int, list[str]]:
    if not item_ids:
        return {}
    rows = conn.execute(
        select(t.annotations.c.item_id, t.users.c.username)
        .join(t.users, t.users.c.id == t.annotations.c.user_id)
        .where(t.annotations.c.item_id.in_(item_ids))
        .distinct()
    ).all()
    out: dict[int, list[str]] = {}
    for item_id, username in rows:
        out.setdefault(item_id, []).append(username)
    return out


def update_item(
    ws: Workspace,
    item_id: int,
    *,
    actor: User | None = None,
    excluded: bool | None = None,
    exclude_reason: str | None = None,
    split: str | None = None,
) -> Item:
    with ws.db.write() as conn:
        row = item_row(conn, item_id)
        require_role(conn, actor, row["project_id"], Role.manager)
        values: dict[str, Any] = {}
        if excluded is not None:
            values["excluded"] = excluded
            values["exclude_reason"] = (
                (exclude_reason or "excluded by hand") if excluded else None
            )
        if split is not None:
            if split and not SPLIT_NAME.match(split):
                raise InvalidInput(
                    f"split {split[:40]!r}: use 1 to 32 letters, digits, '-' or '_'",
                    field="split",
                )
            values["split"] = split or None
        if values:
            conn.execute(
                update(t.items).where(t.items.c.id == item_id).values(**values)
            )
            record(
                conn,
                "item.update",
                project_id=row["project_id"],
                user=actor,
                target=str(item_id),
                data=values,
            )
        return to_item(item_row(conn, item_id))


def bulk_update(
    ws: Workspace,
    project_id: int,
    ids: list[int],
    action: str,
    *,
    actor: User | None = None,
    reason: str | None = None,
) -> int:
    """Exclude, include or requeue many items of one project at once."""
    if action not in ("exclude", "include", "requeue"):
        raise InvalidInput(
            f"action {action!r} is not exclude, include or requeue", field="action"
        )
    with ws.db.write() as conn:
        require_role(conn, actor, project_id, Role.manager)
        scope = (t.items.c.project_id == project_id) & t.items.c.id.in_(ids)
        if action == "exclude":
            values: dict[str, Any] = {
                "excluded": True,
                "exclude_reason": reason or "excluded by hand",
            }
        elif action == "include":
            values = {"excluded": False, "exclude_reason": None}
        else:
            conn.execute(
                t.assignments.delete().where(
                    (t.assignments.c.project_id == project_id)
                    & t.assignments.c.item_id.in_(ids)
                    & (t.assignments.c.state == "active")
                )
            )
            values = {"excluded": False, "exclude_reason": None}
        changed = conn.execute(update(t.items).where(scope).values(**values)).rowcount
        if action == "requeue":
            from annotary.services.queue import recount_holds

            recount_holds(conn, project_id, ids)
        record(
            conn,
            f"items.{action}",
            project_id=project_id,
            user=actor,
            data={"count": changed, "ids": ids[:1000]},
        )
    return int(changed)


def is_visible_role(conn: Connection, actor: User | None, project_id: int) -> bool:
    role = role_of(conn, actor, project_id)
    return role is not None and role != Role.annotator

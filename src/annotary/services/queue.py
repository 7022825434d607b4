"""The labeling queue: which item a person gets next.

An item is open to a person while fewer people hold it than the project's
overlap, and the person has never held it. "Holding" is an active lease or a
finished assignment; ``items.holds`` counts both so that the choice is one
indexed lookup and one conditional update, correct under concurrency on SQLite
(one writer) and PostgreSQL (row locks, ``SKIP LOCKED``).
"""

from __future__ import annotations

import functools
import hashlib
from datetime import timedelta
from typing import Any

from sqlalchemy import (
    Connection,
    Text,
    bindparam,
    cast,
    delete,
    exists,
    func,
    literal_column,
    select,
    update,
)

from annotary.core.models import (
    ROLE_RANK,
    Annotation,
    Item,
    ProjectSettings,
    QueueOrder,
    Role,
    User,
)
from annotary.errors import NotFound, PermissionDenied
from annotary.services.audit import record
from annotary.services.items import item_row, to_item
from annotary.services.projects import load_project
from annotary.services.users import now, require_role
from annotary.services.workspace import Workspace
from annotary.storage import tables as t

_MAX_TRIES = 50

# The hot path's statements are built once: building SQLAlchemy expressions
# per call cost more than running them. Parameters are bound by name.
_a = t.assignments
_i = t.items
_SETTINGS_AND_ROLE = (
    select(cast(t.projects.c.settings, Text), t.memberships.c.role)
    .select_from(t.projects)
    .outerjoin(
        t.memberships,
        (t.memberships.c.project_id == t.projects.c.id)
        & (t.memberships.c.user_id == bindparam("uid")),
    )
    .where(t.projects.c.id == bindparam("pid"))
)
_EXPIRED = (
    delete(_a)
    .where(
        (_a.c.project_id == bindparam("pid"))
        & (_a.c.state == "active")
        & (_a.c.leased_until < bindparam("now", type_=_a.c.leased_until.type))
    )
    .returning(_a.c.item_id)
)
_RELEASE_HOLD = (
    update(_i).where(_i.c.id == bindparam("iid")).values(holds=_i.c.holds - 1)
)
_HELD = (
    select(_a.c.id, _a.c.item_id)
    .where(
        (_a.c.project_id == bindparam("pid"))
        & (_a.c.user_id == bindparam("uid"))
        & (_a.c.state == "active")
    )
    .order_by(_a.c.id)
    .limit(1)
)
_RENEW = (
    update(_a)
    .where(_a.c.id == bindparam("aid"))
    .values(leased_until=bindparam("until", type_=_a.c.leased_until.type))
)
_LEASE = _a.insert().values(
    project_id=bindparam("pid"),
    item_id=bindparam("iid"),
    user_id=bindparam("uid"),
    state="active",
    is_gold=bindparam("gold"),
    leased_until=bindparam("until", type_=_a.c.leased_until.type),
    created_at=bindparam("now", type_=_a.c.created_at.type),
)
_ITEM = select(_i).where(_i.c.id == bindparam("iid"))
_OWN_DRAFT = (
    select(t.annotations)
    .where(
        (t.annotations.c.item_id == bindparam("iid"))
        & (t.annotations.c.user_id == bindparam("uid"))
        & (t.annotations.c.state == "draft")
    )
    .order_by(t.annotations.c.id.desc())
    .limit(1)
)


def _open_items(postgres: bool) -> Any:
    """Items open to a person at one level of holds, best first."""
    mine = select(_a.c.id).where(
        (_a.c.item_id == _i.c.id) & (_a.c.user_id == bindparam("uid"))
    )
    query = (
        select(_i.c.id)
        .where(
            (_i.c.project_id == bindparam("pid"))
            & (_i.c.excluded == False)  # noqa: E712
            & (_i.c.holds == bindparam("holds"))
            & ~mine.exists()
        )
        .order_by(_i.c.rank, _i.c.id)
        .limit(1)
    )
    if postgres:
        query = query.with_for_update(skip_locked=True, of=_i)
    return query


@functools.cache
def _claim_statements(postgres: bool) -> tuple[Any, Any]:
    """(take one slot and return the item's row, is any item open at all)."""
    # correlate(None): the candidate is its own query over items, not the row
    # the UPDATE is looking at.
    candidate = _open_items(postgres).correlate(None).scalar_subquery()
    take = (
        update(_i)
        .where((_i.c.id == candidate) & (_i.c.holds < bindparam("overlap")))
        .values(holds=_i.c.holds + 1)
        .returning(*_i.c)
    )
    any_open = select(exists(_open_items(False).with_only_columns(literal_column("1"))))
    return take, any_open


@functools.lru_cache(maxsize=512)
def _parse_settings(raw: str) -> ProjectSettings:
    """Settings from their stored JSON text; the text is read every time, so a
    change (from any process) takes effect at once, only the parse is cached."""
    return ProjectSettings.model_validate_json(raw)


def shuffle_rank(seed: int, content_hash: str) -> int:
    """A stable pseudo-random position for an item, from the seed and its content."""
    digest = hashlib.blake2b(f"{seed}:{content_hash}".encode(), digest_size=7).digest()
    return int.from_bytes(digest, "big")


def rerank(conn: Connection, project_id: int, settings: ProjectSettings) -> None:
    """Recompute queue positions after the order or the seed changed.

    Under "uncertainty" the ranks are the model's: ``services.prelabel.retrain``
    sets them, so they are left as they are (the previous order serves until
    the first retrain).
    """
    if settings.queue_order == QueueOrder.uncertainty:
        return
    rows = conn.execute(
        select(t.items.c.id, t.items.c.content_hash)
        .where(t.items.c.project_id == project_id)
        .order_by(t.items.c.id)
    ).all()
    if settings.queue_order == QueueOrder.random:
        ranks = [{"i": i, "r": shuffle_rank(settings.seed, h)} for i, h in rows]
    else:
        ranks = [{"i": i, "r": n} for n, (i, _h) in enumerate(rows)]
    if ranks:
        conn.execute(
            update(t.items)
            .where(t.items.c.id == bindparam("i"))
            .values(rank=bindparam("r")),
            ranks,
        )


def reclaim_expired(conn: Connection, project_id: int) -> int:
    """Free the slots of leases nobody finished in time."""
    gone = conn.execute(_EXPIRED, {"pid": project_id, "now": now()}).scalars().all()
    for item_id in gone:
        conn.execute(_RELEASE_HOLD, {"iid": item_id})
    return len(gone)


def recount_holds(conn: Connection, project_id: int, item_ids: list[int]) -> None:
    for item_id in item_ids:
        held = conn.execute(
            select(func.count()).where(
                (t.assignments.c.item_id == item_id)
                & t.assignments.c.state.in_(("active", "done"))
            )
        ).scalar()
        conn.execute(update(t.items).where(t.items.c.id == item_id).values(holds=held))


def project_settings(conn: Connection, project_id: int) -> ProjectSettings:
    """Only the settings: the queue's hot path skips the schema."""
    raw = conn.execute(
        select(t.projects.c.settings).where(t.projects.c.id == project_id)
    ).scalar()
    if raw is None:
        raise NotFound(f"no project with id {project_id}")
    return ProjectSettings.model_validate(raw)


def next_item(ws: Workspace, project_id: int, user: User) -> Item | None:
    """Lease the next item to ``user``, or None when nothing is left for them."""
    found = next_item_with_draft(ws, project_id, user)
    return found[0] if found is not None else None


def next_item_with_draft(
    ws: Workspace, project_id: int, user: User
) -> tuple[Item, Annotation | None] | None:
    """Lease the next item to ``user``, with their newest draft annotation on it.

    One write transaction of a few prepared statements: the role and the
    settings in one lookup, expired leases freed, the lease renewed or a slot
    taken with one ``UPDATE ... RETURNING`` that also returns the item.
    """
    with ws.db.write() as conn:
        settings = _settings_for(conn, project_id, user)
        stamp = now()
        lease_until = stamp + timedelta(minutes=settings.lease_minutes)
        reclaim_expired(conn, project_id)

        held = conn.execute(_HELD, {"pid": project_id, "uid": user.id}).first()
        if held is not None:
            conn.execute(_RENEW, {"aid": held.id, "until": lease_until})
            again = conn.execute(_ITEM, {"iid": held.item_id}).mappings().one()
            return to_item(again), _own_draft(conn, held.item_id, user.id)

        row: Any = None
        gold = settings.gold_rate > 0 and _gold_turn(
            conn, project_id, user.id, settings.gold_rate, settings.seed
        )
        if gold:
            item_id = _gold_item(conn, project_id, user.id)
            if item_id is not None:
                row = item_row(conn, item_id)
        if row is None:
            gold = False
            row = _claim_row(conn, project_id, user.id, settings.overlap)
        if row is None:
            return None
        conn.execute(
            _LEASE,
            {
                "pid": project_id,
                "iid": row["id"],
                "uid": user.id,
                "gold": gold,
                "until": lease_until,
                "now": stamp,
            },
        )
        return to_item(row), _own_draft(conn, row["id"], user.id)


def _settings_for(conn: Connection, project_id: int, user: User) -> ProjectSettings:
    """The project's settings, once the user is known to be at least an annotator."""
    found = conn.execute(
        _SETTINGS_AND_ROLE, {"pid": project_id, "uid": user.id}
    ).first()
    if found is None or (found[1] is None and not user.is_admin):
        raise NotFound(f"no project with id {project_id}")
    role = Role.admin if user.is_admin else Role(found[1])
    if ROLE_RANK[role] < ROLE_RANK[Role.annotator]:  # pragma: no cover - lowest role
        raise PermissionDenied("this needs the annotator role in the project")
    return _parse_settings(found[0])


def _own_draft(conn: Connection, item_id: int, user_id: int) -> Annotation | None:
    from annotary.services.annotations import to_annotation

    row = conn.execute(_OWN_DRAFT, {"iid": item_id, "uid": user_id}).mappings().first()
    return to_annotation(row) if row is not None else None


def _gold_turn(
    conn: Connection, project_id: int, user_id: int, rate: float, seed: int
) -> bool:
    """Whether this person's next item is a gold one: a seeded, stable draw."""
    served = conn.execute(
        select(func.count()).where(
            (t.assignments.c.project_id == project_id)
            & (t.assignments.c.user_id == user_id)
        )
    ).scalar_one()
    digest = hashlib.blake2b(
        f"gold:{seed}:{user_id}:{served}".encode(), digest_size=8
    ).digest()
    return int.from_bytes(digest, "big") / 2**64 < rate


def _gold_item(conn: Connection, project_id: int, user_id: int) -> int | None:
    """A gold item this person has not seen; gold items ignore the overlap."""
    mine = select(t.assignments.c.id).where(
        (t.assignments.c.item_id == t.gold_answers.c.item_id)
        & (t.assignments.c.user_id == user_id)
    )
    found = conn.execute(
        select(t.gold_answers.c.item_id)
        .join(t.items, t.items.c.id == t.gold_answers.c.item_id)
        .where(
            (t.gold_answers.c.project_id == project_id)
            & (t.items.c.excluded == False)  # noqa: E712
            & ~mine.exists()
        )
        .order_by(t.items.c.rank, t.items.c.id)
        .limit(1)
    ).scalar()
    return int(found) if found is not None else None


def _claim_row(
    conn: Connection, project_id: int, user_id: int, overlap: int
) -> Any | None:
    """Take one open slot and return the item's row; items others hold come first.

    One ``UPDATE ... WHERE id = (best open item) AND holds < overlap RETURNING``
    per try. On SQLite the transaction is the only writer, so it cannot lose a
    race; on PostgreSQL the candidate is locked with ``SKIP LOCKED``, and when
    the update finds nothing the cheap check below tells "nothing open at this
    level" (go down a level) from "another person took it first" (try again).
    """
    postgres = conn.engine.dialect.name == "postgresql"
    take, any_open = _claim_statements(postgres)
    for holds in range(overlap - 1, -1, -1):
        params = {"pid": project_id, "uid": user_id, "holds": holds, "overlap": overlap}
        for _ in range(_MAX_TRIES):
            row = conn.execute(take, params).mappings().first()
            if row is not None:
                return row
            if not postgres or not conn.execute(any_open, params).scalar():
                break
    return None


def skip_item(ws: Workspace, project_id: int, item_id: int, user: User) -> None:
    """Give an item back for good: this person will not get it again."""
    _leave(ws, project_id, item_id, user, keep=True)


def release_item(ws: Workspace, project_id: int, item_id: int, user: User) -> None:
    """Give a leased item back; the person may get it again later."""
    _leave(ws, project_id, item_id, user, keep=False)


def _leave(
    ws: Workspace, project_id: int, item_id: int, user: User, *, keep: bool
) -> None:
    with ws.db.write() as conn:
        require_role(conn, user, project_id, Role.annotator)
        row = conn.execute(
            select(t.assignments.c.id).where(
                (t.assignments.c.project_id == project_id)
                & (t.assignments.c.item_id == item_id)
                & (t.assignments.c.user_id == user.id)
                & (t.assignments.c.state == "active")
            )
        ).first()
        if row is None:
            raise NotFound(f"you hold no lease on item {item_id}")
        if keep:
            conn.execute(
                update(t.assignments)
                .where(t.assignments.c.id == row.id)
                .values(state="skipped", leased_until=None)
            )
        else:
            conn.execute(delete(t.assignments).where(t.assignments.c.id == row.id))
        conn.execute(
            update(t.items)
            .where(t.items.c.id == item_id)
            .values(holds=t.items.c.holds - 1)
        )
        record(
            conn,
            "queue.skip" if keep else "queue.release",
            project_id=project_id,
            user=user,
            target=str(item_id),
        )


def queue_stats(
    ws: Workspace, project_id: int, *, actor: User | None = None
) -> dict[str, Any]:
    with ws.db.read() as conn:
        require_role(conn, actor, project_id, Role.manager)
        project = load_project(conn, project_id)
        open_items = conn.execute(
            select(func.count()).where(
                (t.items.c.project_id == project_id)
                & (t.items.c.excluded == False)  # noqa: E712
                & (t.items.c.holds < project.settings.overlap)
            )
        ).scalar()
        active = conn.execute(
            select(func.count()).where(
                (t.assignments.c.project_id == project_id)
                & (t.assignments.c.state == "active")
            )
        ).scalar()
    return {"open_items": open_items, "active_leases": active}

"""The labeling queue: which item a person gets next.

An item is open to a person while fewer people hold it than the project's
overlap, and the person has never held it. "Holding" is an active lease or a
finished assignment; ``items.holds`` counts both so that the choice is one
indexed lookup and one conditional update, correct under concurrency on SQLite
(one writer) and PostgreSQL (row locks, ``SKIP LOCKED``).
"""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any

from sqlalchemy import Connection, bindparam, delete, func, select, update

from annotary.core.models import Item, ProjectSettings, QueueOrder, Role, User
from annotary.errors import NotFound
from annotary.services.audit import record
from annotary.services.items import item_row, to_item
from annotary.services.projects import load_project
from annotary.services.users import now, require_role
from annotary.services.workspace import Workspace
from annotary.storage import tables as t

_MAX_TRIES = 50


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
    gone = (
        conn.execute(
            delete(t.assignments)
            .where(
                (t.assignments.c.project_id == project_id)
                & (t.assignments.c.state == "active")
                & (t.assignments.c.leased_until < now())
            )
            .returning(t.assignments.c.item_id)
        )
        .scalars()
        .all()
    )
    for item_id in gone:
        conn.execute(
            update(t.items)
            .where(t.items.c.id == item_id)
            .values(holds=t.items.c.holds - 1)
        )
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
    with ws.db.write() as conn:
        require_role(conn, user, project_id, Role.annotator)
        settings = project_settings(conn, project_id)
        lease_until = now() + timedelta(minutes=settings.lease_minutes)
        reclaim_expired(conn, project_id)

        held = conn.execute(
            select(t.assignments.c.id, t.assignments.c.item_id)
            .where(
                (t.assignments.c.project_id == project_id)
                & (t.assignments.c.user_id == user.id)
                & (t.assignments.c.state == "active")
            )
            .order_by(t.assignments.c.id)
            .limit(1)
        ).first()
        if held is not None:
            conn.execute(
                update(t.assignments)
                .where(t.assignments.c.id == held.id)
                .values(leased_until=lease_until)
            )
            return to_item(item_row(conn, held.item_id))

        item_id = None
        gold = settings.gold_rate > 0 and _gold_turn(
            conn, project_id, user.id, settings.gold_rate, settings.seed
        )
        if gold:
            item_id = _gold_item(conn, project_id, user.id)
        if item_id is None:
            gold = False
            item_id = _claim(conn, project_id, user.id, settings.overlap)
        if item_id is None:
            return None
        conn.execute(
            t.assignments.insert().values(
                project_id=project_id,
                item_id=item_id,
                user_id=user.id,
                state="active",
                is_gold=gold,
                leased_until=lease_until,
                created_at=now(),
            )
        )
        return to_item(item_row(conn, item_id))


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


def _claim(conn: Connection, project_id: int, user_id: int, overlap: int) -> int | None:
    """Take one open slot; items that others already hold come first."""
    postgres = conn.engine.dialect.name == "postgresql"
    for holds in range(overlap - 1, -1, -1):
        for _ in range(_MAX_TRIES):
            mine = select(t.assignments.c.id).where(
                (t.assignments.c.item_id == t.items.c.id)
                & (t.assignments.c.user_id == user_id)
            )
            query = (
                select(t.items.c.id)
                .where(
                    (t.items.c.project_id == project_id)
                    & (t.items.c.excluded == False)  # noqa: E712
                    & (t.items.c.holds == holds)
                    & ~mine.exists()
                )
                .order_by(t.items.c.rank, t.items.c.id)
                .limit(1)
            )
            if postgres:
                query = query.with_for_update(skip_locked=True, of=t.items)
            candidate = conn.execute(query).scalar()
            if candidate is None:
                break
            taken = conn.execute(
                update(t.items)
                .where((t.items.c.id == candidate) & (t.items.c.holds < overlap))
                .values(holds=t.items.c.holds + 1)
            ).rowcount
            if taken:
                return int(candidate)
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

"""Project membership changes made by a person, with the checks that needs.

``services.users.set_role`` and ``remove_member`` are the unchecked building
blocks the CLI uses as the system; these wrap them for a logged-in actor.
"""

from __future__ import annotations

from sqlalchemy import Connection, delete, select

from annotary.core.models import ROLE_RANK, Role, User
from annotary.errors import NotFound, PermissionDenied
from annotary.services.audit import record
from annotary.services.users import parse_role, require_role
from annotary.services.workspace import Workspace
from annotary.storage import tables as t


def _current_role(conn: Connection, project_id: int, user_id: int) -> Role | None:
    value = conn.execute(
        select(t.memberships.c.role).where(
            (t.memberships.c.project_id == project_id)
            & (t.memberships.c.user_id == user_id)
        )
    ).scalar()
    return Role(value) if value else None


def _check_may_change(
    conn: Connection,
    actor: User | None,
    project_id: int,
    user_id: int,
    new: Role | None,
) -> None:
    """Managers manage annotators, reviewers and managers; only admins touch admins."""
    mine = require_role(conn, actor, project_id, Role.manager)
    exists = conn.execute(select(t.users.c.id).where(t.users.c.id == user_id)).first()
    if exists is None:
        raise NotFound(f"no user with id {user_id}", field="user_id")
    theirs = _current_role(conn, project_id, user_id)
    touched = [r for r in (theirs, new) if r is not None]
    if any(ROLE_RANK[r] > ROLE_RANK[mine] for r in touched):
        raise PermissionDenied(
            f"a {mine.value} cannot give or take the admin role; ask a project admin"
        )
    if actor is not None and actor.id == user_id and new != theirs:
        raise PermissionDenied("you cannot change your own role in a project")


def set_member(
    ws: Workspace,
    project_id: int,
    user_id: int,
    role: str,
    *,
    actor: User | None = None,
) -> dict[str, object]:
    """Give ``user_id`` ``role`` in the project (add or change a membership)."""
    new = parse_role(role)
    with ws.db.write() as conn:
        _check_may_change(conn, actor, project_id, user_id, new)
        conn.execute(
            delete(t.memberships).where(
                (t.memberships.c.project_id == project_id)
                & (t.memberships.c.user_id == user_id)
            )
        )
        conn.execute(
            t.memberships.insert().values(
                project_id=project_id, user_id=user_id, role=new.value
            )
        )
        username = conn.execute(
            select(t.users.c.username).where(t.users.c.id == user_id)
        ).scalar_one()
        record(
            conn,
            "member.set",
            project_id=project_id,
            user=actor,
            target=str(user_id),
            data={"role": new.value},
        )
    return {"user_id": user_id, "username": username, "role": new.value}


def remove_member(
    ws: Workspace, project_id: int, user_id: int, *, actor: User | None = None
) -> None:
    """Take ``user_id`` out of the project; NotFound when they were no member."""
    with ws.db.write() as conn:
        _check_may_change(conn, actor, project_id, user_id, None)
        gone = conn.execute(
            delete(t.memberships).where(
                (t.memberships.c.project_id == project_id)
                & (t.memberships.c.user_id == user_id)
            )
        ).rowcount
        if not gone:
            raise NotFound(f"user {user_id} is no member of project {project_id}")
        record(
            conn,
            "member.remove",
            project_id=project_id,
            user=actor,
            target=str(user_id),
        )

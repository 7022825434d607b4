"""Users, passwords, API tokens and project roles."""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Connection, RowMapping, bindparam, delete, select, update

from annotary.core.models import ROLE_RANK, Role, User
from annotary.errors import (
    Conflict,
    InvalidInput,
    NotAuthenticated,
    NotFound,
    PermissionDenied,
)
from annotary.services.workspace import Workspace
from annotary.storage import inserted_id
from annotary.storage import tables as t

_hasher = PasswordHasher()
TOKEN_PREFIX = "ann_"


def now() -> datetime:
    return datetime.now(UTC)


def _user(row: RowMapping) -> User:
    return User(
        id=row["id"],
        username=row["username"],
        is_admin=row["is_admin"],
        active=row["active"],
    )


def create_user(
    ws: Workspace, username: str, password: str | None, *, is_admin: bool = False
) -> User:
    username = username.strip()
    if not username or len(username) > 150:
        raise InvalidInput("username must be 1 to 150 characters", field="username")
    if password is not None and len(password) < 8:
        raise InvalidInput("password must be at least 8 characters", field="password")
    hashed = _hasher.hash(password) if password is not None else None
    with ws.db.write() as conn:
        if conn.execute(
            select(t.users.c.id).where(t.users.c.username == username)
        ).first():
            raise Conflict(f"user {username!r} exists", field="username")
        uid = inserted_id(
            conn.execute(
                t.users.insert().values(
                    username=username,
                    password_hash=hashed,
                    is_admin=is_admin,
                    active=True,
                    created_at=now(),
                )
            )
        )
    return User(id=uid, username=username, is_admin=is_admin)


def set_password(ws: Workspace, username: str, password: str) -> None:
    if len(password) < 8:
        raise InvalidInput("password must be at least 8 characters", field="password")
    with ws.db.write() as conn:
        uid = conn.execute(
            select(t.users.c.id).where(t.users.c.username == username)
        ).scalar()
        if uid is None:
            raise NotFound(f"no user {username!r}")
        conn.execute(
            update(t.users)
            .where(t.users.c.id == uid)
            .values(password_hash=_hasher.hash(password))
        )
        # A new password ends every browser session opened with the old one.
        conn.execute(delete(t.sessions).where(t.sessions.c.user_id == uid))


def authenticate(ws: Workspace, username: str, password: str) -> User:
    with ws.db.read() as conn:
        row = (
            conn.execute(select(t.users).where(t.users.c.username == username))
            .mappings()
            .first()
        )
    if row is None or not row["password_hash"] or not row["active"]:
        # Hash anyway so a missing user takes as long as a wrong password.
        _hasher.hash(password)
        raise NotAuthenticated("wrong username or password")
    try:
        _hasher.verify(row["password_hash"], password)
    except (VerificationError, InvalidHashError):
        raise NotAuthenticated("wrong username or password") from None
    return _user(row)


def get_user(ws: Workspace, user_id: int) -> User:
    with ws.db.read() as conn:
        row = (
            conn.execute(select(t.users).where(t.users.c.id == user_id))
            .mappings()
            .first()
        )
    if row is None:
        raise NotFound(f"no user with id {user_id}")
    return _user(row)


def find_user(ws: Workspace, username: str) -> User:
    with ws.db.read() as conn:
        row = (
            conn.execute(select(t.users).where(t.users.c.username == username))
            .mappings()
            .first()
        )
    if row is None:
        raise NotFound(f"no user {username!r}")
    return _user(row)


def list_users(ws: Workspace) -> list[User]:
    with ws.db.read() as conn:
        rows = conn.execute(select(t.users).order_by(t.users.c.id)).mappings().all()
    return [_user(row) for row in rows]


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(ws: Workspace, user: User, name: str = "default") -> str:
    """A new API token for ``user``; only its hash is stored, so show it once."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with ws.db.write() as conn:
        conn.execute(
            t.api_tokens.insert().values(
                user_id=user.id,
                name=name,
                token_hash=_token_hash(token),
                prefix=token[:8],
                created_at=now(),
            )
        )
    return token


_USER_FOR_TOKEN = (
    select(t.users)
    .join(t.api_tokens, t.api_tokens.c.user_id == t.users.c.id)
    .where(t.api_tokens.c.token_hash == bindparam("hash"))
)


def user_for_token(ws: Workspace, token: str) -> User:
    with ws.db.read() as conn:
        row = (
            conn.execute(_USER_FOR_TOKEN, {"hash": _token_hash(token)})
            .mappings()
            .first()
        )
    if row is None or not row["active"]:
        raise NotAuthenticated("invalid API token")
    return _user(row)


# Browser sessions -----------------------------------------------------------


def open_session(ws: Workspace, user: User, hours: float) -> tuple[str, str]:
    """A new server-side session for ``user``: (session token, CSRF token).

    Only the token's hash is stored; the plain token goes into the cookie.
    """
    token = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(24)
    started = now()
    with ws.db.write() as conn:
        conn.execute(
            delete(t.sessions).where(
                (t.sessions.c.user_id == user.id) & (t.sessions.c.expires_at < started)
            )
        )
        conn.execute(
            t.sessions.insert().values(
                token_hash=_token_hash(token),
                user_id=user.id,
                csrf_token=csrf,
                created_at=started,
                expires_at=started + timedelta(hours=hours),
            )
        )
    return token, csrf


def session_user(ws: Workspace, token: str) -> tuple[User, str]:
    """The user and CSRF token of a live session; 401 when it has ended."""
    with ws.db.read() as conn:
        row = (
            conn.execute(
                select(t.users, t.sessions.c.csrf_token, t.sessions.c.expires_at)
                .join(t.sessions, t.sessions.c.user_id == t.users.c.id)
                .where(t.sessions.c.token_hash == _token_hash(token))
            )
            .mappings()
            .first()
        )
    if row is None:
        raise NotAuthenticated("your session has ended; log in again")
    expires = row["expires_at"]
    if expires.tzinfo is None:  # SQLite hands back naive UTC
        expires = expires.replace(tzinfo=UTC)
    if expires <= now():
        raise NotAuthenticated("your session has expired; log in again")
    if not row["active"]:
        raise NotAuthenticated("this account is deactivated")
    return _user(row), row["csrf_token"]


def close_session(ws: Workspace, token: str) -> None:
    """End one session on the server; a no-op when it is already gone."""
    with ws.db.write() as conn:
        conn.execute(
            delete(t.sessions).where(t.sessions.c.token_hash == _token_hash(token))
        )


def close_sessions(ws: Workspace, user: User) -> int:
    """End every browser session of ``user``; how many there were."""
    with ws.db.write() as conn:
        return conn.execute(
            delete(t.sessions).where(t.sessions.c.user_id == user.id)
        ).rowcount


def revoke_tokens(ws: Workspace, user: User) -> int:
    with ws.db.write() as conn:
        return conn.execute(
            delete(t.api_tokens).where(t.api_tokens.c.user_id == user.id)
        ).rowcount


# Roles -------------------------------------------------------------------


def parse_role(value: Role | str) -> Role:
    """A role from its name; a clear error naming the roles otherwise."""
    try:
        return Role(value)
    except ValueError:
        names = ", ".join(r.value for r in Role)
        raise InvalidInput(
            f"role {value!r} is not one of {names}", field="role"
        ) from None


def set_role(ws: Workspace, project_id: int, user_id: int, role: Role | str) -> None:
    role = parse_role(role)
    with ws.db.write() as conn:
        conn.execute(
            delete(t.memberships).where(
                (t.memberships.c.project_id == project_id)
                & (t.memberships.c.user_id == user_id)
            )
        )
        conn.execute(
            t.memberships.insert().values(
                project_id=project_id, user_id=user_id, role=role.value
            )
        )


def remove_member(ws: Workspace, project_id: int, user_id: int) -> None:
    with ws.db.write() as conn:
        conn.execute(
            delete(t.memberships).where(
                (t.memberships.c.project_id == project_id)
                & (t.memberships.c.user_id == user_id)
            )
        )


def role_of(conn: Connection, user: User | None, project_id: int) -> Role | None:
    """The user's role in a project; None (the CLI, the system) acts as admin."""
    if user is None or user.is_admin:
        return Role.admin
    value = conn.execute(
        select(t.memberships.c.role).where(
            (t.memberships.c.project_id == project_id)
            & (t.memberships.c.user_id == user.id)
        )
    ).scalar()
    return Role(value) if value else None


def require_role(
    conn: Connection, user: User | None, project_id: int, least: Role
) -> Role:
    """The user's role, if it is at least ``least``; otherwise PermissionDenied.

    A user who is no member of the project gets NotFound, so project ids do not
    leak to people outside it.
    """
    role = role_of(conn, user, project_id)
    if role is None:
        raise NotFound(f"no project with id {project_id}")
    if ROLE_RANK[role] < ROLE_RANK[least]:
        raise PermissionDenied(
            f"this needs the {least.value} role in the project; you are {role.value}"
        )
    return role

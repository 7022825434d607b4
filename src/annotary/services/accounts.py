"""Accounts as a logged-in person sees them: users (admins only) and tokens."""

from __future__ import annotations

from annotary.core.models import User
from annotary.errors import InvalidInput, NotAuthenticated, PermissionDenied
from annotary.services import users
from annotary.services.workspace import Workspace


def _require_admin(actor: User | None) -> None:
    if actor is not None and not actor.is_admin:
        raise PermissionDenied("only a workspace admin manages users")


def list_users(ws: Workspace, *, actor: User | None = None) -> list[User]:
    """Every user; workspace admins only."""
    _require_admin(actor)
    return users.list_users(ws)


def add_user(
    ws: Workspace,
    username: str,
    password: str,
    *,
    is_admin: bool = False,
    actor: User | None = None,
) -> User:
    """A new user with a password; workspace admins only."""
    _require_admin(actor)
    return users.create_user(ws, username, password, is_admin=is_admin)


def new_token(ws: Workspace, name: str, *, actor: User | None) -> str:
    """A new API token for the actor themself; the plain token is shown once."""
    if actor is None:
        raise NotAuthenticated("log in to create an API token")
    name = name.strip() or "default"
    if len(name) > 200:
        raise InvalidInput("token name must be at most 200 characters", field="name")
    return users.create_token(ws, actor, name)

"""Login, logout and who am I."""

from __future__ import annotations

import contextlib
from typing import Any

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel

from annotary.core.models import User
from annotary.errors import NotAuthenticated
from annotary.server.auth import (
    WS,
    Actor,
    end_session,
    optional_user,
    read_session,
    start_session,
)
from annotary.services import users

router = APIRouter(prefix="/auth", tags=["auth"])


class Login(BaseModel):
    username: str
    password: str


def _user_json(user: User) -> dict[str, Any]:
    return {"id": user.id, "username": user.username, "is_admin": user.is_admin}


@router.post("/login")
def login(body: Login, ws: WS, request: Request, response: Response) -> dict[str, Any]:
    """Check the password, set the session cookie, return the CSRF token."""
    user = users.authenticate(ws, body.username, body.password)
    csrf = start_session(ws, request, response, user)
    return {"user": _user_json(user), "csrf_token": csrf}


@router.post("/logout", status_code=204)
def logout(ws: WS, request: Request, response: Response) -> None:
    """End the session on the server too: its cookie is worthless afterwards.

    Like every write it needs the session's CSRF token, so another site
    cannot log a person out; a session that has already ended just has its
    cookie cleared.
    """
    with contextlib.suppress(NotAuthenticated):
        optional_user(request)
    end_session(ws, request, response)


@router.get("/me")
def me(ws: WS, request: Request, user: Actor) -> dict[str, Any]:
    """The caller and, for a browser session, its CSRF token (null for tokens)."""
    session = (
        None if request.headers.get("Authorization") else read_session(ws, request)
    )
    csrf = session.csrf_token if session else None
    return {"user": _user_json(user), "csrf_token": csrf}

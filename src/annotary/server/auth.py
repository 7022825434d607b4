"""Who is asking: signed session cookies with a CSRF token, or API tokens.

A login opens a session on the server (services.users.open_session) and sets
an HttpOnly, SameSite=Lax cookie holding its random token, signed with the
workspace's secret key (itsdangerous); the database keeps only the token's
hash, so logging out or changing the password ends the session for good. The
session's CSRF token is also returned to the page, which sends it back in
``X-CSRF-Token`` on every write; a cross-site form can send the cookie but
cannot read the token.
``Authorization: Token ...`` needs no CSRF token: browsers never add it.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request, Response
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from annotary.core.models import User
from annotary.errors import NotAuthenticated, PermissionDenied
from annotary.services import users
from annotary.services.workspace import Workspace

COOKIE = "annotary_session"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_SALT = "annotary.session.v2"


@dataclass(frozen=True)
class Session:
    """A verified browser session: the user and the CSRF token bound to it."""

    user: User
    csrf_token: str


def workspace_of(request: Request) -> Workspace:
    ws: Workspace = request.app.state.workspace
    return ws


def _serializer(ws: Workspace) -> URLSafeTimedSerializer:
    if not ws.settings.secret_key:
        raise NotAuthenticated("the workspace has no secret_key; sessions are off")
    return URLSafeTimedSerializer(ws.settings.secret_key, salt=_SALT)


def start_session(
    ws: Workspace, request: Request, response: Response, user: User
) -> str:
    """Open a session, set its signed cookie on ``response``; its CSRF token."""
    serializer = _serializer(ws)
    token, csrf = users.open_session(ws, user, ws.settings.session_hours)
    value = serializer.dumps({"sid": token})
    response.set_cookie(
        COOKIE,
        value,
        max_age=int(ws.settings.session_hours * 3600),
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        path="/",
    )
    return csrf


def end_session(ws: Workspace, request: Request, response: Response) -> None:
    """End the request's session on the server and clear its cookie."""
    raw = request.cookies.get(COOKIE)
    if raw and ws.settings.secret_key:
        try:
            data = _serializer(ws).loads(raw)
        except BadSignature:
            data = None
        if isinstance(data, dict) and isinstance(data.get("sid"), str):
            users.close_session(ws, data["sid"])
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="lax")


def read_session(ws: Workspace, request: Request) -> Session | None:
    """The session in the request's cookie, None without one; 401 when bad."""
    raw = request.cookies.get(COOKIE)
    if not raw:
        return None
    max_age = int(ws.settings.session_hours * 3600)
    try:
        data: dict[str, Any] = _serializer(ws).loads(raw, max_age=max_age)
    except SignatureExpired:
        raise NotAuthenticated("your session has expired; log in again") from None
    except BadSignature:
        raise NotAuthenticated("the session cookie is invalid; log in again") from None
    token = data.get("sid") if isinstance(data, dict) else None
    if not isinstance(token, str):
        raise NotAuthenticated("the session cookie is invalid; log in again")
    user, csrf = users.session_user(ws, token)
    return Session(user=user, csrf_token=csrf)


def _token_user(ws: Workspace, header: str) -> User:
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "token" or not token.strip():
        raise NotAuthenticated(
            "the Authorization header must read 'Token <your API token>'"
        )
    return users.user_for_token(ws, token.strip())


def _check_csrf(request: Request, session: Session) -> None:
    if request.method in SAFE_METHODS:
        return
    sent = request.headers.get(CSRF_HEADER, "")
    if not sent or not hmac.compare_digest(sent, session.csrf_token):
        raise PermissionDenied(
            f"missing or wrong {CSRF_HEADER} header; send the csrf_token "
            "from /api/v1/auth/login or /api/v1/auth/me",
            reason="csrf",
        )


def optional_user(request: Request) -> User | None:
    """The authenticated user, or None for an anonymous request."""
    ws = workspace_of(request)
    header = request.headers.get("Authorization")
    if header:
        return _token_user(ws, header)
    session = read_session(ws, request)
    if session is None:
        return None
    _check_csrf(request, session)
    return session.user


async def current_user(
    user: Annotated[User | None, Depends(optional_user)],
) -> User:
    """The authenticated user; 401 for anonymous requests.

    ``async`` because it does no I/O: FastAPI runs a plain ``def`` dependency
    in its thread pool, a hop that costs more than the check.
    """
    if user is None:
        raise NotAuthenticated(
            "log in, or send 'Authorization: Token <your API token>'"
        )
    return user


async def _workspace(request: Request) -> Workspace:
    """`workspace_of` as a dependency, run on the event loop (no thread hop)."""
    return workspace_of(request)


Actor = Annotated[User, Depends(current_user)]
WS = Annotated[Workspace, Depends(_workspace)]

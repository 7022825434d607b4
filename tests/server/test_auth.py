"""Login sessions, CSRF on cookie writes, API tokens, headers, the UI's files."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from itsdangerous import TimestampSigner, URLSafeTimedSerializer

from annotary.server.auth import COOKIE
from annotary.services import users

PASSWORD = "correct horse"


@pytest.fixture
def alice(live: Any) -> Any:
    return users.create_user(live.workspace, "alice", PASSWORD)


def login(client: httpx.Client, password: str = PASSWORD) -> httpx.Response:
    return client.post(
        "/api/v1/auth/login", json={"username": "alice", "password": password}
    )


@pytest.mark.parametrize(
    ("username", "password", "status"),
    [
        ("alice", PASSWORD, 200),
        ("alice", "wrong password", 401),
        ("alice", "", 401),
        ("nobody", PASSWORD, 401),
        ("ALICE", PASSWORD, 401),
    ],
)
def test_login(
    live: Any, alice: Any, username: str, password: str, status: int
) -> None:
    with live.client() as client:
        got = client.post(
            "/api/v1/auth/login", json={"username": username, "password": password}
        )
    assert got.status_code == status
    if status == 401:
        assert got.json() == {
            "code": "annotary.unauthenticated",
            "message": "wrong username or password",
            "details": {},
        }
        assert COOKIE not in got.cookies
    else:
        body = got.json()
        assert body["user"] == {"id": alice.id, "username": "alice", "is_admin": False}
        assert len(body["csrf_token"]) >= 24


def test_session_cookie_flags(live: Any, alice: Any) -> None:
    with live.client() as client:
        got = login(client)
    cookie = got.headers["set-cookie"]
    assert cookie.startswith(f"{COOKIE}=")
    flags = {part.strip().lower() for part in cookie.split(";")[1:]}
    assert "httponly" in flags
    assert "samesite=lax" in flags
    assert "max-age=43200" in flags  # session_hours 12 by default
    assert "path=/" in flags


def _may_create_projects(ws: Any, user: Any) -> None:
    """Project creation is for workspace admins and project managers."""
    from annotary.services import projects

    managed = projects.create_project(ws, f"managed-{user.id}", "text")
    users.set_role(ws, managed.id, user.id, "manager")


def test_csrf_enforced_on_cookie_writes(live: Any, alice: Any) -> None:
    _may_create_projects(live.workspace, alice)
    new = {"name": "p", "kind": "text"}
    with live.client() as client:
        csrf = login(client).json()["csrf_token"]
        assert client.get("/api/v1/projects").status_code == 200

        missing = client.post("/api/v1/projects", json=new)
        assert missing.status_code == 403
        assert missing.json()["details"] == {"reason": "csrf"}
        wrong = client.post(
            "/api/v1/projects", json=new, headers={"X-CSRF-Token": csrf[::-1]}
        )
        assert wrong.status_code == 403
        assert users.list_users(live.workspace)  # nothing else broke
        right = client.post(
            "/api/v1/projects", json=new, headers={"X-CSRF-Token": csrf}
        )
        assert right.status_code == 201
        me = client.get("/api/v1/auth/me").json()
        assert me["csrf_token"] == csrf


def test_token_needs_no_csrf(live: Any, alice: Any) -> None:
    _may_create_projects(live.workspace, alice)
    token = users.create_token(live.workspace, alice)
    with live.client(token) as client:
        made = client.post("/api/v1/projects", json={"name": "p", "kind": "text"})
        assert made.status_code == 201
        assert client.get("/api/v1/auth/me").json() == {
            "user": {"id": alice.id, "username": "alice", "is_admin": False},
            "csrf_token": None,
        }


@pytest.mark.parametrize(
    "header",
    ["Token ann_not-a-real-token", "Bearer whatever", "Token", "ann_xyz"],
)
def test_bad_authorization_header(live: Any, alice: Any, header: str) -> None:
    with live.client() as client:
        got = client.get("/api/v1/projects", headers={"Authorization": header})
    assert got.status_code == 401
    assert got.json()["code"] == "annotary.unauthenticated"


def test_tampered_and_expired_cookies(live: Any, alice: Any) -> None:
    secret = live.workspace.settings.secret_key

    class Past(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time()) - 13 * 3600

    token, _ = users.open_session(live.workspace, alice, 12)
    old = URLSafeTimedSerializer(secret, salt="annotary.session.v2", signer=Past).dumps(
        {"sid": token}
    )
    forged = URLSafeTimedSerializer("not the secret", salt="annotary.session.v2").dumps(
        {"sid": token}
    )
    # A signed cookie from before sessions lived on the server names no session.
    legacy = URLSafeTimedSerializer(secret, salt="annotary.session.v2").dumps(
        {"uid": alice.id, "csrf": "x"}
    )
    unknown = URLSafeTimedSerializer(secret, salt="annotary.session.v2").dumps(
        {"sid": "made-up"}
    )
    for value, message in [
        (old, "your session has expired; log in again"),
        (forged, "the session cookie is invalid; log in again"),
        (legacy, "the session cookie is invalid; log in again"),
        (unknown, "your session has ended; log in again"),
    ]:
        with live.client() as client:
            client.cookies.set(COOKIE, value)
            got = client.get("/api/v1/projects")
        assert got.status_code == 401
        assert got.json()["message"] == message


def logout(client: httpx.Client, csrf: str) -> httpx.Response:
    return client.post("/api/v1/auth/logout", headers={"X-CSRF-Token": csrf})


def test_logout_ends_the_session(live: Any, alice: Any) -> None:
    with live.client() as client:
        csrf = login(client).json()["csrf_token"]
        assert client.get("/api/v1/auth/me").status_code == 200
        stolen = client.cookies[COOKIE]
        # Without the CSRF token (a forged cross-site form) nothing happens.
        assert client.post("/api/v1/auth/logout").status_code == 403
        assert client.get("/api/v1/auth/me").status_code == 200
        assert logout(client, csrf).status_code == 204
        assert client.get("/api/v1/auth/me").status_code == 401
    # The cookie is dead on the server, not only dropped by the browser.
    with live.client() as replay:
        replay.cookies.set(COOKIE, stolen)
        got = replay.get("/api/v1/auth/me")
    assert got.status_code == 401
    assert got.json()["message"] == "your session has ended; log in again"


def test_other_sessions_survive_one_logout(live: Any, alice: Any) -> None:
    with live.client() as laptop, live.client() as phone:
        csrf = login(laptop).json()["csrf_token"]
        login(phone)
        assert logout(laptop, csrf).status_code == 204
        assert phone.get("/api/v1/auth/me").status_code == 200


def test_password_change_ends_sessions(live: Any, alice: Any) -> None:
    with live.client() as client:
        login(client)
        users.set_password(live.workspace, "alice", "a brand new secret")
        assert client.get("/api/v1/auth/me").status_code == 401
        assert login(client, "a brand new secret").status_code == 200
        assert client.get("/api/v1/auth/me").status_code == 200


def test_session_past_its_expiry_in_the_database(live: Any, alice: Any) -> None:
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import update

    from annotary.storage import tables as t

    with live.client() as client:
        login(client)
        with live.workspace.db.write() as conn:
            conn.execute(
                update(t.sessions).values(
                    expires_at=datetime.now(UTC) - timedelta(minutes=1)
                )
            )
        got = client.get("/api/v1/auth/me")
    assert got.status_code == 401
    assert got.json()["message"] == "your session has expired; log in again"


def test_deactivated_user_is_locked_out(live: Any, alice: Any) -> None:
    from sqlalchemy import update

    from annotary.storage import tables as t

    with live.client() as client:
        login(client)
        with live.workspace.db.write() as conn:
            conn.execute(update(t.users).values(active=False))
        got = client.get("/api/v1/projects")
    assert got.status_code == 401


def test_security_headers_and_docs(live_sqlite: Any) -> None:
    with live_sqlite.client() as client:
        for path in ("/api/v1/health", "/", "/api/docs", "/api/v1/nothing-here"):
            headers = client.get(path).headers
            csp = headers["content-security-policy"]
            assert csp.startswith("default-src 'self'")
            assert "frame-ancestors 'none'" in csp
            assert headers["x-content-type-options"] == "nosniff"
        docs = client.get("/api/docs")
        assert docs.headers["content-type"].startswith("text/html")
        assert "/api/v1/projects/{pid}/queue/next" in docs.text
        assert "<script" not in docs.text
        spec = client.get("/api/openapi.json").json()
        assert "/api/v1/annotations/{aid}" in spec["paths"]
        missing = client.get("/api/v1/nothing-here")
        assert missing.status_code == 404
        assert missing.json()["code"] == "annotary.not_found"


def test_ui_placeholder_without_a_build(sqlite_workspace: Any, tmp_path: Path) -> None:
    from annotary.server import create_app
    from tests.conftest import serve_app

    app = create_app(sqlite_workspace, web_dist=tmp_path / "no-ui")
    for live in serve_app(app, sqlite_workspace):
        with live.client() as client:
            page = client.get("/")
        assert page.status_code == 200
        assert "has not been built" in page.text


def test_ui_files_and_fallback(sqlite_workspace: Any, tmp_path: Path) -> None:
    from annotary.server import create_app
    from tests.conftest import serve_app

    dist = tmp_path / "dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_text("<!doctype html><p>the ui</p>")
    (dist / "assets" / "app.js").write_text("console.log(1)")
    (tmp_path / "secret.txt").write_text("outside")
    app = create_app(sqlite_workspace, web_dist=dist)
    for live in serve_app(app, sqlite_workspace):
        with live.client() as client:
            assert client.get("/").text == "<!doctype html><p>the ui</p>"
            assert client.get("/projects/3").text == "<!doctype html><p>the ui</p>"
            script = client.get("/assets/app.js")
            assert script.text == "console.log(1)"
            assert "javascript" in script.headers["content-type"]
            assert client.get("/assets/missing.js").status_code == 404
            assert "outside" not in client.get("/..%2fsecret.txt").text
            assert "outside" not in client.get("/assets/..%2f..%2fsecret.txt").text

"""Shared fixtures: a fresh workspace on every database backend.

``workspace`` runs a test once on SQLite and once on PostgreSQL. PostgreSQL is
the server at ``ANNOTARY_TEST_PG_URL`` (default
``postgresql+psycopg://postgres@127.0.0.1:5432/test``); each test gets its own
fresh schema, dropped afterwards. When that server cannot be reached the
PostgreSQL run is skipped with a reason that says so.
"""

from __future__ import annotations

import os
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
import uvicorn
from hypothesis import settings as hypothesis_settings

from annotary.server import create_app
from annotary.services.workspace import Workspace, init_workspace

# CI runs a fixed set of generated examples so that a submission's result does
# not depend on the draw; local runs keep exploring new ones.
hypothesis_settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    hypothesis_settings.load_profile("ci")

PG_URL = os.environ.get(
    "ANNOTARY_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
_pg_problem: list[str | None] = []


def _pg_unavailable() -> str | None:
    """Why PostgreSQL cannot be used (None when it can); asked once per run."""
    if _pg_problem:
        return _pg_problem[0]
    reason: str | None = None
    try:
        import psycopg  # noqa: F401
        from sqlalchemy import create_engine, text

        engine = create_engine(PG_URL, connect_args={"connect_timeout": 3})
        try:
            with engine.connect() as conn:
                conn.execute(text("select 1"))
        finally:
            engine.dispose()
    except ImportError:
        reason = "psycopg is not installed (pip install 'annotary[postgres]')"
    except Exception as exc:  # any driver or network failure means "skip"
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        reason = (
            f"PostgreSQL at ANNOTARY_TEST_PG_URL={PG_URL} is unreachable "
            f"({type(exc).__name__}: {first_line})"
        )
    _pg_problem.append(reason)
    return reason


def _with_search_path(url: str, schema: str) -> str:
    joiner = "&" if "?" in url else "?"
    return f"{url}{joiner}options={quote(f'-csearch_path={schema}')}"


@pytest.fixture
def pg_database_url() -> Iterator[str]:
    """A URL whose connections land in a fresh, empty PostgreSQL schema."""
    reason = _pg_unavailable()
    if reason:
        pytest.skip(reason)
    from sqlalchemy import create_engine, text

    schema = f"t_{uuid.uuid4().hex[:16]}"
    admin = create_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield _with_search_path(PG_URL, schema)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


def _clear_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Settings from the caller's environment must not leak into a test workspace."""
    for name in list(os.environ):
        if name.startswith("ANNOTARY_") and not name.startswith("ANNOTARY_TEST_"):
            monkeypatch.delenv(name)


@pytest.fixture
def sqlite_workspace(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Workspace]:
    """An initialised workspace on SQLite in a temporary folder."""
    _clear_env(monkeypatch)
    ws = init_workspace(tmp_path / "ws")
    try:
        yield ws
    finally:
        ws.close()


@pytest.fixture(params=["sqlite", "postgres"])
def workspace(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Workspace]:
    """An initialised workspace, once per database backend."""
    _clear_env(monkeypatch)
    url = None
    if request.param == "postgres":
        url = request.getfixturevalue("pg_database_url")
    ws = init_workspace(tmp_path / "ws", database_url=url)
    try:
        yield ws
    finally:
        ws.close()


# A real uvicorn server on 127.0.0.1 ---------------------------------------


@dataclass
class Live:
    url: str
    workspace: Workspace

    def client(self, token: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Token {token}"} if token else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=30)


def serve(ws: Workspace) -> Iterator[Live]:
    """Run the app on a free loopback port until the generator is closed."""
    yield from serve_app(create_app(ws), ws)


def serve_app(app: Any, ws: Workspace) -> Iterator[Live]:
    """Run ``app`` on a free loopback port until the generator is closed."""
    # IPPROTO_TCP spelled out: asyncio sets TCP_NODELAY only on sockets whose
    # proto says TCP, and without it keep-alive requests stall on delayed ACKs.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="warning", lifespan="off", ws="none")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]})
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.01)
    try:
        yield Live(url=f"http://127.0.0.1:{port}", workspace=ws)
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


@pytest.fixture
def live(workspace: Workspace) -> Iterator[Live]:
    """The server over ``workspace``: once on SQLite, once on PostgreSQL."""
    yield from serve(workspace)


@pytest.fixture
def live_sqlite(sqlite_workspace: Workspace) -> Iterator[Live]:
    yield from serve(sqlite_workspace)

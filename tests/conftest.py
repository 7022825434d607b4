"""Shared fixtures: workspaces on SQLite and, when reachable, PostgreSQL."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from annotary.services.workspace import Workspace, init_workspace

PG_URL = os.environ.get(
    "ANNOTARY_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
_pg_state: dict[str, str | None] = {}


def _pg_unavailable() -> str | None:
    """None when PostgreSQL answers at PG_URL; otherwise why not."""
    if "reason" in _pg_state:
        return _pg_state["reason"]
    reason = None
    try:
        import psycopg  # noqa: F401
        from sqlalchemy import create_engine, text

        engine = create_engine(PG_URL)
        with engine.connect() as conn:
            conn.execute(text("select 1"))
        engine.dispose()
    except ImportError:
        reason = "psycopg is not installed (pip install 'annotary[postgres]')"
    except Exception as exc:  # noqa: BLE001 - any failure means: skip with reason
        reason = f"PostgreSQL is not reachable at {PG_URL}: {type(exc).__name__}"
    _pg_state["reason"] = reason
    return reason


def _pg_workspace(root: Path) -> Iterator[Workspace]:
    from sqlalchemy import create_engine, text

    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in PG_URL else "?"
    url = f"{PG_URL}{sep}options=-csearch_path%3D{schema}"
    ws = init_workspace(root, database_url=url)
    try:
        yield ws
    finally:
        ws.close()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
def workspace(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Workspace]:
    """An initialised workspace, once per database backend."""
    if request.param == "postgres":
        reason = _pg_unavailable()
        if reason:
            pytest.skip(reason)
        yield from _pg_workspace(tmp_path / "ws")
        return
    ws = init_workspace(tmp_path / "ws")
    try:
        yield ws
    finally:
        ws.close()


@pytest.fixture
def sqlite_workspace(tmp_path: Path) -> Iterator[Workspace]:
    ws = init_workspace(tmp_path / "ws")
    try:
        yield ws
    finally:
        ws.close()

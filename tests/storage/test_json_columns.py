"""JSON columns read back exactly what was written, on both backends."""

from __future__ import annotations

import math
from datetime import UTC, datetime

from sqlalchemy import select

from annotary.services import projects
from annotary.services.workspace import Workspace
from annotary.storage import tables as t
from annotary.storage.engine import read_json


def test_values_orjson_would_change_or_refuse_read_back_unchanged(
    workspace: Workspace,
) -> None:
    project = projects.create_project(workspace, "P", "text")
    meta = {
        "big": -9223372036854775809,  # one past the 64-bit range
        "bigger": 2**70,
        "edge": 9223372036854775807,
        "small": 5,
        "text": "é 😀 \\n",
        "nested": [{"x": 0.1}],
    }
    item_id = _item(workspace, project.id)
    with workspace.db.write() as conn:
        conn.execute(
            t.flags.insert().values(
                project_id=project.id,
                item_id=item_id,
                check="test",
                score=0.0,
                reason="",
                data=meta,
                created_at=datetime.now(UTC),
            )
        )
    with workspace.db.read() as conn:
        stored = conn.execute(select(t.flags.c.data)).scalar_one()

    assert stored == meta
    assert type(stored["big"]) is int and type(stored["bigger"]) is int


def test_nan_written_by_the_standard_library_still_reads() -> None:
    value = read_json('{"score": NaN, "n": 1}')
    assert math.isnan(value["score"]) and value["n"] == 1
    assert read_json(b'{"a": [1, 2.5, "x"]}') == {"a": [1, 2.5, "x"]}
    assert read_json("12345678901234567890123") == 12345678901234567890123


def _item(ws: Workspace, project_id: int) -> int:
    from tests.services.helpers import add_texts

    return add_texts(ws, project_id, ["one"])[0]

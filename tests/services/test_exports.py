"""Records for export: read back from both databases, page by page."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from annotary.services import annotations, exports, projects
from annotary.services.users import now
from annotary.services.workspace import Workspace
from annotary.storage import tables as t
from tests.services.helpers import add_texts

SCHEMA = {"labels": [{"name": "pos"}, {"name": "neg"}]}


def _interleaved(ws: Workspace) -> tuple[int, list[int], list[int]]:
    """Two projects whose item ids alternate: a1 b1 a2 b2 ..."""
    a = projects.create_project(ws, "A", "text", label_schema=SCHEMA).id
    b = projects.create_project(ws, "B", "text", label_schema=SCHEMA).id
    a_ids, b_ids = [], []
    for n in range(5):
        a_ids += add_texts(ws, a, [f"a{n} 👍🏽"])
        b_ids += add_texts(ws, b, [f"b{n}"])
    for item_id in b_ids:
        annotations.create_annotation(ws, item_id, [{"type": "class", "label": "neg"}])
    return a, a_ids, b_ids


def _label(ws: Workspace, item_id: int, label: str, **fields: object) -> int:
    regions = [{"type": "class", "label": label}]
    return annotations.create_annotation(ws, item_id, regions, **fields).id


@pytest.mark.parametrize(
    ("which", "expected"),
    [
        # Item 0: a draft and a submitted; item 1: two submitted, one
        # accepted; item 2: a model prediction only.
        ("final", [["pos"], ["pos"], [], [], []]),
        ("submitted", [["pos"], ["neg", "pos"], [], [], []]),
        ("all", [["neg", "pos"], ["neg", "pos"], ["neg"], [], []]),
    ],
)
def test_records_choose_per_item_across_pages(
    workspace: Workspace,
    monkeypatch: pytest.MonkeyPatch,
    which: str,
    expected: list[list[str]],
) -> None:
    pid, a_ids, _ = _interleaved(workspace)
    _label(workspace, a_ids[0], "neg", state="draft")
    _label(workspace, a_ids[0], "pos")
    _label(workspace, a_ids[1], "neg")
    accepted = _label(workspace, a_ids[1], "pos")
    _label(workspace, a_ids[2], "neg", origin="model")
    with workspace.db.write() as conn:
        conn.execute(
            update(t.annotations)
            .where(t.annotations.c.id == accepted)
            .values(state="accepted")
        )
    # Pages of two items: the id ranges of a page hold the other project's
    # items, whose annotations must not come along.
    monkeypatch.setattr(exports, "PAGE", 2)

    records = list(exports.iter_records(workspace, pid, which=which))

    assert [item.id for item, _ in records] == a_ids
    assert [item.text for item, _ in records][0] == "a0 👍🏽"
    labels = [[r.label for a in anns for r in a.regions] for _, anns in records]
    assert labels == expected
    assert all(a.item_id == item.id for item, anns in records for a in anns)


def test_records_skip_excluded_items_and_carry_flags(workspace: Workspace) -> None:
    pid, a_ids, _ = _interleaved(workspace)
    with workspace.db.write() as conn:
        conn.execute(
            update(t.items).where(t.items.c.id == a_ids[1]).values(excluded=True)
        )
        conn.execute(
            t.flags.insert(),
            [
                {
                    "project_id": pid,
                    "item_id": a_ids[3],
                    "check": "text-length.v1",
                    "score": 0.5,
                    "reason": "short",
                    "data": {"chars": 7},
                    "created_at": now(),
                }
            ],
        )

    records = list(exports.iter_records(workspace, pid))
    assert [item.id for item, _ in records] == [a_ids[0], *a_ids[2:]]
    flagged = {item.id: item.flags for item, _ in records if item.flags}
    assert flagged == {
        a_ids[3]: [
            {
                "check": "text-length.v1",
                "score": 0.5,
                "reason": "short",
                "cluster": None,
                "data": {"chars": 7},
                "decision": None,
            }
        ]
    }
    everything = list(exports.iter_records(workspace, pid, include_excluded=True))
    assert [item.id for item, _ in everything] == a_ids

"""Records for export: read back from both databases, page by page."""

from __future__ import annotations

from pathlib import Path

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


NER = {"labels": [{"name": "PER"}], "tools": ["span"]}


def _overlapping(ws: Workspace) -> int:
    """A project whose second item holds overlapping spans (stored directly)."""
    pid = projects.create_project(ws, "N", "text", label_schema=NER).id
    first, second = add_texts(ws, pid, ["Ada Lovelace", "Bob Babbage"])
    annotations.create_annotation(
        ws, first, [{"type": "span", "start": 0, "end": 3, "label": "PER"}]
    )
    stamp = now()
    spans = [
        {"type": "span", "id": f"r{n}", "start": 0, "end": end, "label": "PER"}
        for n, end in ((1, 3), (2, 11))
    ]
    with ws.db.write() as conn:
        conn.execute(
            t.annotations.insert().values(
                project_id=pid,
                item_id=second,
                origin="imported",
                state="submitted",
                version=1,
                regions=spans,
                created_at=stamp,
                updated_at=stamp,
            )
        )
    return pid


def test_a_failed_export_leaves_nothing_half_written(
    sqlite_workspace: Workspace, tmp_path: Path
) -> None:
    from annotary.errors import FormatError

    pid = _overlapping(sqlite_workspace)
    tmp_path = tmp_path / "exports"
    tmp_path.mkdir()
    out = tmp_path / "ner.conll"
    out.write_text("an earlier export\n", encoding="utf-8")
    with pytest.raises(FormatError, match="overlap"):
        exports.export_project(sqlite_workspace, pid, "conll", out)
    assert out.read_text(encoding="utf-8") == "an earlier export\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ner.conll"]

    fresh = tmp_path / "fresh" / "deeper" / "x.conll"
    with pytest.raises(FormatError):
        exports.export_project(sqlite_workspace, pid, "conll", fresh)
    assert not (tmp_path / "fresh").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ner.conll"]


def test_an_export_into_a_folder_keeps_what_else_is_there(
    sqlite_workspace: Workspace, tmp_path: Path
) -> None:
    pid = projects.create_project(sqlite_workspace, "N", "text", label_schema=NER).id
    add_texts(sqlite_workspace, pid, ["Ada"])
    tmp_path = tmp_path / "exports"
    tmp_path.mkdir()
    out = tmp_path / "out"
    out.mkdir()
    (out / "README.txt").write_text("mine", encoding="utf-8")
    (out / "data.conll").write_text("old", encoding="utf-8")

    report = exports.export_project(sqlite_workspace, pid, "conll", out)

    assert report.files == ["data.conll"]
    assert (out / "data.conll").read_text(encoding="utf-8") == "Ada O\n\n"
    assert (out / "README.txt").read_text(encoding="utf-8") == "mine"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
    file_report = exports.export_project(
        sqlite_workspace, pid, "conll", tmp_path / "x.conll"
    )
    assert file_report.files == ["x.conll"]


def test_an_unknown_export_option_is_refused_by_name(
    sqlite_workspace: Workspace, tmp_path: Path
) -> None:
    from annotary.errors import InvalidInput

    pid = projects.create_project(sqlite_workspace, "N", "text", label_schema=NER).id
    add_texts(sqlite_workspace, pid, ["Ada"])
    with pytest.raises(InvalidInput) as caught:
        exports.export_project(
            sqlite_workspace, pid, "conll", tmp_path / "x.conll", options={"bogus": 1}
        )
    assert caught.value.message == (
        "conll.v1 has no option 'bogus'; it takes: scheme, tokenizer, which"
    )
    assert caught.value.details["field"] == "options"
    assert not (tmp_path / "x.conll").exists()
    report = exports.export_project(
        sqlite_workspace,
        pid,
        "conll",
        tmp_path / "y.conll",
        options={"scheme": "bioes"},
    )
    assert report.items == 1

"""The text import fast path: light rows from the readers straight to the insert."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from sqlalchemy import select

from annotary.core.models import ItemDraft
from annotary.services import imports, projects
from annotary.services.workspace import Workspace
from annotary.storage import tables as t


def _rows(ws: Workspace, project_id: int) -> list[tuple[str, dict, str, int]]:
    with ws.db.read() as conn:
        return [
            (row.text, row.meta, row.content_hash, row.rank)
            for row in conn.execute(
                select(
                    t.items.c.text,
                    t.items.c.meta,
                    t.items.c.content_hash,
                    t.items.c.rank,
                )
                .where(t.items.c.project_id == project_id)
                .order_by(t.items.c.id)
            )
        ]


def test_jsonl_import_stores_text_exactly_and_reports_every_line(
    workspace: Workspace, tmp_path: Path
) -> None:
    project = projects.create_project(workspace, "P", "text")
    source = tmp_path / "data.jsonl"
    source.write_bytes(
        json.dumps({"text": "a\r\nb 😀 ", "label": "pos"}, ensure_ascii=False).encode()
        + b"\n{not json}\n"
        + b'{"text": "caf\xe9"}\n'  # a stray cp1252 byte in a UTF-8 file
        + json.dumps({"text": "a\r\nb 😀 ", "label": "again"}).encode()
        + b"\n"
        + json.dumps({"text": "x" * 40}).encode()
        + b"\n"
        + json.dumps({"text": "second", "n": [1, 2]}).encode()
        + b"\n"
    )
    workspace.settings.max_text_bytes = 32

    report = imports.import_paths(workspace, project.id, [source])

    assert (report.read, report.added, report.duplicates) == (3, 2, 1)
    assert [(r.source.rsplit("/", 1)[-1], r.reason[:15]) for r in report.rejected] == [
        ("data.jsonl:2", "bad JSON: unexp"),
        ("data.jsonl:3", "not valid UTF-8"),
        ("data.jsonl:5", "text is 40 byte"),
    ]
    assert _rows(workspace, project.id) == [
        (
            "a\r\nb 😀 ",
            {"label": "pos"},
            hashlib.sha256("a\r\nb 😀 ".encode()).hexdigest(),
            0,
        ),
        ("second", {"n": [1, 2]}, hashlib.sha256(b"second").hexdigest(), 1),
    ]

    again = imports.import_paths(workspace, project.id, [source])

    assert (again.read, again.added, again.duplicates) == (3, 0, 3)
    assert len(_rows(workspace, project.id)) == 2


def test_batches_continue_the_queue_order_and_dedupe_across_them(
    workspace: Workspace, tmp_path: Path
) -> None:
    project = projects.create_project(workspace, "P", "text")
    first = tmp_path / "first.txt"
    first.write_text("".join(f"line {n}\n" for n in range(7)), encoding="utf-8")
    second = tmp_path / "second.csv"
    second.write_text(
        "text,k\n" + "".join(f"line {n},{n}\n" for n in range(5, 10)), encoding="utf-8"
    )
    imports.BATCH, old = 3, imports.BATCH
    try:
        one = imports.import_paths(workspace, project.id, [first])
        two = imports.import_paths(workspace, project.id, [second])
    finally:
        imports.BATCH = old

    assert (one.read, one.added, one.duplicates) == (7, 7, 0)
    assert (two.read, two.added, two.duplicates) == (5, 3, 2)
    rows = _rows(workspace, project.id)
    # Positions go on from the last one; the two duplicates used up 7 and 8.
    assert [(text, rank) for text, _meta, _hash, rank in rows] == [
        *((f"line {n}", n) for n in range(7)),
        ("line 7", 9),
        ("line 8", 10),
        ("line 9", 11),
    ]
    assert [meta for _text, meta, _hash, _rank in rows[7:]] == [
        {"k": "7"},
        {"k": "8"},
        {"k": "9"},
    ]


def test_light_rows_and_full_drafts_mix_in_one_import(workspace: Workspace) -> None:
    from annotary.core.models import ImportReport, TextDraft

    project = projects.create_project(
        workspace, "P", "text", label_schema={"labels": [{"name": "pos"}]}
    )
    light = TextDraft("plain", {"k": 1}, "a:1", hashlib.sha256(b"plain").hexdigest())
    full = ItemDraft(
        text="with label",
        content_hash=hashlib.sha256(b"with label").hexdigest(),
        annotations=[{"item_id": 0, "regions": [{"type": "class", "label": "pos"}]}],
    )

    report = imports.import_drafts(
        workspace, project.id, [light, full], report=ImportReport(project="P")
    )

    assert (report.read, report.added, report.annotations_added) == (2, 2, 1)
    assert [text for text, *_ in _rows(workspace, project.id)] == [
        "plain",
        "with label",
    ]


def test_one_report_gathers_several_calls(workspace: Workspace) -> None:
    from annotary.core.models import ImportReport, TextDraft

    project = projects.create_project(workspace, "P", "text")
    report = ImportReport(project="P")

    def rows(*texts: str) -> list[TextDraft]:
        return [
            TextDraft(text, {}, f"x:{n}", hashlib.sha256(text.encode()).hexdigest())
            for n, text in enumerate(texts, 1)
        ]

    imports.import_drafts(workspace, project.id, rows("a", "b"), report=report)
    imports.import_drafts(workspace, project.id, rows("b", "c", "d"), report=report)

    assert (report.read, report.added, report.duplicates) == (5, 4, 1)

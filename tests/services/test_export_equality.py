"""The fast export path gives what the plain one gives, on both databases.

``iter_records`` reads pages straight from the driver and ``jsonl.v1`` writes
its lines from the models' field values; the reference here is the plain way:
SQLAlchemy Core rows (with its type processors), ``model_validate`` and
``model_dump(mode="json")``, as the export did before.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from sqlalchemy import select, update

from annotary.core.models import Annotation, Item
from annotary.formats import jsonl
from annotary.services import annotations, exports, imports, items, projects
from annotary.services.users import now
from annotary.services.workspace import Workspace
from annotary.storage import tables as t
from tests.services.helpers import add_texts

SCHEMA = {"labels": [{"name": "cat"}, {"name": "dog"}]}
BIG = 2**70 + 1  # past 64 bits: orjson refuses it, the general writer does not


def _reference(
    ws: Workspace, pid: int, which: str, include_excluded: bool
) -> list[tuple[Item, list[Annotation]]]:
    """The records the plain way: whole tables through SQLAlchemy's processors."""
    with ws.db.read() as conn:
        query = select(t.items).where(t.items.c.project_id == pid)
        if not include_excluded:
            query = query.where(t.items.c.excluded == False)  # noqa: E712
        rows = conn.execute(query.order_by(t.items.c.id)).mappings().all()
        anns = conn.execute(
            select(t.annotations)
            .where(t.annotations.c.project_id == pid)
            .order_by(t.annotations.c.id)
        ).mappings()
        by_item: dict[int, list[dict[str, Any]]] = {}
        for ann in anns:
            by_item.setdefault(ann["item_id"], []).append(dict(ann))
        flags: dict[int, list[dict[str, Any]]] = {}
        flag_rows = conn.execute(
            select(t.flags).where(t.flags.c.project_id == pid).order_by(t.flags.c.id)
        ).mappings()
        for flag in flag_rows:
            flags.setdefault(flag["item_id"], []).append(
                {k: flag[k] for k in ("check", "score", "reason")}
                | {k: flag[k] for k in ("cluster", "data", "decision")}
            )
    records = []
    for row in rows:
        item = Item.model_validate(
            {**row, "media": row["media"] or None, "meta": row["meta"] or {}}
        )
        if row["id"] in flags:
            item.flags = flags[row["id"]]
        chosen = exports._choose(by_item.get(row["id"], []), which)
        records.append((item, [Annotation.model_validate(a) for a in chosen]))
    return records


def _reference_line(item: Item, anns: list[Annotation], file: str | None) -> bytes:
    """The item line as jsonl.v1 wrote it before: model_dump, then orjson."""
    line = item.model_dump(mode="json", include=set(jsonl._ITEM_FIELDS))
    line["annotations"] = [a.model_dump(mode="json") for a in anns]
    if file is not None:
        line["file"] = file
    buffer = io.BytesIO()
    jsonl._write_line(buffer, line)
    return buffer.getvalue()


def _image_project(ws: Workspace, folder: Path) -> tuple[int, list[int]]:
    """Two photos, one of them boxed twice by people and once by a model."""
    folder.mkdir()
    for n, colour in enumerate(("red", "blue")):
        Image.new("RGB", (30 + n, 20), colour).save(folder / f"p{n}.png")
    pid = projects.create_project(ws, "Photos", "image", label_schema=SCHEMA).id
    imports.import_paths(ws, pid, [folder])
    with ws.db.read() as conn:
        ids = list(
            conn.execute(
                select(t.items.c.id)
                .where(t.items.c.project_id == pid)
                .order_by(t.items.c.id)
            ).scalars()
        )
    box = {"type": "bbox", "x": 1.5, "y": 2, "w": 10.25, "h": 5, "label": "cat"}
    annotations.create_annotation(ws, ids[0], [box], lead_time=3.25)
    annotations.create_annotation(
        ws,
        ids[0],
        [{**box, "score": 0.8125, "label": "dog", "attributes": {"n": BIG}}],
        origin="model",
        model_name="detector",
        model_version="2",
    )
    annotations.create_annotation(ws, ids[1], [], state="draft")
    return pid, ids


def _text_project(ws: Workspace) -> tuple[int, list[int]]:
    """Texts with emoji and CRLF, meta with a big int, flags, splits, exclusions,
    and several annotations per item in every state and origin."""
    pid = projects.create_project(ws, "Texts", "text", label_schema=SCHEMA).id
    other = projects.create_project(ws, "Other", "text", label_schema=SCHEMA).id
    ids: list[int] = []
    texts = ["👩‍💻 Ada\r\nvisits Zürich", "שלום Bob", "plain", "x", "tail 😀"]
    for n, text in enumerate(texts):
        ids += add_texts(ws, pid, [text])
        # The other project's items sit between these ids, annotated too.
        (between,) = add_texts(ws, other, [f"other {n}"])
        annotations.create_annotation(ws, between, [{"type": "class", "label": "dog"}])
    with ws.db.write() as conn:
        conn.execute(
            update(t.items)
            .where(t.items.c.id == ids[0])
            .values(meta={"big": BIG, "z": [1.5, None, "é"], "a": {"b": True}})
        )
        conn.execute(
            t.flags.insert(),
            [
                {
                    "project_id": pid,
                    "item_id": ids[1],
                    "check": check,
                    "score": score,
                    "reason": "why",
                    "cluster": cluster,
                    "data": {"chars": 7, "list": [1, 2]},
                    "decision": decision,
                    "created_at": now(),
                }
                for check, score, cluster, decision in (
                    ("text-length.v1", 0.5, None, None),
                    ("near-duplicate.v1", 0.875, "c1", "keep"),
                )
            ],
        )
    items.update_item(ws, ids[1], split="train")
    items.update_item(ws, ids[2], split="test")
    items.update_item(ws, ids[3], excluded=True, exclude_reason="too short")
    cls = {"type": "class", "label": "cat"}
    annotations.create_annotation(ws, ids[0], [cls], state="draft")
    guess = annotations.create_annotation(
        ws, ids[0], [{**cls, "score": 0.25}], origin="model", model_name="clf"
    )
    both = [cls, {**cls, "label": "dog"}]
    annotations.create_annotation(ws, ids[0], both, parent_id=guess.id)
    annotations.create_annotation(ws, ids[1], [cls])
    accepted = annotations.create_annotation(ws, ids[1], [{**cls, "label": "dog"}])
    annotations.create_annotation(ws, ids[3], [cls])
    annotations.create_annotation(
        ws,
        ids[4],
        [{"type": "span", "start": 5, "end": 6, "label": "cat", "text": "😀"}],
    )
    with ws.db.write() as conn:
        conn.execute(
            update(t.annotations)
            .where(t.annotations.c.id == accepted.id)
            .values(state="accepted")
        )
    return pid, ids


@pytest.mark.parametrize("page", [2, 2000])
def test_records_equal_the_plain_reading(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch, page: int
) -> None:
    pid, ids = _text_project(workspace)
    monkeypatch.setattr(exports, "PAGE", page)
    pages: list[int] = []
    read = exports._rows

    def counted(conn: Any, statement: Any, params: dict[str, Any]) -> Any:
        if "after" in params:
            pages.append(params["limit"])
        return read(conn, statement, params)

    monkeypatch.setattr(exports, "_rows", counted)

    for which in ("all", "submitted", "final"):
        for include_excluded in (False, True):
            got = list(
                exports.iter_records(
                    workspace, pid, which=which, include_excluded=include_excluded
                )
            )
            want = _reference(workspace, pid, which, include_excluded)
            assert got == want, (which, include_excluded)
    # Per ``which``: 4 kept items in pages of 2 are 2 reads and 1 that finds
    # none, all 5 items 3 + 1; pages of 2000: 1 + 1 each time.
    assert len(pages) == (3 * (3 + 4) if page == 2 else 3 * (2 + 2))

    everything = list(exports.iter_records(workspace, pid, which="all"))
    assert [item.id for item, _ in everything] == [ids[0], ids[1], ids[2], ids[4]]
    first, anns = everything[0]
    assert first.text == "👩‍💻 Ada\r\nvisits Zürich"
    assert first.meta == {"big": BIG, "z": [1.5, None, "é"], "a": {"b": True}}
    assert [a.state for a in anns] == ["draft", "submitted", "submitted"]
    assert [a.origin for a in anns] == ["human", "model", "human"]
    assert anns[1].regions[0].score == 0.25 and anns[2].parent_id == anns[1].id
    assert [f["decision"] for f in everything[1][0].flags] == [None, "keep"]


def test_text_export_is_byte_for_byte_the_plain_one(
    workspace: Workspace, tmp_path: Path
) -> None:
    pid, ids = _text_project(workspace)
    out = tmp_path / "texts.jsonl"
    report = exports.export_project(workspace, pid, "jsonl", out)

    lines = out.read_bytes().splitlines(keepends=True)
    records = _reference(workspace, pid, "all", include_excluded=True)
    assert lines[1:] == [_reference_line(i, a, None) for i, a in records]
    assert (report.items, report.annotations, report.regions) == (5, 7, 8)
    # The values themselves, read back by the standard library.
    first = json.loads(lines[1])
    assert first["text"] == "👩‍💻 Ada\r\nvisits Zürich"
    assert b"\\r\\n" in lines[1] and "👩‍💻".encode() in lines[1]
    assert first["meta"]["big"] == BIG and list(first) == sorted(first)
    assert [a["origin"] for a in first["annotations"]] == ["human", "model", "human"]
    assert first["annotations"][1]["regions"][0]["score"] == 0.25
    excluded = json.loads(lines[4])
    assert (excluded["excluded"], excluded["exclude_reason"]) == (True, "too short")
    assert [json.loads(x)["split"] for x in lines[1:]] == [
        None,
        "train",
        "test",
        None,
        None,
    ]
    # created_at ends in Z on PostgreSQL (aware UTC), bare on SQLite (naive).
    stamp = first["annotations"][0]["created_at"]
    assert stamp.endswith("Z") == (not workspace.db.is_sqlite)


def test_image_export_with_media_is_byte_for_byte_the_plain_one(
    workspace: Workspace, tmp_path: Path
) -> None:
    pid, ids = _image_project(workspace, tmp_path / "photos")
    report = exports.export_project(workspace, pid, "jsonl", tmp_path / "out")

    lines = (tmp_path / "out" / "annotary.jsonl").read_bytes().splitlines(True)
    records = _reference(workspace, pid, "all", include_excluded=True)
    files = [f"media/{i.media.sha256}.png" for i, _ in records if i.media]
    assert lines[1:] == [
        _reference_line(i, a, f) for (i, a), f in zip(records, files, strict=True)
    ]
    assert report.files == ["annotary.jsonl", *files]
    boxed = json.loads(lines[1])
    assert boxed["media"]["width"] == 30 and boxed["file"] == files[0]
    model = boxed["annotations"][1]
    assert (model["model_name"], model["model_version"]) == ("detector", "2")
    assert model["regions"][0]["attributes"] == {"n": BIG}
    assert boxed["annotations"][0]["lead_time"] == 3.25

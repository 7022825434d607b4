"""Native JSONL export -> import into a new project -> export: equal content."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from PIL import Image

from annotary.services import (
    annotations,
    exports,
    imports,
    items,
    projects,
    review,
    snapshots,
)
from annotary.services.users import now
from annotary.services.workspace import Workspace
from annotary.storage import tables as t
from tests.services.helpers import add_texts, member

NER = {"labels": [{"name": "PER"}, {"name": "LOC", "hotkey": "l"}], "tools": ["span"]}
TEXTS = ["  👩‍💻 Ada\r\nvisits Zürich", "שלום Bob", "plain"]


def _normalised(path: Path) -> list[dict[str, Any]]:
    """The export with ids replaced by their order of appearance."""
    lines = [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines()]
    header, rows = lines[0], lines[1:]
    header.pop("name", None)
    ann_ids: dict[int, int] = {}
    for row in rows:
        row.pop("id")
        for ann in row["annotations"]:
            ann_ids[ann["id"]] = len(ann_ids)
    for row in rows:
        for ann in row["annotations"]:
            ann["id"] = ann_ids[ann["id"]]
            ann["parent_id"] = ann_ids.get(ann["parent_id"])
            ann.pop("item_id", None)
            ann.pop("project_id", None)
            ann.pop("user_id", None)
        for flag in row["flags"]:
            flag.pop("cluster", None)
    for guideline in header.get("guidelines", []):
        guideline.pop("created_at", None)
    return [header, *rows]


def _export(ws: Workspace, pid: int, out: Path) -> Path:
    exports.export_project(ws, pid, "jsonl", out)
    return out / "annotary.jsonl" if out.is_dir() else out


def test_text_project_round_trips_losslessly(
    workspace: Workspace, tmp_path: Path
) -> None:
    project = projects.create_project(
        workspace, "Src", "text", label_schema=NER, guideline_text="v1"
    )
    ids = add_texts(workspace, project.id, TEXTS)
    ann = member(workspace, project.id, "ann", "annotator")
    first = annotations.create_annotation(
        workspace,
        ids[0],
        [{"type": "span", "start": 6, "end": 9, "label": "PER", "text": "Ada"}],
    )
    projects.add_guideline(workspace, project.id, text="v2: places too")
    review.review_annotation(
        workspace,
        first.id,
        "fix",
        regions=[{"type": "span", "start": 11, "end": 17, "label": "LOC"}],
    )
    annotations.create_annotation(workspace, ids[1], [], state="draft")
    items.update_item(workspace, ids[1], split="test")
    items.bulk_update(workspace, project.id, [ids[2]], "exclude", reason="too short")
    with workspace.db.write() as conn:
        conn.execute(
            t.flags.insert().values(
                project_id=project.id,
                item_id=ids[2],
                check="text-length.v1",
                score=0.9,
                reason="3 characters",
                cluster=None,
                data={"length": 5},
                decision=None,
                created_at=now(),
            )
        )
    assert ann.username == "ann"

    original = _export(workspace, project.id, tmp_path / "a.jsonl")
    new_id, report = imports.import_project(workspace, original, name="Copy")
    again = _export(workspace, new_id, tmp_path / "b.jsonl")

    assert report.added == 3 and not report.rejected
    assert _normalised(original) == _normalised(again)
    rebuilt = projects.list_guidelines(workspace, new_id)
    assert [(g.version, g.text) for g in rebuilt] == [(1, "v1"), (2, "v2: places too")]
    texts = sorted(i["text"] for i in items.list_items(workspace, new_id)["items"])
    assert texts == sorted(TEXTS)


def test_image_project_round_trips_with_its_media(
    sqlite_workspace: Workspace, tmp_path: Path
) -> None:
    ws = sqlite_workspace
    source = tmp_path / "photos"
    source.mkdir()
    for n, colour in enumerate(("red", "green")):
        Image.new("RGB", (40 + n, 30), colour).save(source / f"p{n}.png")
    project = projects.create_project(
        ws, "Photos", "image", label_schema={"labels": [{"name": "cat"}]}
    )
    imports.import_paths(ws, project.id, [source])
    (first, _) = [i["id"] for i in items.list_items(ws, project.id)["items"]]
    annotations.create_annotation(
        ws,
        first,
        [{"type": "bbox", "x": 1.5, "y": 2, "w": 10.25, "h": 5, "label": "cat"}],
    )

    original = _export(ws, project.id, tmp_path / "export")
    new_id, report = imports.import_project(ws, tmp_path / "export", name="Photos 2")
    again = _export(ws, new_id, tmp_path / "export2")

    assert report.added == 2 and not report.rejected
    assert _normalised(original) == _normalised(again)
    media = sorted(p.name for p in (tmp_path / "export2" / "media").iterdir())
    assert media == sorted(p.name for p in (tmp_path / "export" / "media").iterdir())
    sizes = sorted(
        (i["media"]["width"], i["media"]["height"])
        for i in items.list_items(ws, new_id)["items"]
    )
    assert sizes == [(40, 30), (41, 30)]


def test_snapshots_freeze_hash_and_diff(sqlite_workspace: Workspace) -> None:
    ws = sqlite_workspace
    project = projects.create_project(ws, "P", "text", label_schema=NER)
    ids = add_texts(ws, project.id, ["Ada", "Bob", "Cy"])
    annotations.create_annotation(
        ws, ids[0], [{"type": "span", "start": 0, "end": 3, "label": "PER"}]
    )
    v1 = snapshots.create_snapshot(ws, project.id)
    changed = annotations.create_annotation(
        ws, ids[1], [{"type": "span", "start": 0, "end": 3, "label": "PER"}]
    )
    items.update_item(ws, ids[2], split="test")
    add_texts(ws, project.id, ["Di"])
    v2 = snapshots.create_snapshot(ws, project.id, name="after-fix")

    manifest = snapshots.get_manifest(ws, v1["id"])
    folder = Path(v1["path"])
    for relative, digest in manifest["files"].items():
        assert snapshots._sha256(folder / relative) == digest
    assert (v1["name"], v1["counts"]) == ("v1", {"items": 3, "annotations": 1})
    diff = snapshots.diff_snapshots(ws, v1["id"], v2["id"])
    assert len(diff["items_added"]) == 1
    assert diff["annotations_changed"] == [
        {"item": ids[1], "before": [], "after": [[changed.id, 1]]}
    ]
    assert diff["split_changed"] == [{"item": ids[2], "before": None, "after": "test"}]
    assert diff["files_changed"] == ["export/annotary.jsonl"]
    assert snapshots.resolve_snapshot(ws, "P:after-fix") == v2["id"]


def test_snapshots_racing_for_one_name(workspace: Workspace) -> None:
    import threading

    from annotary.errors import Conflict

    project = projects.create_project(workspace, "P", "text", label_schema=NER)
    add_texts(workspace, project.id, ["Ada", "Bob"])
    barrier = threading.Barrier(4)
    made: list[dict[str, Any]] = []
    refused: list[Conflict] = []

    def take() -> None:
        barrier.wait()
        try:
            made.append(snapshots.create_snapshot(workspace, project.id, name="v1"))
        except Conflict as error:
            refused.append(error)

    threads = [threading.Thread(target=take) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(made) == 1 and len(refused) == 3
    assert all("has a snapshot named 'v1'" in str(error) for error in refused)
    folder = Path(made[0]["path"])
    assert folder.name == "v1"
    manifest = snapshots.get_manifest(workspace, made[0]["id"])
    for relative, digest in manifest["files"].items():
        assert snapshots._sha256(folder / relative) == digest
    # Nothing half-built is left beside it.
    assert [p.name for p in folder.parent.iterdir()] == ["v1"]


def test_snapshots_of_two_projects_do_not_compare(sqlite_workspace: Workspace) -> None:
    from annotary.errors import InvalidInput

    ws = sqlite_workspace
    a = projects.create_project(ws, "A", "text", label_schema=NER)
    b = projects.create_project(ws, "B", "text", label_schema=NER)
    add_texts(ws, a.id, ["Ada"])
    add_texts(ws, b.id, ["Bob"])
    first = snapshots.create_snapshot(ws, a.id)
    second = snapshots.create_snapshot(ws, b.id)
    try:
        snapshots.diff_snapshots(ws, first["id"], second["id"])
    except InvalidInput as error:
        assert "are of different projects ('A', 'B')" in error.message
    else:
        raise AssertionError("two projects' snapshots were compared")

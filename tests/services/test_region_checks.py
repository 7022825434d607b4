"""Regions the project forbids are refused on every save path (422 naming the
region), and imports from other tools report them while the rest lands."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from sqlalchemy import select

from annotary.core.models import ImportReport, ItemDraft
from annotary.errors import InvalidInput
from annotary.services import annotations, imports, projects, review
from annotary.services.imports import import_drafts
from annotary.services.workspace import Workspace
from annotary.storage import tables as t

FAMILY = "\U0001f469\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466"  # 7 code points
FLAG = "\U0001f1e9\U0001f1ea"
TEXT = f"{FAMILY} family met Angela Merkel in {FLAG} Berlin"
ANGELA = TEXT.index("Angela")
FLAG_AT = TEXT.index(FLAG)


def _item_ids(ws: Workspace, project_id: int) -> list[int]:
    with ws.db.read() as conn:
        return list(
            conn.execute(
                select(t.items.c.id)
                .where(t.items.c.project_id == project_id)
                .order_by(t.items.c.id)
            ).scalars()
        )


def _text_item(ws: Workspace, **schema: Any) -> int:
    labels = {"labels": [{"name": "PER"}, {"name": "LOC"}], "tools": ["span"]}
    project = projects.create_project(
        ws, "ner", "text", label_schema={**labels, **schema}
    )
    import_drafts(
        ws,
        project.id,
        [ItemDraft(text=TEXT, content_hash="h1")],
        report=ImportReport(project="ner"),
    )
    return _item_ids(ws, project.id)[0]


def _image_item(ws: Workspace, tmp_path: Path, tools: list[str]) -> int:
    schema = {"labels": [{"name": "thing"}], "tools": tools}
    project = projects.create_project(ws, "img", "image", label_schema=schema)
    path = tmp_path / "red.png"
    Image.new("RGB", (32, 32), (200, 10, 10)).save(path)
    imports.import_paths(ws, project.id, [path])
    return _item_ids(ws, project.id)[0]


def _refused(ws: Workspace, item_id: int, regions: list[dict[str, Any]]) -> str:
    with pytest.raises(InvalidInput) as caught:
        annotations.create_annotation(ws, item_id, regions)
    assert caught.value.code == "annotary.invalid"  # HTTP 422
    return caught.value.message


def test_region_type_outside_schema_tools_is_refused(workspace: Workspace) -> None:
    item_id = _text_item(workspace)
    box = {"type": "bbox", "x": 1, "y": 1, "w": 3, "h": 3, "label": "PER"}
    span = {"type": "span", "start": ANGELA, "end": ANGELA + 6, "label": "PER"}

    message = _refused(workspace, item_id, [span, box])

    assert message == (
        "regions[1]: a bbox region is not one of the project's tools (span)"
    )
    made = annotations.create_annotation(workspace, item_id, [span])
    assert [r.type for r in made.regions] == ["span"]


def test_class_region_needs_the_class_tool(sqlite_workspace, tmp_path) -> None:
    item_id = _image_item(sqlite_workspace, tmp_path, ["bbox"])
    message = _refused(
        sqlite_workspace, item_id, [{"type": "class", "labels": ["thing"]}]
    )
    assert message.startswith("regions[0]: a class region is not one of")


def test_overlapping_spans_refused_when_schema_forbids_overlap(
    workspace: Workspace,
) -> None:
    item_id = _text_item(workspace)
    span = {"type": "span", "start": ANGELA, "end": ANGELA + 13, "label": "PER"}
    inner = {"type": "span", "start": ANGELA + 7, "end": ANGELA + 13, "label": "PER"}
    after = {"type": "span", "start": ANGELA + 13, "end": ANGELA + 16, "label": "LOC"}

    assert _refused(workspace, item_id, [span, dict(span)]) == (
        f"regions[1]: span [{ANGELA}, {ANGELA + 13}) overlaps span 0 "
        f"[{ANGELA}, {ANGELA + 13}); the schema does not allow overlap"
    )
    # The later region in the list is the one named, whichever starts first.
    assert _refused(workspace, item_id, [inner, span]).startswith(
        f"regions[1]: span [{ANGELA}, {ANGELA + 13}) overlaps span 0 "
    )

    # Touching spans ([a, b) then [b, c)) do not overlap.
    made = annotations.create_annotation(workspace, item_id, [span, after])
    assert [(r.start, r.end) for r in made.regions] == [
        (ANGELA, ANGELA + 13),
        (ANGELA + 13, ANGELA + 16),
    ]


def test_overlapping_spans_kept_when_schema_allows_overlap(
    sqlite_workspace: Workspace,
) -> None:
    item_id = _text_item(sqlite_workspace, allow_overlap=True)
    span = {"type": "span", "start": ANGELA, "end": ANGELA + 13, "label": "PER"}
    made = annotations.create_annotation(sqlite_workspace, item_id, [span, span])
    assert len(made.regions) == 2


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (0, 1, f"span [0, 1) ends inside the character {FAMILY!r}"),
        (8, 8, "span [8, 8) is empty"),
        (
            FLAG_AT + 1,
            FLAG_AT + 2,
            f"span [{FLAG_AT + 1}, {FLAG_AT + 2}) starts inside the character {FLAG!r}",
        ),
        (FLAG_AT, FLAG_AT + 1, "ends inside the character"),
    ],
)
def test_span_inside_grapheme_or_empty_is_refused(
    sqlite_workspace: Workspace, start: int, end: int, expected: str
) -> None:
    item_id = _text_item(sqlite_workspace)
    span = {"type": "span", "start": start, "end": end, "label": "PER"}
    assert expected in _refused(sqlite_workspace, item_id, [span])


def test_whole_emoji_and_flag_spans_are_accepted(sqlite_workspace) -> None:
    item_id = _text_item(sqlite_workspace)
    regions = [
        {"type": "span", "start": 0, "end": 7, "label": "PER", "text": FAMILY},
        {"type": "span", "start": FLAG_AT, "end": FLAG_AT + 2, "label": "LOC"},
    ]
    made = annotations.create_annotation(sqlite_workspace, item_id, regions)
    assert [(r.start, r.end) for r in made.regions] == [(0, 7), (36, 38)]


@pytest.mark.parametrize(
    ("region", "expected"),
    [
        (
            {"type": "bbox", "x": 3000, "y": 3000, "w": 5, "h": 5},
            "regions[0]: box at (3000, 3000) size 5x5 lies wholly outside the "
            "32x32 image",
        ),
        (
            {"type": "bbox", "x": 1, "y": 1, "w": 0, "h": 0},
            "regions[0]: box size 0x0 is empty; width and height must be positive",
        ),
        (
            {"type": "bbox", "x": 32, "y": 0, "w": 4, "h": 4},
            "lies wholly outside",
        ),
        (
            {"type": "bbox", "x": 1, "y": 1, "w": 4, "h": 4, "score": 5},
            "regions[0]: score 5.0 is not in [0, 1]",
        ),
        (
            {"type": "polygon", "points": [[1, 1], [5, 5], [9, 9]]},
            "regions[0]: polygon of 3 points has area 0; it must be positive",
        ),
        (
            {"type": "polygon", "points": [[40, 40], [50, 40], [50, 50]]},
            "regions[0]: polygon lies wholly outside the 32x32 image",
        ),
        (
            {"type": "keypoints", "points": [[3, 3, 2], [33, 3, 2]]},
            "regions[0]: keypoint 1 (33, 3) is outside the 32x32 image",
        ),
        (
            {"type": "keypoints", "points": [[3, 3, 7]]},
            "regions[0]: keypoint 0 has visibility 7; it is 0, 1 or 2",
        ),
    ],
)
def test_degenerate_or_outside_shape_is_refused(
    sqlite_workspace: Workspace, tmp_path: Path, region: dict[str, Any], expected: str
) -> None:
    item_id = _image_item(sqlite_workspace, tmp_path, ["bbox", "polygon", "keypoints"])
    assert expected in _refused(
        sqlite_workspace, item_id, [{"label": "thing", **region}]
    )


def test_boxes_partly_outside_and_hidden_keypoints_are_kept(
    workspace: Workspace, tmp_path: Path
) -> None:
    item_id = _image_item(workspace, tmp_path, ["bbox", "keypoints"])
    regions = [
        {"type": "bbox", "x": -4, "y": 30, "w": 6, "h": 10, "label": "thing"},
        {
            "type": "bbox",
            "x": 40,
            "y": 10,
            "w": 8,
            "h": 4,
            "label": "thing",
            "score": 0.25,
        },
        {"type": "keypoints", "points": [[0, 0, 0], [32, 32, 2]], "label": "thing"},
    ]
    # The second box lies right of the 32x32 image (x 40..48).
    assert "regions[1]: box at (40, 10)" in _refused(workspace, item_id, regions)

    regions[1] = {**regions[1], "x": 28}
    made = annotations.create_annotation(workspace, item_id, regions)
    assert [r.type for r in made.regions] == ["bbox", "bbox", "keypoints"]
    assert made.regions[1].score == 0.25


def test_rotated_box_reaching_into_the_image_is_kept(sqlite_workspace, tmp_path):
    item_id = _image_item(sqlite_workspace, tmp_path, ["bbox"])
    # Unrotated, the 20x2 box at x 30 reaches into the 32x32 image (x 30..50);
    # turned 90 degrees about its centre (40, 16) it spans x 39..41, outside.
    # At x 20 it turns to x 29..31, inside.
    outside = {"type": "bbox", "x": 30, "y": 15, "w": 20, "h": 2, "rotation": 90}
    inside = {**outside, "x": 20}
    assert "wholly outside" in _refused(
        sqlite_workspace, item_id, [{"label": "thing", **outside}]
    )
    made = annotations.create_annotation(
        sqlite_workspace, item_id, [{"label": "thing", **inside}]
    )
    assert made.regions[0].rotation == 90


def test_update_and_review_fix_check_too(sqlite_workspace, tmp_path) -> None:
    item_id = _image_item(sqlite_workspace, tmp_path, ["bbox"])
    good = {"type": "bbox", "x": 1, "y": 1, "w": 4, "h": 4, "label": "thing"}
    bad = {**good, "w": 0}
    made = annotations.create_annotation(sqlite_workspace, item_id, [good])

    with pytest.raises(InvalidInput, match=r"regions\[1\]: box size 0x4"):
        annotations.update_annotation(
            sqlite_workspace, made.id, version=1, regions=[good, bad]
        )
    with pytest.raises(InvalidInput, match=r"regions\[0\]: box size 0x4"):
        review.review_annotation(sqlite_workspace, made.id, "fix", regions=[bad])


def test_coco_import_reports_bad_regions_and_keeps_the_rest(
    workspace: Workspace, tmp_path: Path
) -> None:
    project = projects.create_project(
        workspace, "coco", "image", label_schema={"tools": ["bbox"]}
    )
    for name, green in (("a.png", 200), ("b.png", 100)):
        Image.new("RGB", (32, 32), (10, green, 10)).save(tmp_path / name)
    coco = {
        "images": [
            {"id": 1, "file_name": "a.png", "width": 32, "height": 32},
            {"id": 2, "file_name": "b.png", "width": 32, "height": 32},
        ],
        "categories": [{"id": 1, "name": "thing"}],
        "annotations": [
            {"id": 1, "image_id": 1, "category_id": 1, "bbox": [2, 2, 8, 8]},
            {"id": 2, "image_id": 1, "category_id": 1, "bbox": [3000, 3000, 5, 5]},
            {"id": 3, "image_id": 2, "category_id": 1, "bbox": [1, 1, 0, 0]},
        ],
    }
    path = tmp_path / "instances.json"
    path.write_text(json.dumps(coco))

    report = imports.import_paths(workspace, project.id, [path], format="coco")

    assert report.added == 2
    assert report.annotations_added == 1
    rejected = sorted((r.source, r.reason) for r in report.rejected)
    assert len(rejected) == 2, rejected
    assert "a.png" in rejected[0][0] and "b.png" in rejected[1][0]
    assert rejected[0][1] == (
        "annotation 1: regions[1]: box at (3000, 3000) size 5x5 lies wholly "
        "outside the 32x32 image; region left out"
    )
    assert rejected[1][1] == (
        "annotation 1: regions[0]: box size 0x0 is empty; width and height must "
        "be positive; region left out"
    )
    ids = _item_ids(workspace, project.id)
    kept = annotations.list_annotations(workspace, ids[0])
    assert [(r.x, r.y, r.w, r.h) for r in kept[0].regions] == [(2, 2, 8, 8)]
    assert annotations.list_annotations(workspace, ids[1]) == []


def test_import_of_polygons_adds_the_polygon_tool(sqlite_workspace, tmp_path):
    ws = sqlite_workspace
    project = projects.create_project(
        ws, "seg", "image", label_schema={"labels": [{"name": "thing"}]}
    )
    Image.new("RGB", (32, 32), (10, 200, 10)).save(tmp_path / "a.png")
    coco = {
        "images": [{"id": 1, "file_name": "a.png", "width": 32, "height": 32}],
        "categories": [{"id": 1, "name": "thing"}],
        "annotations": [
            {
                "id": 1,
                "image_id": 1,
                "category_id": 1,
                "bbox": [2, 2, 8, 8],
                "segmentation": [[2, 2, 10, 2, 10, 10]],
                "area": 32,
            }
        ],
    }
    path = tmp_path / "instances.json"
    path.write_text(json.dumps(coco))

    report = imports.import_paths(ws, project.id, [path], format="coco")

    assert report.rejected == []
    assert report.annotations_added == 1
    assert "polygon" in projects.get_project(ws, project.id).label_schema.tools

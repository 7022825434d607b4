"""Bad entries in other tools' files: each reported by name, the rest lands.

No reason may show a pydantic URL, an exception's repr or a traceback.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from PIL import Image

from annotary.core.models import ImportReport
from annotary.services import annotations, exports, imports, items, projects
from annotary.services.workspace import Workspace

PYTHON_LEAKS = re.compile(
    r"pydantic|validation error for|[A-Z][a-z]+(Error|Forbidden|Exception)\(|"
    r"Traceback|invalid literal|could not convert"
)


def _clean(report: ImportReport) -> list[tuple[str, str]]:
    found = [(r.source, r.reason) for r in report.rejected]
    assert not [pair for pair in found if PYTHON_LEAKS.search(pair[1])], found
    return found


def _png(path: Path, colour: str, size: tuple[int, int] = (200, 150)) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size, colour).save(path)


def _boxes(ws: Workspace, project_id: int) -> dict[str, list[tuple]]:
    found = {}
    for item in items.list_items(ws, project_id)["items"]:
        found[item["media"]["original_name"]] = sorted(
            (r.label, round(r.x, 2), round(r.y, 2), round(r.w, 2), round(r.h, 2))
            for a in annotations.list_annotations(ws, item["id"])
            for r in a.regions
        )
    return found


def test_yolo_bad_label_files_and_lines_are_rejected_the_rest_lands(
    workspace: Workspace, tmp_path: Path
) -> None:
    root = tmp_path / "oy"
    (root / "labels/train").mkdir(parents=True)
    (root / "data.yaml").write_text("path: .\ntrain: images/train\nnames: [cat, dog]\n")
    for name, colour in (("img1", "red"), ("img3", "green"), ("img5", "blue")):
        _png(root / f"images/train/{name}.png", colour)
    (root / "labels/train/img1.txt").write_text(
        "0 0.5 0.5 0.2 0.2\n1 0.5 0.5\n7 0.5 0.5 0.1 0.1\n0 nan 0.5 0.1 0.1\n"
    )
    (root / "labels/train/img3.txt").write_bytes(b"\xff\xfe garbage")
    (root / "labels/train/img5.txt").write_text("1 0.25 0.5 0.5 1\nx 1 1 1 1\n")
    project = projects.create_project(workspace, "I", "image")

    report = imports.import_paths(workspace, project.id, [root], format="yolo")

    assert (report.added, report.duplicates, report.annotations_added) == (2, 0, 2)
    assert _clean(report) == [
        ("train/img1.txt:2", "2 numbers after the class fit no YOLO task"),
        ("train/img1.txt:3", "class 7 is not in names (0..1)"),
        ("train/img1.txt:4", "field 2 is nan, not a finite number"),
        ("train/img3.txt:1", "not valid UTF-8 (byte 0xff); image img3.png left out"),
        ("train/img5.txt:2", "class 'x' is not a whole number"),
    ]
    assert _boxes(workspace, project.id) == {
        "img1.png": [("cat", 80.0, 60.0, 40.0, 30.0)],
        "img5.png": [("dog", 0.0, 0.0, 100.0, 150.0)],
    }


def test_voc_bad_objects_are_left_out_and_the_image_lands(
    sqlite_workspace: Workspace, tmp_path: Path
) -> None:
    ws = sqlite_workspace
    root = tmp_path / "ov"
    (root / "Annotations").mkdir(parents=True)
    _png(root / "JPEGImages/img0.png", "red")
    (root / "Annotations/img0.xml").write_text(
        "<annotation><filename>img0.png</filename>"
        "<object><name>cat</name><bndbox><xmin>10</xmin><ymin>10</ymin>"
        "<xmax>5</xmax><ymax>50</ymax></bndbox></object>"
        "<object><name>dog</name><bndbox><xmin>1</xmin><ymin>1</ymin>"
        "<xmax>20</xmax><ymax>20</ymax></bndbox></object>"
        "<object><name>cat</name><bndbox><xmin>1</xmin><ymin>x</ymin>"
        "<xmax>20</xmax><ymax>20</ymax></bndbox></object>"
        "<object><name>cow</name></object>"
        "</annotation>"
    )
    (root / "Annotations/bomb.xml").write_text(
        '<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa">'
        '<!ENTITY b "&a;&a;&a;&a;&a;">]><annotation><filename>&b;</filename>'
        "</annotation>"
    )
    (root / "Annotations/broken.xml").write_text("<annotation><filename>x.jpg</f")
    project = projects.create_project(ws, "I", "image")

    report = imports.import_paths(ws, project.id, [root], format="voc")

    assert (report.added, report.annotations_added) == (1, 1)
    assert _clean(report) == [
        (
            "bomb.xml",
            "the XML declares entities, which are refused (entity expansion)",
        ),
        ("broken.xml", "not well-formed XML (unclosed token: line 1, column 27)"),
        ("img0.xml: object 1", "cat: xmax 5 is less than xmin 10; object left out"),
        ("img0.xml: object 3", "cat: <ymin> 'x' is not a number; object left out"),
        ("img0.xml: object 4", "cow: no <bndbox>/<xmin>; object left out"),
    ]
    assert _boxes(ws, project.id) == {"img0.png": [("dog", 0.0, 0.0, 20.0, 20.0)]}


def test_coco_bad_annotations_are_named_by_their_id(
    sqlite_workspace: Workspace, tmp_path: Path
) -> None:
    ws = sqlite_workspace
    _png(tmp_path / "img1.png", "red")
    data = {
        "images": [{"id": 1, "file_name": "img1.png", "width": 200, "height": 150}],
        "categories": [{"id": 7, "name": "cat"}],
        "annotations": [
            {"id": 31, "image_id": 1, "category_id": 7, "bbox": "oops"},
            {"id": 12, "image_id": 1, "category_id": 7, "bbox": [1, 1, -5, 10]},
            {"id": 40, "image_id": 1, "category_id": 7, "bbox": [1, "a", 5, 10]},
            {"id": 41, "image_id": 1, "category_id": "x", "bbox": [1, 1, 5, 10]},
            {"id": 5, "image_id": 1, "category_id": 7, "bbox": [10.5, 20, 30, 40]},
        ],
    }
    (tmp_path / "coco.json").write_text(json.dumps(data))
    project = projects.create_project(ws, "I", "image")

    report = imports.import_paths(
        ws, project.id, [tmp_path / "coco.json"], format="coco"
    )

    where = "coco.json: image 1 'img1.png'"
    assert (report.added, report.annotations_added) == (1, 1)
    assert _clean(report) == [
        (where, "annotation id 31: bbox: must be a list of 4 numbers [x, y, w, h]"),
        (where, "annotation id 12: w: input should be greater than or equal to 0"),
        (where, "annotation id 40: bbox[1]: must be a number, not str"),
        (where, "annotation id 41: category_id: must be an integer"),
    ]
    assert _boxes(ws, project.id) == {"img1.png": [("cat", 10.5, 20.0, 30.0, 40.0)]}


def test_conll_ragged_lines_and_missing_tags_are_named(
    workspace: Workspace, tmp_path: Path
) -> None:
    source = tmp_path / "r.conll"
    source.write_text(
        "John B-PER\nlives O extra col\n\nMary B-PER\nsings O\n\n"
        "Bob B-PER\nin\n\nAnn B-PER\n"
    )
    bad = tmp_path / "bad.conll"
    bad.write_bytes(b"Eve B-PER\n\ncaf\xe9 O\n")
    project = projects.create_project(workspace, "T", "text")

    report = imports.import_paths(workspace, project.id, [source, bad], format="conll")

    assert (report.added, report.annotations_added) == (2, 2)
    assert _clean(report) == [
        (
            "r.conll:2",
            "4 columns where the file's lines have 2; the item from line 1 is left out",
        ),
        ("r.conll:8", "token 'in' has no tag; the item from line 7 is left out"),
        ("bad.conll:3", "not valid UTF-8 (byte 0xe9); the file is left out"),
    ]
    texts = sorted(i["text"] for i in items.list_items(workspace, project.id)["items"])
    assert texts == ["Ann", "Mary sings"]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("ls.json", b'[{"data": {"text": "caf\xe9"}}]', "not valid UTF-8 (byte 0xe9)"),
        ("data.yaml", b"names: [caf\xe9]\n", "not valid UTF-8 (byte 0xe9)"),
        ("c.json", b'{"images": [], "categories": [], "x": "\xff"}', "0xff"),
    ],
)
def test_a_whole_file_that_is_not_utf8_is_refused_clearly(
    sqlite_workspace: Workspace, tmp_path: Path, name: str, content: bytes, message: str
) -> None:
    fmt = {"ls.json": "label_studio", "data.yaml": "yolo", "c.json": "coco"}[name]
    (tmp_path / name).write_bytes(content)
    project = projects.create_project(sqlite_workspace, "I", "image")

    with pytest.raises(Exception) as caught:
        imports.import_paths(
            sqlite_workspace, project.id, [tmp_path / name], format=fmt
        )

    assert type(caught.value).__name__ == "FormatError"
    assert message in str(caught.value)
    assert not PYTHON_LEAKS.search(str(caught.value))


def test_label_studio_bad_results_are_named_without_python_details(
    sqlite_workspace: Workspace, tmp_path: Path
) -> None:
    tasks = [
        {
            "id": 3,
            "data": {"text": "Ada Lovelace"},
            "annotations": [
                {
                    "result": [
                        {"id": "a", "type": "labels", "value": {"start": "x"}},
                        {
                            "id": "b",
                            "type": "labels",
                            "value": {"start": 0, "end": 3, "labels": ["PER"]},
                        },
                    ]
                }
            ],
        }
    ]
    (tmp_path / "ls.json").write_text(json.dumps(tasks))
    project = projects.create_project(sqlite_workspace, "T", "text")

    report = imports.import_paths(
        sqlite_workspace, project.id, [tmp_path / "ls.json"], format="label_studio"
    )

    assert (report.added, report.annotations_added) == (1, 1)
    assert _clean(report) == [("task 3", "result a: 'x' is not a whole number")]


def test_yolo_export_of_boxes_and_polygons_reports_the_boxes_as_polygons(
    sqlite_workspace: Workspace, tmp_path: Path
) -> None:
    ws = sqlite_workspace
    _png(tmp_path / "in/a.png", "red", (100, 50))
    schema = {"labels": [{"name": "cat"}], "tools": ["bbox", "polygon"]}
    project = projects.create_project(ws, "I", "image", label_schema=schema)
    imports.import_paths(ws, project.id, [tmp_path / "in"])
    (item,) = items.list_items(ws, project.id)["items"]
    box = {"type": "bbox", "x": 10, "y": 10, "w": 20, "h": 10, "label": "cat"}
    polygon = {"type": "polygon", "points": [[0, 0], [50, 0], [50, 25]], "label": "cat"}
    annotations.create_annotation(ws, item["id"], [box, polygon])

    report = exports.export_project(ws, project.id, "yolo", tmp_path / "out")

    assert report.left_out == {"boxes written as 4-point polygons in YOLO segment": 1}
    assert report.warnings[0].startswith("1 boxes written as 4-point polygons")
    lines = (tmp_path / "out/labels/train/a.txt").read_text().splitlines()
    assert lines[0] == (
        "0 0.100000 0.200000 0.300000 0.200000 0.300000 0.400000 0.100000 0.400000"
    )


def test_jsonl_with_annotations_needs_the_native_format(
    sqlite_workspace: Workspace, tmp_path: Path
) -> None:
    ws = sqlite_workspace
    line = {
        "text": "Ada Lovelace",
        "annotations": [
            {"regions": [{"type": "span", "start": 0, "end": 3, "label": "PER"}]}
        ],
    }
    source = tmp_path / "hand.jsonl"
    source.write_text(json.dumps(line) + "\n" + json.dumps({"text": "plain"}) + "\n")
    project = projects.create_project(ws, "T", "text")

    plain = imports.import_paths(ws, project.id, [source])

    assert (plain.added, plain.annotations_added) == (1, 0)
    assert [(r.source.rsplit("/", 1)[-1], r.reason) for r in plain.rejected] == [
        (
            "hand.jsonl:1",
            "has an 'annotations' key; plain JSONL import reads text and metadata "
            "only, import with --format jsonl to load the annotations",
        )
    ]

    native = imports.import_paths(ws, project.id, [source], format="jsonl")

    assert (native.added, native.duplicates, native.annotations_added) == (1, 1, 1)
    assert _clean(native) == []
    texts = {i["text"]: i["meta"] for i in items.list_items(ws, project.id)["items"]}
    assert texts == {"plain": {}, "Ada Lovelace": {}}

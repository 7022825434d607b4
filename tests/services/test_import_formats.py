"""Every text export format read back through the import service, exactly."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from annotary.core.models import ImportReport, ItemDraft
from annotary.services import annotations, exports, imports, items, projects
from annotary.services.workspace import Workspace
from tests.services.helpers import add_texts

NER = {"labels": [{"name": "PER"}, {"name": "LOC"}], "tools": ["span"]}
CLASSES = {"labels": [{"name": "pos"}, {"name": "neg"}], "tools": ["class"]}
# Emoji (with a ZWJ), CRLF, right-to-left script and a supplementary-plane
# character before a span, so UTF-16 and code point offsets differ.
TEXTS = ["Ada 👩‍💻 visits\r\nZürich today", "שלום Bob כאן", "𝔘 Eve in Köln"]
SPANS = [[("Ada", "PER"), ("Zürich", "LOC")], [("Bob", "PER")], [("Köln", "LOC")]]


def _span(text: str, word: str, label: str) -> dict[str, Any]:
    start = text.index(word)
    return {"type": "span", "start": start, "end": start + len(word), "label": label}


def _texts_and_regions(ws: Workspace, project_id: int) -> dict[str, list[Any]]:
    found: dict[str, list[Any]] = {}
    for item in items.list_items(ws, project_id)["items"]:
        regions = []
        for ann in annotations.list_annotations(ws, item["id"]):
            for region in ann.regions:
                if region.type == "span":
                    regions.append((region.start, region.end, region.label))
                else:
                    regions.append(tuple(region.labels))
        found[item["text"]] = sorted(regions)
    return found


def _ner_project(ws: Workspace) -> int:
    project = projects.create_project(ws, "NER", "text", label_schema=NER)
    for item_id, text, spans in zip(
        add_texts(ws, project.id, TEXTS), TEXTS, SPANS, strict=True
    ):
        regions = [_span(text, word, label) for word, label in spans]
        annotations.create_annotation(ws, item_id, regions)
    return project.id


def _expected_ner(token_joined: bool) -> dict[str, list[Any]]:
    expected = {}
    for text, spans in zip(TEXTS, SPANS, strict=True):
        if token_joined:  # the token formats keep tokens, not the spacing
            text = " ".join(text.split())
        expected[text] = sorted(
            (text.index(w), text.index(w) + len(w), label) for w, label in spans
        )
    return expected


@pytest.mark.parametrize(
    ("format", "token_joined"),
    [
        ("jsonl", False),
        ("csv", False),
        ("parquet", False),
        ("hf", False),
        ("spacy", False),
        ("conll", True),
    ],
)
def test_ner_export_imports_back_with_the_same_texts_and_spans(
    workspace: Workspace, tmp_path: Path, format: str, token_joined: bool
) -> None:
    source = _ner_project(workspace)
    exports.export_project(workspace, source, format, tmp_path / "out")
    target = projects.create_project(workspace, "Copy", "text", label_schema=NER)

    report = imports.import_paths(
        workspace, target.id, [tmp_path / "out"], format=format
    )

    assert (report.read, report.added, report.duplicates) == (3, 3, 0)
    assert report.annotations_added == 3 and report.rejected == []
    assert _texts_and_regions(workspace, target.id) == _expected_ner(token_joined)

    again = imports.import_paths(
        workspace, target.id, [tmp_path / "out"], format=format
    )

    assert (again.read, again.added, again.duplicates) == (3, 0, 3)
    assert again.rejected == []


@pytest.mark.parametrize("format", ["jsonl", "csv", "parquet", "hf"])
def test_classification_export_imports_back(
    sqlite_workspace: Workspace, tmp_path: Path, format: str
) -> None:
    ws = sqlite_workspace
    project = projects.create_project(ws, "Cls", "text", label_schema=CLASSES)
    ids = add_texts(ws, project.id, TEXTS)
    for item_id, label in zip(ids, ["pos", "neg", "pos"], strict=True):
        annotations.create_annotation(
            ws, item_id, [{"type": "class", "labels": [label]}]
        )
    exports.export_project(ws, project.id, format, tmp_path / "out")
    target = projects.create_project(ws, "Copy", "text", label_schema=CLASSES)

    report = imports.import_paths(ws, target.id, [tmp_path / "out"], format=format)

    assert (report.added, report.annotations_added, report.rejected) == (3, 3, [])
    assert _texts_and_regions(ws, target.id) == {
        TEXTS[0]: [("pos",)],
        TEXTS[1]: [("neg",)],
        TEXTS[2]: [("pos",)],
    }


def test_conll_text_is_checked_like_the_text_readers(
    workspace: Workspace, tmp_path: Path
) -> None:
    project = projects.create_project(workspace, "T", "text")
    source = tmp_path / "a.conll"
    source.write_text(
        "John B-PER\nlives O\n\nMary B-PER\n\nbad\x00 O\n\nJohn B-PER\nlives O\n\n"
        + "long O\n" * 20,
        encoding="utf-8",
    )
    workspace.settings.max_text_bytes = 40

    report = imports.import_paths(workspace, project.id, [source], format="conll")

    assert (report.read, report.added, report.duplicates) == (5, 2, 1)
    assert [(r.source, r.reason[:24]) for r in report.rejected] == [
        ("a.conll:6", "text contains a NUL char"),
        ("a.conll:11", "text is 99 bytes in UTF-"),
    ]
    assert sorted(
        i["text"] for i in items.list_items(workspace, project.id)["items"]
    ) == ["John lives", "Mary"]


def test_drafts_without_content_are_rejected_not_counted_as_duplicates(
    sqlite_workspace: Workspace,
) -> None:
    ws = sqlite_workspace
    project = projects.create_project(ws, "T", "text")
    drafts = [
        ItemDraft(text="", source="f:1"),
        ItemDraft(text="\ud800 lone", source="f:2"),
        ItemDraft(source="f:3"),
        ItemDraft(text="same", source="f:4"),
        ItemDraft(text="same", source="f:5"),
    ]

    report = imports.import_drafts(
        ws, project.id, drafts, report=ImportReport(project="T")
    )

    assert (report.read, report.added, report.duplicates) == (5, 1, 1)
    assert [(r.source, r.reason) for r in report.rejected] == [
        ("f:1", "empty text"),
        ("f:2", "text holds an unpaired surrogate, not valid Unicode"),
        ("f:3", "no content to import: neither text nor a media file"),
    ]
    message = imports.nothing_imported(
        ImportReport(project="T", read=3, rejected=report.rejected), [Path("f")]
    )
    assert message == "nothing imported from f: 3 rejected, none added"


def test_label_studio_text_tasks_import_with_code_point_spans(
    sqlite_workspace: Workspace, tmp_path: Path
) -> None:
    ws = sqlite_workspace
    text = "𝔘 Eve in Köln"  # 𝔘 is two UTF-16 units
    tasks = [
        {
            "id": 7,
            "data": {"text": text},
            "annotations": [
                {
                    "result": [
                        {
                            "id": "r1",
                            "type": "labels",
                            "value": {"start": 3, "end": 6, "labels": ["PER"]},
                        }
                    ]
                }
            ],
        },
        {"id": 8, "data": {"text": ""}},
    ]
    source = tmp_path / "ls.json"
    source.write_text(json.dumps(tasks), encoding="utf-8")
    project = projects.create_project(ws, "T", "text", label_schema=NER)

    report = imports.import_paths(ws, project.id, [source], format="label_studio")

    assert (report.read, report.added, report.duplicates) == (2, 1, 0)
    assert [(r.source, r.reason) for r in report.rejected] == [("task 8", "empty text")]
    assert _texts_and_regions(ws, project.id) == {text: [(2, 5, "PER")]}


@pytest.mark.parametrize(
    ("format", "table"), [("csv", "items.csv"), ("parquet", "items.parquet")]
)
def test_image_table_export_imports_back_with_the_files_beside_it(
    workspace: Workspace, tmp_path: Path, format: str, table: str
) -> None:
    photos = tmp_path / "photos"
    photos.mkdir()
    for n, colour in enumerate(("red", "green", "blue")):
        Image.new("RGB", (40 + n, 30), colour).save(photos / f"p{n}.png")
    schema = {"labels": [{"name": "cat"}]}
    project = projects.create_project(workspace, "Photos", "image", label_schema=schema)
    imports.import_paths(workspace, project.id, [photos])
    first = min(i["id"] for i in items.list_items(workspace, project.id)["items"])
    box = {"type": "bbox", "x": 1.5, "y": 2, "w": 10.25, "h": 5, "label": "cat"}
    annotations.create_annotation(workspace, first, [box])
    out = tmp_path / "out"
    exports.export_project(workspace, project.id, format, out)
    for name in ("p0.png", "p1.png"):  # p2.png is not there
        shutil.copy(photos / name, out / name)
    target = projects.create_project(workspace, "Copy", "image", label_schema=schema)

    report = imports.import_paths(workspace, target.id, [out], format=format)

    assert (report.read, report.added, report.annotations_added) == (2, 2, 1)
    where = f"{table}:4" if format == "csv" else f"{table}: row 3"
    assert [(r.source, r.reason) for r in report.rejected] == [
        (where, "file_name 'p2.png': no such file in out/")
    ]
    rows = items.list_items(workspace, target.id)["items"]
    assert sorted(
        (i["media"]["original_name"], i["media"]["width"], i["media"]["height"])
        for i in rows
    ) == [("p0.png", 40, 30), ("p1.png", 41, 30)]
    boxes = [
        r.model_dump(include={"x", "y", "w", "h", "label"})
        for i in rows
        for a in annotations.list_annotations(workspace, i["id"])
        for r in a.regions
    ]
    assert boxes == [{"x": 1.5, "y": 2, "w": 10.25, "h": 5, "label": "cat"}]


@pytest.mark.parametrize(
    ("file_name", "reason"),
    [
        ("../secret.png", "file_name '../secret.png': '..' is not allowed in a path"),
        ("/etc/passwd", "file_name '/etc/passwd': absolute paths are not allowed"),
        ("gone.png", "file_name 'gone.png': no such file in t/"),
    ],
)
def test_a_csv_row_naming_a_bad_file_is_rejected(
    sqlite_workspace: Workspace, tmp_path: Path, file_name: str, reason: str
) -> None:
    folder = tmp_path / "t"
    folder.mkdir()
    Image.new("RGB", (8, 8)).save(tmp_path / "secret.png")
    (folder / "items.csv").write_text(
        f"id,file_name,text,regions\n1,{file_name},,[]\n", encoding="utf-8"
    )
    project = projects.create_project(sqlite_workspace, "P", "image")

    report = imports.import_paths(
        sqlite_workspace, project.id, [folder / "items.csv"], format="csv"
    )

    assert (report.added, report.duplicates) == (0, 0)
    assert [(r.source, r.reason) for r in report.rejected] == [("items.csv:2", reason)]

from __future__ import annotations

from pathlib import Path

import pytest

from annotary import plugins
from annotary.formats.base import Format, is_file_target, output_file


@pytest.mark.parametrize(
    ("name", "make", "expected"),
    [
        ("out", None, False),
        ("out.json", None, True),
        ("out.JSON", None, True),
        ("coco.v1", None, False),
        ("out.json", "dir", False),
        ("notes.txt", "file", True),
    ],
)
def test_file_or_folder_target(
    tmp_path: Path, name: str, make: str | None, expected: bool
) -> None:
    out = tmp_path / name
    if make == "dir":
        out.mkdir()
    elif make == "file":
        out.write_text("")
    assert is_file_target(out, "annotations.json") is expected
    target = output_file(out, "annotations.json")
    assert target == (out if expected else out / "annotations.json")
    assert target.parent.is_dir()


BUILT_IN = [
    "coco.v1",
    "conll.v1",
    "csv.v1",
    "cvat.v1",
    "hf.v1",
    "jsonl.v1",
    "label_studio.v1",
    "parquet.v1",
    "spacy.v1",
    "voc.v1",
    "yolo.v1",
]


@pytest.mark.parametrize("name", BUILT_IN)
def test_built_in_formats_are_registered(name: str) -> None:
    fmt = plugins.formats.get(name)
    assert isinstance(fmt, Format)
    assert fmt.name == name
    assert fmt.kinds


def test_unversioned_name_resolves_to_newest() -> None:
    assert plugins.formats.resolve("coco") == "coco.v1"

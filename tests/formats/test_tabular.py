from __future__ import annotations

import csv
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from PIL import Image

from annotary.core import BBox, ClassRegion, Item, Span
from annotary.errors import FormatError
from annotary.formats.tabular import (
    dump_csv,
    dump_parquet,
    escape_cell,
    load_csv,
    load_parquet,
    unescape_cell,
)
from tests.formats.conftest import annotation, context, image_item, ingest, make_project


@pytest.mark.parametrize(
    ("value", "escaped"),
    [
        ("=1+2", "'=1+2"),
        ("+cmd", "'+cmd"),
        ("-3", "'-3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=x", "'\t=x"),
        ("'quoted", "''quoted"),
        ("plain =1", "plain =1"),
        ("", ""),
    ],
)
def test_formula_cells_are_escaped_reversibly(value: str, escaped: str) -> None:
    assert escape_cell(value) == escaped
    assert unescape_cell(escaped) == value


def _records() -> list:
    text_item = Item(
        id=1,
        project_id=1,
        text='=HYPERLINK("http://x")\r\nline two',
        split="train",
        external_id="-7",
    )
    image = image_item(2, split="val")
    return [
        (
            text_item,
            [
                annotation(
                    1,
                    [
                        ClassRegion(labels=["spam", "ham"]),
                        Span(label="PER", start=0, end=3),
                    ],
                )
            ],
        ),
        (image, [annotation(2, [BBox(label="cat", x=1, y=2, w=3, h=4)])]),
        (Item(id=3, project_id=1, text="no labels"), []),
    ]


def test_csv_cells_are_escaped_on_disk(tmp_path: Path) -> None:
    report = dump_csv(context(make_project(), _records(), tmp_path))
    with (tmp_path / "items.csv").open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert rows[0]["text"] == '\'=HYPERLINK("http://x")\r\nline two'
    assert rows[0]["external_id"] == "'-7"
    assert rows[0]["labels"] == "spam|ham"
    assert rows[1]["file_name"] == "img2.png"
    assert (report.items, report.regions, report.files) == (3, 3, ["items.csv"])


@pytest.mark.parametrize(
    ("dump", "load", "name"),
    [(dump_csv, load_csv, "items.csv"), (dump_parquet, load_parquet, "items.parquet")],
)
def test_round_trip(tmp_path: Path, dump, load, name: str) -> None:
    dump(context(make_project(), _records(), tmp_path / "a"))
    Image.new("RGB", (100, 80)).save(tmp_path / "a" / "img2.png")
    drafts = list(load(tmp_path / "a").drafts)
    assert drafts[0].text == '=HYPERLINK("http://x")\r\nline two'
    assert drafts[0].external_id == "-7"
    assert drafts[1].meta == {"file_name": "img2.png"}
    assert drafts[1].file_path == str((tmp_path / "a" / "img2.png").resolve())
    assert drafts[1].annotations[0].regions[0].x == 1.0
    again = [
        (item.model_copy(update={"media": original.media}), anns)
        for (item, anns), (original, _) in zip(ingest(drafts), _records(), strict=True)
    ]
    dump(context(make_project(), again, tmp_path / "b"))
    assert (tmp_path / "b" / name).read_bytes() == (tmp_path / "a" / name).read_bytes()


def test_parquet_columns_are_typed(tmp_path: Path) -> None:
    dump_parquet(context(make_project(), _records(), tmp_path / "x.parquet"))
    table = pq.read_table(tmp_path / "x.parquet")
    assert str(table.schema.field("labels").type) == "list<element: string>"
    assert table.column("labels").to_pylist() == [["spam", "ham"], [], []]
    assert table.column("id").to_pylist() == [1, 2, 3]


@pytest.mark.parametrize(
    ("content", "error"),
    [
        ("id,text\n1,a\n", "missing column(s) regions"),
        ('text,regions\na,"[{""type"": ""nope""}]"\n', None),
    ],
)
def test_bad_csv(tmp_path: Path, content: str, error: str | None) -> None:
    path = tmp_path / "x.csv"
    path.write_text(content)
    if error:
        with pytest.raises(
            FormatError, match=error.replace("(", r"\(").replace(")", r"\)")
        ):
            list(load_csv(path).drafts)
    else:
        result = load_csv(path)
        assert list(result.drafts) == []
        assert result.rejections[0].source == "x.csv:2"
        assert "regions" in result.rejections[0].reason


def test_not_parquet(tmp_path: Path) -> None:
    (tmp_path / "x.parquet").write_text("nope")
    with pytest.raises(FormatError, match="not a Parquet file"):
        load_parquet(tmp_path / "x.parquet")

from __future__ import annotations

from pathlib import Path

import pytest
from defusedxml import ElementTree
from hypothesis import given
from hypothesis import strategies as st

from annotary.core import BBox, Polygon
from annotary.errors import FormatError
from annotary.formats.voc import dump_voc, from_voc_corners, load_voc, to_voc_corners
from tests.formats.conftest import (
    MediaFolder,
    annotation,
    context,
    image_item,
    ingest,
    make_project,
)


@pytest.mark.parametrize(
    ("box", "size", "corners"),
    [
        (BBox(x=0, y=0, w=10, h=5), 100, (1, 1, 10, 5)),
        (BBox(x=47, y=239, w=148, h=132), 500, (48, 240, 195, 371)),
        (BBox(x=-5, y=-5, w=10, h=10), 100, (1, 1, 5, 5)),
        (BBox(x=95, y=0, w=10, h=1), 100, (96, 1, 100, 1)),
        (BBox(x=9.6, y=0.4, w=0.8, h=1.2), 100, (11, 1, 10, 2)),
    ],
)
def test_corners_are_one_based_inclusive(box: BBox, size: int, corners: tuple) -> None:
    assert to_voc_corners(box, size, size) == corners


@given(st.integers(1, 99), st.integers(1, 99), st.integers(0, 50), st.integers(0, 50))
def test_integer_corners_survive_the_round_trip(
    x0: int, y0: int, dw: int, dh: int
) -> None:
    corners = (x0, y0, x0 + dw, y0 + dh)
    box = from_voc_corners(*corners)
    assert to_voc_corners(box, 200, 200) == corners


def test_dump_writes_size_flags_and_splits(tmp_path: Path, media: MediaFolder) -> None:
    item = media.add(image_item(1, 120, 90, split="val"))
    regions = [
        BBox(label="cat", x=10, y=20, w=30, h=40, attributes={"difficult": True}),
        BBox(label="dog", x=0.5, y=0, w=10, h=10, attributes={"colour": "red"}),
        Polygon(label="dog", points=[(0, 0), (1, 0), (1, 1)]),
    ]
    report = dump_voc(
        context(
            make_project(), [(item, [annotation(1, regions)])], tmp_path, media.path
        )
    )
    tree = ElementTree.parse(tmp_path / "Annotations/img1.xml")

    assert [tree.findtext(f"size/{t}") for t in ("width", "height")] == ["120", "90"]
    first = tree.findall("object")[0]
    assert [
        first.findtext(f"bndbox/{t}") for t in ("xmin", "ymin", "xmax", "ymax")
    ] == [
        "11",
        "21",
        "40",
        "60",
    ]
    assert (first.findtext("difficult"), first.findtext("truncated")) == ("1", "0")
    assert (tmp_path / "ImageSets/Main/val.txt").read_text() == "img1\n"
    assert (tmp_path / "JPEGImages/img1.png").is_file()
    assert report.left_out == {
        "box coordinates rounded or clipped to whole pixels": 1,
        "attributes in VOC": 1,
        "polygon regions in VOC": 1,
    }


def test_round_trip_gives_the_same_files(tmp_path: Path, media: MediaFolder) -> None:
    items = [media.add(image_item(n, 64, 48)) for n in (1, 2)]
    regions = [
        BBox(label="cat", x=3, y=4, w=20, h=10, attributes={"truncated": True}),
        BBox(label="dog", x=0, y=0, w=64, h=48, attributes={"pose": "Left"}),
    ]
    records = [(items[0], [annotation(1, regions)]), (items[1], [])]
    dump_voc(context(make_project(), records, tmp_path / "a", media.path))
    result = load_voc(tmp_path / "a")
    again = ingest(result.drafts)
    assert result.rejections == []
    assert again[0][1][0].regions[0].attributes == {"truncated": True}
    dump_voc(
        context(make_project(), again, tmp_path / "b", lambda i: Path(i.media.path))
    )
    for name in (
        "Annotations/img1.xml",
        "Annotations/img2.xml",
        "ImageSets/Main/train.txt",
    ):
        assert (tmp_path / "b" / name).read_text() == (
            tmp_path / "a" / name
        ).read_text()


@pytest.mark.parametrize(
    ("xml", "reason"),
    [
        ("<annotation><filename>a.png</filename></annotation>", None),
        (
            "<annotation><filename>../a.png</filename></annotation>",
            "'..' is not allowed",
        ),
        ("<annotation>", "no element found"),
        ("<annotation/>", "no <filename>"),
        (
            '<!DOCTYPE x [<!ENTITY a "aaaa">]><annotation><filename>&a;</filename>'
            "</annotation>",
            "the XML declares entities, which are refused (entity expansion)",
        ),
    ],
)
def test_bad_xml_is_rejected(tmp_path: Path, xml: str, reason: str | None) -> None:
    (tmp_path / "Annotations").mkdir()
    (tmp_path / "JPEGImages").mkdir()
    (tmp_path / "JPEGImages/a.png").write_bytes(b"png")
    (tmp_path / "Annotations/a.xml").write_text(xml)
    result = load_voc(tmp_path)
    drafts = list(result.drafts)
    if reason is None:
        assert drafts[0].meta == {"file_name": "a.png"}
    else:
        assert drafts == []
        assert reason in result.rejections[0].reason


def test_file_target_is_refused(tmp_path: Path) -> None:
    (tmp_path / "x.xml").write_text("")
    with pytest.raises(FormatError, match="needs a folder"):
        dump_voc(context(make_project(), [], tmp_path / "x.xml"))

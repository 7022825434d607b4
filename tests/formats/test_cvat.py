from __future__ import annotations

from pathlib import Path

import pytest

from annotary.errors import FormatError
from annotary.formats.cvat import load_cvat
from tests.formats.conftest import write_png

XML = """<?xml version="1.0" encoding="utf-8"?>
<annotations>
  <version>1.1</version>
  <meta><task><labels>
    <label><name>car</name></label><label><name>person</name></label>
  </labels></task></meta>
  <image id="0" name="a.png" width="100" height="50" subset="Train">
    <box label="car" occluded="1" xtl="10.5" ytl="5" xbr="30.5" ybr="25" rotation="30">
      <attribute name="colour">red</attribute>
    </box>
    <polygon label="person" points="1,2;10,2;10,20"/>
    <points label="person" points="3,4;5,6"/>
    <tag label="car"/>
    <polyline label="car" points="1,1;2,2"/>
  </image>
  <image id="1" name="../b.png" width="10" height="10"/>
</annotations>
"""


def test_load_cvat(tmp_path: Path) -> None:
    write_png(tmp_path / "images/a.png", 100, 50)
    (tmp_path / "annotations.xml").write_text(XML)
    result = load_cvat(tmp_path)
    drafts = list(result.drafts)

    assert result.label_schema.names == ["car", "person"]
    (draft,) = drafts
    assert draft.split == "train"
    box, polygon, points, tag = draft.annotations[0].regions
    assert (box.x, box.y, box.w, box.h, box.rotation) == (10.5, 5, 20, 20, 30)
    assert box.attributes == {"occluded": True, "colour": "red"}
    assert polygon.points == [(1, 2), (10, 2), (10, 20)]
    assert points.points == [(3, 4, 2), (5, 6, 2)]
    assert tag.labels == ["car"]
    assert [r.reason for r in result.rejections] == [
        "<polyline> shapes are not supported",
        "'../b.png': '..' is not allowed in a path",
    ]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("<annotations>", "cannot read CVAT XML"),
        ("<root/>", "not <annotations>"),
        ('<!DOCTYPE a [<!ENTITY e "x">]><annotations>&e;</annotations>', "cannot read"),
    ],
)
def test_bad_files(tmp_path: Path, content: str, message: str) -> None:
    (tmp_path / "x.xml").write_text(content)
    with pytest.raises(FormatError, match=message):
        load_cvat(tmp_path / "x.xml")

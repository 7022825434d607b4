from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from annotary.core import BBox
from annotary.core.geometry import rotated_corners
from annotary.errors import FormatError
from annotary.formats.label_studio import (
    FORMAT,
    bbox_to_ls_rect,
    load_label_studio,
    ls_rect_to_bbox,
)
from tests.formats.conftest import write_png


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ({"x": 10, "y": 20, "width": 30, "height": 40}, (10, 20, 30, 40, 0)),
        # Rotating 90 degrees about the top-left (0, 0) puts the centre at (-10, 5).
        (
            {"x": 0, "y": 0, "width": 10, "height": 20, "rotation": 90},
            (-15, -5, 10, 20, 90),
        ),
        (
            {"x": 50, "y": 50, "width": 20, "height": 20, "rotation": 180},
            (30, 30, 20, 20, 180),
        ),
    ],
)
def test_rotation_about_top_left_becomes_centre(value: dict, expected: tuple) -> None:
    box = ls_rect_to_bbox(value, 100, 100)
    assert (box.x, box.y, box.w, box.h, box.rotation) == pytest.approx(expected)
    # The unrotated top-left corner stays where Label Studio pinned it.
    assert rotated_corners(box)[0] == pytest.approx((value["x"], value["y"]))


@given(
    st.floats(0, 90),
    st.floats(0, 90),
    st.floats(1, 50),
    st.floats(1, 50),
    st.floats(-180, 180),
)
def test_conversion_inverts(x: float, y: float, w: float, h: float, r: float) -> None:
    box = BBox(x=x, y=y, w=w, h=h, rotation=r)
    back = ls_rect_to_bbox(bbox_to_ls_rect(box, 640, 480), 640, 480)
    assert (back.x, back.y, back.w, back.h) == pytest.approx((x, y, w, h), abs=1e-6)


def _export(tmp_path: Path) -> Path:
    write_png(tmp_path / "upload/1/ab12-cat.png", 200, 100)
    tasks = [
        {
            "id": 1,
            "data": {"image": "/data/upload/1/ab12-cat.png"},
            "annotations": [
                {
                    "completed_by": 3,
                    "lead_time": 4.5,
                    "result": [
                        {
                            "id": "r1",
                            "type": "rectanglelabels",
                            "original_width": 200,
                            "original_height": 100,
                            "value": {
                                "x": 10,
                                "y": 20,
                                "width": 50,
                                "height": 50,
                                "rotation": 0,
                                "rectanglelabels": ["Cat"],
                            },
                        },
                        {
                            "id": "r2",
                            "type": "polygonlabels",
                            "original_width": 200,
                            "original_height": 100,
                            "value": {
                                "points": [[0, 0], [50, 0], [50, 50]],
                                "polygonlabels": ["Dog"],
                            },
                        },
                        {"id": "r3", "type": "brushlabels", "value": {}},
                    ],
                }
            ],
        },
        {
            "id": 2,
            "data": {"text": "😀 Ada"},
            "annotations": [
                {
                    "result": [
                        {
                            "id": "s1",
                            "type": "labels",
                            "value": {"start": 3, "end": 6, "labels": ["PER"]},
                        },
                        {"id": "c1", "type": "choices", "value": {"choices": ["Bio"]}},
                    ]
                }
            ],
            "predictions": [{"model_version": "v7", "result": []}],
        },
        {"id": 3, "data": {"image": "https://example.invalid/x.png"}},
        {"id": 4, "data": {"image": "/data/local-files/?d=../../etc/passwd"}},
    ]
    path = tmp_path / "export.json"
    path.write_text(json.dumps(tasks))
    return path


def test_load_export(tmp_path: Path) -> None:
    result = load_label_studio(_export(tmp_path))
    drafts = list(result.drafts)
    assert result.label_schema.names == ["Cat", "Dog", "PER", "Bio"]

    image, text = drafts
    assert image.file_path == str((tmp_path / "upload/1/ab12-cat.png").resolve())
    box, polygon = image.annotations[0].regions
    assert (box.x, box.y, box.w, box.h, box.label) == (20, 20, 100, 50, "Cat")
    assert polygon.points == [(0, 0), (100, 0), (100, 50)]
    assert (image.annotations[0].author, image.annotations[0].lead_time) == ("3", 4.5)

    span, choice = text.annotations[0].regions
    # UTF-16 offsets 3..6 are code points 2..5 after the emoji's surrogate pair.
    assert (span.start, span.end, span.text) == (2, 5, "Ada")
    assert choice.labels == ["Bio"]
    assert (text.annotations[1].origin, text.annotations[1].model_version) == (
        "model",
        "v7",
    )

    reasons = [(r.source, r.reason) for r in result.rejections]
    assert reasons[0] == ("task 1", "result r3: type 'brushlabels' is not supported")
    assert reasons[1][0] == "task 3" and "not fetched" in reasons[1][1]
    assert reasons[2][0] == "task 4" and "'..' is not allowed" in reasons[2][1]


def test_not_a_task_list(tmp_path: Path) -> None:
    (tmp_path / "x.json").write_text("[1, 2]")
    with pytest.raises(FormatError, match="list of tasks"):
        load_label_studio(tmp_path / "x.json")
    with pytest.raises(FormatError, match="only be imported"):
        FORMAT.dump(None)  # type: ignore[arg-type]

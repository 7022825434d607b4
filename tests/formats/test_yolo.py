from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from annotary.core import BBox, Keypoints, Polygon
from annotary.errors import FormatError
from annotary.formats.yolo import default_task, dump_yolo, load_yolo
from tests.formats.conftest import (
    MediaFolder,
    annotation,
    context,
    image_item,
    ingest,
    make_project,
    write_png,
)


def _detect_records(media: MediaFolder) -> list:
    first = media.add(image_item(1, 200, 100, split="train"))
    second = media.add(image_item(2, 200, 100, split="val"))
    boxes = [
        BBox(label="cat", x=20, y=10, w=40, h=30),
        BBox(label="dog", x=180, y=-10, w=40, h=30, attributes={"occluded": True}),
    ]
    return [(first, [annotation(1, boxes)]), (second, [])]


def test_detect_layout_and_values(tmp_path: Path, media: MediaFolder) -> None:
    report = dump_yolo(
        context(make_project(), _detect_records(media), tmp_path, media.path)
    )

    lines = (tmp_path / "labels/train/img1.txt").read_text().splitlines()
    # cat: centre (40, 25) / (200, 100); dog clipped to x 180..200, y 0..20.
    assert lines == [
        "0 0.200000 0.250000 0.200000 0.300000",
        "1 0.950000 0.100000 0.100000 0.200000",
    ]
    assert (tmp_path / "labels/val/img2.txt").read_text() == ""
    assert (tmp_path / "images/train/img1.png").is_file()
    data = yaml.safe_load((tmp_path / "data.yaml").read_text())
    assert data == {
        "path": ".",
        "train": "images/train",
        "val": "images/val",
        "names": {0: "cat", 1: "dog"},
    }
    assert report.left_out == {
        "box parts outside the image (clipped)": 1,
        "attributes in YOLO": 1,
    }
    assert report.files[0] == "data.yaml"


def test_split_defaults_to_train_and_warns_without_val(
    tmp_path: Path, media: MediaFolder
) -> None:
    item = media.add(image_item(1))
    report = dump_yolo(context(make_project(), [(item, [])], tmp_path, media.path))
    assert (tmp_path / "labels/train/img1.txt").read_text() == ""
    assert "no 'val' split" in report.warnings[0]


def test_segment_writes_polygons_and_rotated_boxes(tmp_path: Path) -> None:
    item = image_item(1, 100, 50)
    regions = [
        Polygon(label="dog", points=[(0, 0), (50, 0), (50, 25)]),
        BBox(label="cat", x=40, y=20, w=20, h=10, rotation=90),
    ]
    project = make_project(tools=["polygon"])
    report = dump_yolo(context(project, [(item, [annotation(1, regions)])], tmp_path))
    lines = (tmp_path / "labels/train/img1.txt").read_text().splitlines()
    assert lines[0] == "1 0.000000 0.000000 0.500000 0.000000 0.500000 0.500000"
    # Rotated 90 degrees about (50, 25): corners (55,15) (55,35) (45,35) (45,15).
    assert lines[1] == (
        "0 0.550000 0.300000 0.550000 0.700000 0.450000 0.700000 0.450000 0.300000"
    )
    assert report.left_out == {
        "image files not available": 1,
        "boxes written as 4-point polygons in YOLO segment": 1,
    }
    assert report.warnings[0] == (
        "1 boxes written as 4-point polygons: task segment is the default for "
        "this schema; export with task=detect to keep them as boxes (the polygons "
        "are then left out)"
    )


def test_pose_pairs_boxes_with_keypoints(tmp_path: Path) -> None:
    project = make_project(
        labels=["person"], tools=["bbox", "keypoints"], keypoints={"person": ["a", "b"]}
    )
    assert default_task(project.label_schema) == "pose"
    regions = [
        BBox(label="person", x=10, y=10, w=20, h=20),
        Keypoints(label="person", points=[(15, 20, 2), (0, 0, 0)]),
    ]
    item = image_item(1, 100, 100)
    dump_yolo(context(project, [(item, [annotation(1, regions)])], tmp_path))
    line = (tmp_path / "labels/train/img1.txt").read_text().strip()
    assert line == (
        "0 0.200000 0.200000 0.200000 0.200000 0.150000 0.200000 2 0.000000 0.000000 0"
    )
    data = yaml.safe_load((tmp_path / "data.yaml").read_text())
    assert data["kpt_shape"] == [2, 3]


@pytest.mark.parametrize("task", ["detect", "segment", "pose"])
def test_round_trip_gives_the_same_files(
    tmp_path: Path, media: MediaFolder, task: str
) -> None:
    project = make_project(
        labels=["cat", "dog"], tools=["bbox"], keypoints={"cat": ["a", "b"]}
    )
    records = _detect_records(media)
    records[0][1][0].regions.extend(
        [
            Polygon(label="cat", points=[(1, 1), (20, 5), (7, 30)]),
            Keypoints(label="cat", points=[(30, 20, 2), (31, 21, 1)]),
        ]
    )
    dump_yolo(context(project, records, tmp_path / "a", media.path, task=task))
    result = load_yolo(tmp_path / "a")
    assert result.rejections == []
    again = ingest(result.drafts)
    assert [item.split for item, _ in again] == ["train", "val"]
    copy = context(
        project, again, tmp_path / "b", lambda i: Path(i.media.path), task=task
    )
    dump_yolo(copy)
    for name in ("data.yaml", "labels/train/img1.txt", "labels/val/img2.txt"):
        assert (tmp_path / "b" / name).read_text() == (
            tmp_path / "a" / name
        ).read_text()


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("0 0.5 0.5 0.2 0.2", None),
        ("7 0.5 0.5 0.2 0.2", "class 7 is not in names"),
        ("0 0.5 0.5", "fit no YOLO task"),
        ("x 0.5 0.5 0.2 0.2", "class 'x' is not a whole number"),
        ("0 nan 0.5 0.2 0.2", "field 2 is nan, not a finite number"),
        ("0 0.5 0.5 inf 0.2", "field 4 is inf, not a finite number"),
        ("0 0.5 abc 0.2 0.2", "field 3 'abc' is not a number"),
    ],
)
def test_bad_label_lines_are_rejected(
    tmp_path: Path, line: str, reason: str | None
) -> None:
    write_png(tmp_path / "images/train/a.png", 10, 10)
    (tmp_path / "labels/train").mkdir(parents=True)
    (tmp_path / "labels/train/a.txt").write_text(line + "\n")
    (tmp_path / "data.yaml").write_text("train: images/train\nnames: [cat]\n")
    result = load_yolo(tmp_path)
    drafts = list(result.drafts)
    if reason is None:
        assert drafts[0].annotations[0].regions[0].x == pytest.approx(4.0)
    else:
        assert drafts[0].annotations == []
        assert result.rejections[0].source == "train/a.txt:1"
        assert reason in result.rejections[0].reason


def test_split_folder_outside_root_is_rejected(tmp_path: Path) -> None:
    (tmp_path / "data.yaml").write_text("train: ../elsewhere\nnames: {0: cat}\n")
    result = load_yolo(tmp_path / "data.yaml")
    assert list(result.drafts) == []
    assert "'..' is not allowed" in result.rejections[0].reason


def test_a_label_file_that_cannot_be_written_fails_the_export(
    tmp_path: Path,
) -> None:
    records = [(image_item(n, 100, 50), []) for n in range(1, 600)]
    (tmp_path / "labels/train/img300.txt").mkdir(parents=True)
    with pytest.raises(IsADirectoryError, match="img300.txt"):
        dump_yolo(context(make_project(), records, tmp_path))
    assert not (tmp_path / "data.yaml").exists()
    assert (tmp_path / "labels/train/img299.txt").read_text() == ""


def test_yaml_without_names_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "data.yaml").write_text("train: images/train\n")
    with pytest.raises(FormatError, match="no 'names'"):
        load_yolo(tmp_path)
    (tmp_path / "x.txt").write_text("")
    with pytest.raises(FormatError, match="needs a folder"):
        dump_yolo(context(make_project(), [], tmp_path / "x.txt"))


_box = st.builds(
    BBox,
    label=st.sampled_from(["cat", "dog"]),
    x=st.floats(-20, 120, allow_nan=False),
    y=st.floats(-20, 70, allow_nan=False),
    w=st.floats(0, 80, allow_nan=False),
    h=st.floats(0, 80, allow_nan=False),
)


@settings(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(boxes=st.lists(st.lists(_box, max_size=3), min_size=1, max_size=3))
def test_property_round_trip(tmp_path_factory, boxes: list) -> None:
    tmp = tmp_path_factory.mktemp("yolo")
    store = MediaFolder(tmp / "store")
    records = [
        (store.add(image_item(n, 100, 50)), [annotation(n, regions)])
        for n, regions in enumerate(boxes, start=1)
    ]
    dump_yolo(context(make_project(), records, tmp / "a", store.path))
    again = ingest(load_yolo(tmp / "a").drafts)
    dump_yolo(context(make_project(), again, tmp / "b", lambda i: Path(i.media.path)))
    for n in range(1, len(boxes) + 1):
        name = f"labels/train/img{n}.txt"
        assert (tmp / "b" / name).read_text() == (tmp / "a" / name).read_text()


def _edge(length: float) -> st.SearchStrategy[float]:
    # Coordinates within a few millionths of the image's sides, where six
    # decimals round edges outside the image, and anywhere else.
    near = st.floats(-3e-6, 3e-6).map(lambda f: f * length)
    return st.one_of(
        near, near.map(lambda v: length + v), st.floats(-0.2 * length, length)
    )


def _size(length: float) -> st.SearchStrategy[float]:
    return st.one_of(
        st.floats(0, 5e-6).map(lambda f: f * length), st.floats(0, 1.2 * length)
    )


@st.composite
def _edge_image(draw: st.DrawFn) -> tuple[int, int, list[BBox]]:
    width, height = draw(st.sampled_from([(100, 50), (640, 480), (7, 3)]))
    boxes = draw(
        st.lists(
            st.builds(
                BBox,
                label=st.just("cat"),
                x=_edge(width),
                y=_edge(height),
                w=_size(width),
                h=_size(height),
            ),
            min_size=1,
            max_size=8,
        )
    )
    return width, height, boxes


@settings(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(image=_edge_image())
def test_property_edge_boxes_round_trip(tmp_path_factory, image: tuple) -> None:
    width, height, boxes = image
    tmp = tmp_path_factory.mktemp("yolo")
    store = MediaFolder(tmp / "store")
    item = store.add(image_item(1, width, height))
    dump_yolo(
        context(make_project(), [(item, [annotation(1, boxes)])], tmp / "a", store.path)
    )
    first = (tmp / "a/labels/train/img1.txt").read_text()
    for line in first.splitlines():
        values = [float(v) for v in line.split()[1:]]
        cx, cy, w, h = values
        assert "-" not in line
        # In exact decimals (millionths) the box lies inside the image.
        assert round(2e6 * cx) >= round(1e6 * w)
        assert round(2e6 * cx) + round(1e6 * w) <= 2_000_000
        assert round(2e6 * cy) >= round(1e6 * h)
        assert round(2e6 * cy) + round(1e6 * h) <= 2_000_000
    again = ingest(load_yolo(tmp / "a").drafts)
    report = dump_yolo(
        context(make_project(), again, tmp / "b", lambda i: Path(i.media.path))
    )
    assert (tmp / "b/labels/train/img1.txt").read_text() == first
    assert "box parts outside the image (clipped)" not in report.left_out


@pytest.mark.parametrize(
    ("box", "line", "left_out"),
    [
        # Right edge clipped: x 99.89992..100 of 100 is centre 0.9994996 and
        # size 0.0010008, which round to 0.999500 and 0.001001, whose right
        # edge 1.0000005 lies outside; the centre moves to 0.999499.
        (
            BBox(label="cat", x=99.89992, y=10, w=1, h=20),
            "0 0.999499 0.400000 0.001001 0.400000",
            {"box parts outside the image (clipped)": 1},
        ),
        # Left edge at 0, size 0.000007: the centre's double lies just below
        # 0.0000035 and rounds to 0.000003, putting the left edge at
        # -0.0000005; it moves to 0.000004. No clipping happened.
        (
            BBox(label="cat", x=0, y=10, w=0.0007, h=20),
            "0 0.000004 0.400000 0.000007 0.400000",
            {},
        ),
        # 0.00004 above the top (within one millionth of 50): clipped to 0,
        # not counted; what is left (y 0..0.00001) is thinner than six
        # decimals, which used to be written with a centre of -0.000000.
        (
            BBox(label="cat", x=10, y=-0.00004, w=20, h=0.00005),
            None,
            {"boxes thinner than six decimals can hold": 1},
        ),
        (
            BBox(label="cat", x=100, y=10, w=5, h=5),
            None,
            {"boxes entirely outside the image": 1},
        ),
    ],
)
def test_edge_boxes(tmp_path: Path, box: BBox, line: str | None, left_out) -> None:
    item = image_item(1, 100, 50)
    report = dump_yolo(
        context(make_project(), [(item, [annotation(1, [box])])], tmp_path)
    )
    lines = (tmp_path / "labels/train/img1.txt").read_text().splitlines()
    assert lines == ([line] if line else [])
    assert report.left_out == {"image files not available": 1, **left_out}

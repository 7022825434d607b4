from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pycocotools import mask as mask_utils
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

from annotary.core import BBox, ClassRegion, Keypoints, Mask, Polygon, Span
from annotary.errors import FormatError
from annotary.formats.coco import dump_coco, load_coco
from tests.formats.conftest import (
    MediaFolder,
    annotation,
    context,
    image_item,
    ingest,
    make_project,
)

TRIANGLE = [(10.0, 10.0), (50.0, 10.0), (10.0, 40.0)]  # area 40*30/2 = 600


def _mask_rle() -> tuple[str, np.ndarray]:
    pixels = np.zeros((80, 100), dtype=np.uint8)
    pixels[5:15, 60:70] = 1  # 100 pixels, box x=60 y=5 w=10 h=10
    rle = mask_utils.encode(np.asfortranarray(pixels))
    return rle["counts"].decode("ascii"), pixels


def _records(media: MediaFolder) -> list:
    counts, _ = _mask_rle()
    first, second, third = (media.add(image_item(n)) for n in (1, 2, 3))
    return [
        (
            first,
            [
                annotation(
                    1,
                    [
                        BBox(label="cat", x=10, y=20, w=30, h=40, attributes={"a": 1}),
                        Polygon(label="dog", points=TRIANGLE),
                    ],
                )
            ],
        ),
        (second, []),
        (
            third,
            [
                annotation(
                    3,
                    [
                        Mask(label="dog", size=(80, 100), counts=counts),
                        Keypoints(
                            label="person", points=[(1, 2, 2), (5, 9, 1), (0, 0, 0)]
                        ),
                        BBox(label="cat", x=0, y=0, w=5, h=5, score=0.5),
                    ],
                )
            ],
        ),
    ]


def _project():
    return make_project(
        labels=["cat", "dog", "person"],
        tools=["bbox", "polygon", "mask", "keypoints"],
        keypoints={"person": ["nose", "eye", "ear"]},
    )


def _quiet_coco(path: Path) -> COCO:
    with contextlib.redirect_stdout(io.StringIO()):
        return COCO(str(path))


@pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")
def test_dump_loads_in_pycocotools(tmp_path: Path, media: MediaFolder) -> None:
    report = dump_coco(context(_project(), _records(media), tmp_path, media.path))
    coco = _quiet_coco(tmp_path / "annotations.json")

    assert sorted(coco.getImgIds()) == [1, 2, 3]
    assert coco.getAnnIds(imgIds=[2]) == []
    assert [c["id"] for c in coco.loadCats(coco.getCatIds())] == [1, 2, 3]
    assert coco.loadCats([3])[0]["keypoints"] == ["nose", "eye", "ear"]
    anns = coco.loadAnns(coco.getAnnIds())
    assert [a["id"] for a in anns] == [1, 2, 3, 4, 5]
    box, triangle, mask, keypoints, scored = anns
    assert (box["bbox"], box["area"], box["attributes"]) == (
        [10, 20, 30, 40],
        1200,
        {"a": 1},
    )
    assert (triangle["area"], triangle["bbox"]) == (600.0, [10, 10, 40, 30])
    assert (mask["area"], mask["bbox"], mask["iscrowd"]) == (100.0, [60, 5, 10, 10], 1)
    assert coco.annToMask(mask).sum() == 100
    assert keypoints["num_keypoints"] == 2
    assert keypoints["bbox"] == [1, 2, 4, 7]
    assert scored["score"] == 0.5
    assert (report.items, report.regions) == (3, 5)
    assert report.files[:2] == ["annotations.json", "images/img1.png"]


def test_cocoeval_runs_and_scores_perfect_detections(
    tmp_path: Path, media: MediaFolder
) -> None:
    dump_coco(context(_project(), _records(media), tmp_path, media.path))
    gt = _quiet_coco(tmp_path / "annotations.json")
    detections = [
        {
            "image_id": a["image_id"],
            "category_id": a["category_id"],
            "bbox": a["bbox"],
            "score": 0.9,
        }
        for a in gt.loadAnns(gt.getAnnIds(catIds=[1]))
    ]
    with contextlib.redirect_stdout(io.StringIO()):
        dt = gt.loadRes(detections)
        evaluator = COCOeval(gt, dt, "bbox")
        evaluator.params.catIds = [1]
        evaluator.evaluate()
        evaluator.accumulate()
        evaluator.summarize()
    assert evaluator.stats[0] == pytest.approx(1.0)


def test_round_trip_gives_the_same_file(tmp_path: Path, media: MediaFolder) -> None:
    dump_coco(context(_project(), _records(media), tmp_path / "a", media.path))
    result = load_coco(tmp_path / "a")
    records = ingest(result.drafts)
    assert result.rejections == []
    assert result.label_schema is not None
    assert result.label_schema.names == ["cat", "dog", "person"]
    project = make_project(
        labels=result.label_schema.names,
        keypoints={"person": ["nose", "eye", "ear"]},
    )
    dump_coco(context(project, records, tmp_path / "b", lambda i: Path(i.media.path)))

    first = (tmp_path / "a" / "annotations.json").read_text()
    assert (tmp_path / "b" / "annotations.json").read_text() == first
    assert records[0][1][0].origin == "imported"


def test_what_coco_cannot_hold_is_reported(tmp_path: Path) -> None:
    item = image_item(1)
    regions = [
        BBox(label="cat", x=0, y=0, w=10, h=20, rotation=90),
        ClassRegion(labels=["cat"]),
        Span(label="cat", start=0, end=1),
        BBox(label="lion", x=0, y=0, w=1, h=1),
    ]
    out = tmp_path / "x.json"
    report = dump_coco(context(make_project(), [(item, [annotation(1, regions)])], out))
    data = json.loads(out.read_text())

    assert data["annotations"][0]["bbox"] == pytest.approx([-5, 5, 20, 10])
    assert data["annotations"][0]["area"] == 200
    assert report.left_out == {
        "box rotation in COCO (enclosing box written)": 1,
        "class regions in COCO": 1,
        "span regions in COCO": 1,
        "regions with a label not in the schema": 1,
    }
    assert report.warnings == [
        "item 1: region " + regions[3].id + " label 'lion' is not in the schema"
    ]
    assert report.files == ["x.json"]


def test_polygon_with_hole_becomes_rle(tmp_path: Path) -> None:
    square = [(0.0, 0.0), (10.0, 0.0), (10.0, 10.0), (0.0, 10.0)]
    hole = [(2.0, 2.0), (4.0, 2.0), (4.0, 4.0), (2.0, 4.0)]
    region = Polygon(label="cat", points=square, holes=[hole])
    out = tmp_path / "x.json"
    dump_coco(
        context(
            make_project(), [(image_item(1, 50, 50), [annotation(1, [region])])], out
        )
    )
    entry = json.loads(out.read_text())["annotations"][0]
    assert (entry["area"], entry["bbox"], entry["iscrowd"]) == (96.0, [0, 0, 10, 10], 0)
    assert entry["segmentation"]["size"] == [50, 50]


@pytest.mark.parametrize(
    ("file_name", "reason"),
    [
        ("img1.png", None),
        ("../img1.png", "'..' is not allowed"),
        ("/etc/hostname", "absolute paths are not allowed"),
        ("C:/x.png", "absolute paths are not allowed"),
        ("nothere.png", "no file 'nothere.png'"),
    ],
)
def test_image_paths_stay_inside_the_root(
    tmp_path: Path, file_name: str, reason: str | None
) -> None:
    root = tmp_path / "root"
    (root / "images").mkdir(parents=True)
    (root / "images" / "img1.png").write_bytes(b"png")
    (tmp_path / "img1.png").write_bytes(b"png")
    data = {
        "images": [{"id": 4, "file_name": file_name, "width": 9, "height": 9}],
        "categories": [{"id": 1, "name": "cat"}],
        "annotations": [
            {"id": 1, "image_id": 4, "category_id": 1, "bbox": [1, 2, 3, 4]},
            {"id": 2, "image_id": 99, "category_id": 1, "bbox": [1, 2, 3, 4]},
        ],
    }
    (root / "annotations.json").write_text(json.dumps(data))
    result = load_coco(root)
    drafts = list(result.drafts)
    assert "unlisted image" in result.rejections[0].reason
    if reason is None:
        assert drafts[0].file_path == str((root / "images" / "img1.png").resolve())
        assert drafts[0].meta["file_name"] == "img1.png"
        assert drafts[0].annotations[0].regions[0] == BBox(
            id=drafts[0].annotations[0].regions[0].id, label="cat", x=1, y=2, w=3, h=4
        )
    else:
        assert drafts == []
        assert reason in result.rejections[1].reason


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{", "not JSON"),
        ("[]", "must be an object"),
        ('{"images": []}', "no 'categories' list"),
        ('{"images": [], "categories": [{"name": "a"}]}', "integer 'id'"),
        (
            '{"images": [], "categories": '
            '[{"id": 1, "name": "a"}, {"id": 2, "name": "a"}]}',
            "appears twice",
        ),
    ],
)
def test_bad_files_raise_format_error(
    tmp_path: Path, content: str, message: str
) -> None:
    path = tmp_path / "c.json"
    path.write_text(content)
    with pytest.raises(FormatError, match=message):
        load_coco(path)


_box = st.builds(
    BBox,
    label=st.sampled_from(["cat", "dog"]),
    x=st.floats(0, 60, allow_nan=False),
    y=st.floats(0, 60, allow_nan=False),
    w=st.floats(0, 40, allow_nan=False),
    h=st.floats(0, 40, allow_nan=False),
)


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(boxes=st.lists(st.lists(_box, max_size=3), min_size=1, max_size=4))
def test_property_round_trip(tmp_path_factory, boxes: list) -> None:
    tmp = tmp_path_factory.mktemp("coco")
    store = MediaFolder(tmp / "store")
    records = [
        (store.add(image_item(n)), [annotation(n, regions)] if regions else [])
        for n, regions in enumerate(boxes, start=1)
    ]
    dump_coco(context(make_project(), records, tmp / "a", store.path))
    again = ingest(load_coco(tmp / "a").drafts)
    dump_coco(context(make_project(), again, tmp / "b", lambda i: Path(i.media.path)))
    first = (tmp / "a" / "annotations.json").read_text()
    assert (tmp / "b" / "annotations.json").read_text() == first


def test_plain_box_fast_path_matches_json(tmp_path: Path) -> None:
    plain = BBox(label="cat", x=1.5, y=2, w=3.25, h=1e-7)
    scored = plain.model_copy(update={"score": 0.25})
    records = [(image_item(1), [annotation(1, [plain, scored])])]
    dump_coco(context(make_project(), records, tmp_path / "x.json"))
    text = (tmp_path / "x.json").read_text()
    fast, slow = json.loads(text)["annotations"]
    slow.pop("score")
    assert fast == {**slow, "id": 1}
    expected = {"image_id": 1, "category_id": 1, "bbox": [1.5, 2.0, 3.25, 1e-07]}
    assert json.dumps({**fast, **expected}) in text


def test_per_split_files(tmp_path: Path) -> None:
    records = [
        (
            image_item(1, split="train"),
            [annotation(1, [BBox(label="cat", x=0, y=0, w=1, h=1)])],
        ),
        (image_item(2, split="val"), []),
        (image_item(3, split=None), []),
    ]
    report = dump_coco(context(make_project(), records, tmp_path, per_split=True))
    assert report.files == [
        "annotations_train.json",
        "annotations_val.json",
    ]
    train = _quiet_coco(tmp_path / "annotations_train.json")
    assert sorted(train.getImgIds()) == [1, 3]
    assert len(train.getAnnIds()) == 1
    assert _quiet_coco(tmp_path / "annotations_val.json").getImgIds() == [2]


def test_empty_export_is_valid(tmp_path: Path) -> None:
    dump_coco(context(make_project(), [], tmp_path))
    data = json.loads((tmp_path / "annotations.json").read_text())
    assert (data["images"], data["annotations"]) == ([], [])

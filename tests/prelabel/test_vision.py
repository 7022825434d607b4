"""OpenCV pre-labelers on skimage's bundled photos, against hand-set boxes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from annotary.core import BBox
from annotary.core.geometry import box_iou
from annotary.errors import FormatError, InvalidInput, SchemaError
from annotary.prelabel.vision import (
    OpenCVCatFaces,
    OpenCVFaces,
    OpenCVPeople,
    load_upright_gray,
    nms,
    squash,
)
from tests.prelabel.conftest import image_input, need, schema, text_input

# Set by hand on the 512 x 512 astronaut photo (x, y, w, h).
ASTRONAUT_FACE = BBox(x=177, y=66, w=95, h=95)
# Chelsea (451 x 300): the cat's face, ears to chin, and the tip of its nose.
CHELSEA_FACE = BBox(x=60, y=0, w=330, h=300)
CHELSEA_NOSE = (262.0, 245.0)


@pytest.fixture(autouse=True)
def _opencv() -> None:
    need("cv2", "vision")


def test_astronaut_face_is_found(photos: dict[str, Path]) -> None:
    (prediction,) = OpenCVFaces().predict(
        [image_input(7, photos["astronaut"], 512, 512)], schema("person", "Face")
    )

    best = max(prediction.regions, key=lambda r: box_iou(r, ASTRONAUT_FACE))
    iou = box_iou(best, ASTRONAUT_FACE)
    print(f"astronaut face {best.x, best.y, best.w, best.h} IoU {iou:.3f}")
    assert iou > 0.5
    assert best.label == "Face"
    assert 0.5 < best.score < 1.0
    assert prediction.item_id == 7
    assert prediction.model_name == "opencv-faces.v1"
    assert prediction.model_version.startswith("1+opencv4.")


def test_boxes_are_in_upright_pixels_after_exif_rotation(
    photos: dict[str, Path], tmp_path: Path
) -> None:
    # Stored turned 90 degrees clockwise with EXIF orientation 6 ("rotate 90 CW
    # to display"): the upright image is the original astronaut.
    stored = Image.open(photos["astronaut"]).transpose(Image.Transpose.ROTATE_90)
    exif = Image.Exif()
    exif[0x0112] = 6
    path = tmp_path / "turned.jpg"
    stored.save(path, exif=exif, quality=95)

    (prediction,) = OpenCVFaces(profile=False).predict(
        [image_input(1, path, 512, 512)], schema("face")
    )

    assert load_upright_gray(path).shape == (512, 512)
    assert max(box_iou(r, ASTRONAUT_FACE) for r in prediction.regions) > 0.5


def test_chelsea_gives_a_cat_face(photos: dict[str, Path]) -> None:
    (prediction,) = OpenCVCatFaces().predict(
        [image_input(2, photos["chelsea"], 451, 300)], schema("dog", "cat face")
    )

    assert prediction.regions, "no cat face found on chelsea"
    box = max(prediction.regions, key=lambda r: r.score)
    print(f"chelsea cat face {box.x, box.y, box.w, box.h} score {box.score:.3f}")
    assert box.label == "cat face"
    x, y = CHELSEA_NOSE
    assert box.x <= x <= box.x + box.w and box.y <= y <= box.y + box.h
    for other in prediction.regions:
        assert _share_inside(other, CHELSEA_FACE) == 1.0


def _share_inside(box: BBox, area: BBox) -> float:
    ix = max(0.0, min(box.x + box.w, area.x + area.w) - max(box.x, area.x))
    iy = max(0.0, min(box.y + box.h, area.y + area.h) - max(box.y, area.y))
    return ix * iy / (box.w * box.h)


def test_no_face_on_a_flat_grey_image(tmp_path: Path) -> None:
    path = tmp_path / "grey.png"
    Image.fromarray(np.full((200, 300), 128, dtype=np.uint8)).save(path)
    batch = [image_input(1, path, 300, 200)]

    for model in (OpenCVFaces(), OpenCVCatFaces(), OpenCVPeople()):
        (prediction,) = model.predict(batch, schema("face", "person", "cat"))
        assert prediction.regions == []


def test_people_boxes_are_opencvs_own_after_nms(photos: dict[str, Path]) -> None:
    # HOG gives false hits on stills (OFFLINE-DATA.md); what is checked here is
    # that the wrapper hands on OpenCV's boxes and margins unchanged.
    import cv2

    gray = load_upright_gray(photos["astronaut"])
    hog = cv2.HOGDescriptor()
    hog.setSVMDetector(cv2.HOGDescriptor_getDefaultPeopleDetector())
    rects, weights = hog.detectMultiScale(gray, winStride=(8, 8), scale=1.05)
    raw = [
        BBox(x=x, y=y, w=w, h=h, score=squash(float(m)))
        for (x, y, w, h), m in zip(rects, np.ravel(weights), strict=True)
    ]

    (prediction,) = OpenCVPeople().predict(
        [image_input(3, photos["astronaut"], 512, 512)], schema("person")
    )

    expected = [(b.x, b.y, b.w, b.h, b.score) for b in nms(raw)]
    got = [(b.x, b.y, b.w, b.h, b.score) for b in prediction.regions]
    assert got == expected
    assert all(b.label == "person" for b in prediction.regions)
    strict = OpenCVPeople(min_score=0.999).predict(
        [image_input(3, photos["astronaut"], 512, 512)], schema("person")
    )
    assert all(b.score >= 0.999 for b in strict[0].regions)


def test_mirrored_photo_gives_the_mirrored_face(
    photos: dict[str, Path], tmp_path: Path
) -> None:
    path = tmp_path / "mirrored.png"
    Image.open(photos["astronaut"]).transpose(Image.Transpose.FLIP_LEFT_RIGHT).save(
        path
    )
    mirrored = BBox(x=512 - 177 - 95, y=66, w=95, h=95)

    (prediction,) = OpenCVFaces().predict(
        [image_input(1, path, 512, 512)], schema("face")
    )

    assert max(box_iou(r, mirrored) for r in prediction.regions) > 0.5


@pytest.mark.parametrize(
    ("labels", "option", "error"),
    [
        (("car",), None, SchemaError),
        (("car", "face"), "truck", SchemaError),
    ],
)
def test_schema_without_a_usable_label_is_refused(
    photos: dict[str, Path],
    labels: tuple[str, ...],
    option: str | None,
    error: type[Exception],
) -> None:
    with pytest.raises(error):
        OpenCVFaces(label=option).predict(
            [image_input(1, photos["astronaut"], 512, 512)], schema(*labels)
        )


def test_text_items_and_unreadable_files_are_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="item 5 is text"):
        OpenCVFaces().predict([text_input(5, "hi")], schema("face"))

    broken = tmp_path / "broken.png"
    broken.write_bytes(b"not an image")
    with pytest.raises(FormatError, match="broken.png"):
        OpenCVFaces().predict([image_input(6, broken, 1, 1)], schema("face"))


@pytest.mark.parametrize(
    ("weight", "expected"),
    [(0.0, 0.5), (2.0, 0.880797), (-2.0, 0.119203), (1e6, 1.0), (-1e6, 0.0)],
)
def test_squash_is_the_logistic_function(weight: float, expected: float) -> None:
    assert squash(weight) == pytest.approx(expected, abs=1e-6)


def test_nms_keeps_the_best_of_overlapping_boxes() -> None:
    a = BBox(x=0, y=0, w=10, h=10, score=0.9)
    b = BBox(x=1, y=1, w=10, h=10, score=0.95)  # IoU with a: 81/119 = 0.68
    c = BBox(x=50, y=50, w=10, h=10, score=0.1)
    assert nms([a, b, c]) == [b, c]

"""Image pre-labelers on OpenCV 4.x: Haar faces, cat faces, HOG people.

OpenCV is imported lazily (the optional extra ``vision``); 5.x ships neither
the Haar cascades nor the HOG people detector, so the extra pins ``<5``.

Boxes are in pixels of the upright image: the file is decoded with Pillow and
its EXIF orientation applied before detection, as DESIGN.md requires.

Scores: a cascade's ``levelWeights`` (the last stage's sum, larger is surer) and
HOG's SVM margin are squashed by the logistic function into (0, 1); 0.5 is the
detector's own decision boundary.
"""

from __future__ import annotations

import logging
import math
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageOps

from annotary.core.geometry import box_iou
from annotary.core.models import Annotation, Item
from annotary.core.regions import BBox
from annotary.core.schema import LabelSchema
from annotary.errors import FormatError, Unavailable
from annotary.prelabel.base import (
    Prediction,
    PrelabelInput,
    check_kinds,
    pick_label,
    require_path,
)

log = logging.getLogger("annotary.prelabel")

_IMAGE = frozenset({"image"})


def import_cv2() -> Any:
    """OpenCV, or Unavailable naming the extra to install."""
    try:
        import cv2
    except ImportError:
        raise Unavailable(
            "OpenCV is not installed; pip install 'annotary[vision]'", extra="vision"
        ) from None
    return cv2


def load_upright_gray(path: Path) -> np.ndarray:
    """The image at ``path`` as 8-bit grey, EXIF orientation applied."""
    return np.asarray(load_upright(path).convert("L"))


def load_upright(path: Path) -> Image.Image:
    try:
        with Image.open(path) as opened:
            upright = ImageOps.exif_transpose(opened)
            upright.load()
    except (OSError, SyntaxError) as exc:
        raise FormatError(
            f"{path}: not a readable image ({exc})", path=str(path)
        ) from None
    return upright


def squash(weight: float) -> float:
    """Logistic function: a detector margin into a score in (0, 1)."""
    return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, weight))))


def nms(boxes: list[BBox], threshold: float = 0.3) -> list[BBox]:
    """Keep the best-scoring box of each group that overlaps more than ``threshold``."""
    kept: list[BBox] = []
    for box in sorted(boxes, key=lambda b: -(b.score or 0.0)):
        if all(box_iou(box, other) <= threshold for other in kept):
            kept.append(box)
    return kept


class _CascadeDetector:
    """Shared machinery of the Haar cascade pre-labelers."""

    name = ""
    kinds = _IMAGE
    regions = frozenset({"bbox"})
    cascades: tuple[str, ...] = ()
    label_names: tuple[str, ...] = ()
    mirror_cascades: tuple[str, ...] = ()

    def __init__(
        self,
        *,
        label: str | None = None,
        scale_factor: float = 1.1,
        min_neighbors: int = 5,
        min_size: int = 24,
        min_score: float = 0.0,
    ) -> None:
        self.label = label
        self.scale_factor = scale_factor
        self.min_neighbors = min_neighbors
        self.min_size = min_size
        self.min_score = min_score
        self._loaded: dict[str, Any] = {}

    @property
    def version(self) -> str:
        return f"1+opencv{import_cv2().__version__}"

    def fit(
        self, items: list[Item], annotations: list[Annotation], schema: LabelSchema
    ) -> None:
        """Fixed model: nothing to learn."""

    def predict(
        self, batch: list[PrelabelInput], schema: LabelSchema
    ) -> list[Prediction]:
        """Boxes labelled with the schema's matching label, one prediction per item."""
        check_kinds(self.name, self.kinds, batch)
        label = pick_label(schema, self.label_names, option=self.label, model=self.name)
        version = self.version
        log.info("%s: predicting %s items", self.name, len(batch))

        predictions = []
        for entry in batch:
            gray = load_upright_gray(require_path(self.name, entry))
            boxes = [b for b in self.detect(gray) if (b.score or 0) >= self.min_score]
            for box in boxes:
                box.label = label
            predictions.append(
                Prediction(
                    item_id=entry.item.id,
                    regions=list(boxes),
                    model_name=self.name,
                    model_version=version,
                )
            )

        log.info(
            "%s: done, %s boxes", self.name, sum(len(p.regions) for p in predictions)
        )
        return predictions

    def detect(self, gray: np.ndarray) -> list[BBox]:
        """Boxes with scores from every cascade (mirrored ones flipped back)."""
        found: list[BBox] = []
        for file in self.cascades:
            found += self._run(file, gray)
        width = gray.shape[1]
        for file in self.mirror_cascades:
            for box in self._run(file, np.ascontiguousarray(gray[:, ::-1])):
                box.x = width - box.x - box.w
                found.append(box)
        return nms(found)

    def _run(self, file: str, gray: np.ndarray) -> list[BBox]:
        rects, _levels, weights = self._cascade(file).detectMultiScale3(
            gray,
            scaleFactor=self.scale_factor,
            minNeighbors=self.min_neighbors,
            minSize=(self.min_size, self.min_size),
            outputRejectLevels=True,
        )
        return [
            BBox(x=float(x), y=float(y), w=float(w), h=float(h), score=squash(float(s)))
            for (x, y, w, h), s in zip(rects, weights, strict=True)
        ]

    def _cascade(self, file: str) -> Any:
        if file not in self._loaded:
            cv2 = import_cv2()
            cascade = cv2.CascadeClassifier(cv2.data.haarcascades + file)
            if cascade.empty():
                raise Unavailable(f"{self.name}: OpenCV has no cascade {file}")
            self._loaded[file] = cascade
        return self._loaded[file]


class OpenCVFaces(_CascadeDetector):
    """``opencv-faces.v1``: human faces, frontal and (both ways) in profile.

    Options: ``label`` (schema label to use; default the one named "face"),
    ``scale_factor``, ``min_neighbors``, ``min_size`` (pixels), ``min_score``,
    ``profile`` (also run the profile cascade, default True).
    """

    name = "opencv-faces.v1"
    label_names = ("face", "faces", "human face", "person")
    cascades: tuple[str, ...] = ("haarcascade_frontalface_default.xml",)

    def __init__(self, *, profile: bool = True, **options: Any) -> None:
        super().__init__(**options)
        if profile:
            # The profile cascade finds faces turned one way; a mirrored pass
            # finds the other.
            self.cascades = (*self.cascades, "haarcascade_profileface.xml")
            self.mirror_cascades = ("haarcascade_profileface.xml",)


class OpenCVCatFaces(_CascadeDetector):
    """``opencv-cat-faces.v1``: frontal cat faces (both of OpenCV's cascades).

    Options as ``opencv-faces.v1``; the default label is "cat face", "cat" or
    "face", whichever the schema has first.
    """

    name = "opencv-cat-faces.v1"
    label_names = ("cat face", "cat_face", "cat-face", "cat", "face")
    cascades = (
        "haarcascade_frontalcatface.xml",
        "haarcascade_frontalcatface_extended.xml",
    )

    def __init__(self, *, min_neighbors: int = 3, **options: Any) -> None:
        super().__init__(min_neighbors=min_neighbors, **options)


class OpenCVPeople(_CascadeDetector):
    """``opencv-people.v1``: standing people, OpenCV's default HOG + linear SVM.

    Good on video frames of pedestrians, prone to false hits on stills; raise
    ``min_score`` to keep only the surer ones. Options: ``label`` (default
    "person"), ``min_score``, ``stride`` (pixels), ``scale`` (pyramid step).
    """

    name = "opencv-people.v1"
    label_names = ("person", "people", "pedestrian", "human")

    def __init__(
        self,
        *,
        label: str | None = None,
        min_score: float = 0.0,
        stride: int = 8,
        scale: float = 1.05,
    ) -> None:
        super().__init__(label=label, min_score=min_score)
        self.stride = stride
        self.scale = scale
        self._hog: Any = None

    def detect(self, gray: np.ndarray) -> list[BBox]:
        if self._hog is None:
            cv2 = import_cv2()
            self._hog = cv2.HOGDescriptor()
            self._hog.setSVMDetector(cv2.HOGDescriptor_getDefaultPeopleDetector())

        rects, weights = self._hog.detectMultiScale(
            gray, winStride=(self.stride, self.stride), scale=self.scale
        )
        boxes = [
            BBox(x=float(x), y=float(y), w=float(w), h=float(h), score=squash(float(s)))
            for (x, y, w, h), s in zip(rects, np.ravel(weights), strict=True)
        ]
        return nms(boxes)

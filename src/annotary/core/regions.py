"""Regions: the shapes and labels an annotation is made of.

Every region is one member of a discriminated union keyed by ``type``. The
conventions that decide correctness live in ../shared/DESIGN.md; in short:
image coordinates are float pixels of the upright image, origin top-left; text
spans are ``[start, end)`` in Unicode code points; audio times are seconds;
video frames count from 0; cuboid yaw is radians counter-clockwise about +z.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


def new_region_id() -> str:
    return uuid.uuid4().hex[:12]


class _Region(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True, allow_inf_nan=False)

    id: str = Field(default_factory=new_region_id)
    label: str | None = None
    score: float | None = None
    attributes: dict[str, Any] = Field(default_factory=dict)


class ClassRegion(_Region):
    """One or more class labels for the whole item."""

    type: Literal["class"] = "class"
    labels: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _fill_labels(self) -> ClassRegion:
        if not self.labels and self.label is not None:
            self.labels = [self.label]
        if self.label is None and len(self.labels) == 1:
            self.label = self.labels[0]
        return self


class BBox(_Region):
    """Axis-aligned box x, y, w, h; ``rotation`` degrees clockwise about the centre."""

    type: Literal["bbox"] = "bbox"
    x: float
    y: float
    w: float = Field(ge=0)
    h: float = Field(ge=0)
    rotation: float = 0.0
    frame: int | None = None


Point = tuple[float, float]


class Polygon(_Region):
    """An outer ring of [x, y] points plus optional holes."""

    type: Literal["polygon"] = "polygon"
    points: list[Point] = Field(min_length=3)
    holes: list[list[Point]] = Field(default_factory=list)


class Mask(_Region):
    """A COCO RLE mask: column-major, ``size`` is [height, width]."""

    type: Literal["mask"] = "mask"
    size: tuple[int, int]
    counts: str | list[int]


class Keypoints(_Region):
    """[x, y, v] per skeleton point, v as in COCO (0, 1 hidden, 2 visible)."""

    type: Literal["keypoints"] = "keypoints"
    points: list[tuple[float, float, int]]


class Span(_Region):
    """A text span ``[start, end)`` in Unicode code points of the stored text."""

    type: Literal["span"] = "span"
    start: int = Field(ge=0)
    end: int = Field(ge=0)
    text: str | None = None

    @model_validator(mode="after")
    def _ordered(self) -> Span:
        if self.end < self.start:
            raise ValueError(f"span end {self.end} is before start {self.start}")
        return self


class Relation(_Region):
    type: Literal["relation"] = "relation"
    source: str
    target: str


class Segment(_Region):
    """An audio segment in seconds from the start of the file."""

    type: Literal["segment"] = "segment"
    start: float = Field(ge=0)
    end: float = Field(ge=0)


class Transcript(_Region):
    type: Literal["transcript"] = "transcript"
    text: str
    start: float | None = None
    end: float | None = None


class Keyframe(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True, allow_inf_nan=False)

    frame: int = Field(ge=0)
    x: float
    y: float
    w: float = Field(ge=0)
    h: float = Field(ge=0)
    outside: bool = False


class Track(_Region):
    """A video track: keyframes, interpolated linearly between them."""

    type: Literal["track"] = "track"
    keyframes: list[Keyframe] = Field(min_length=1)


class Cuboid(_Region):
    """Centre, size (l along heading, w, h) and yaw in radians about +z."""

    type: Literal["cuboid"] = "cuboid"
    center: tuple[float, float, float]
    size: tuple[float, float, float]
    yaw: float = 0.0


Region = Annotated[
    ClassRegion
    | BBox
    | Polygon
    | Mask
    | Keypoints
    | Span
    | Relation
    | Segment
    | Transcript
    | Track
    | Cuboid,
    Field(discriminator="type"),
]

REGION_TYPES: dict[str, type[_Region]] = {
    "class": ClassRegion,
    "bbox": BBox,
    "polygon": Polygon,
    "mask": Mask,
    "keypoints": Keypoints,
    "span": Span,
    "relation": Relation,
    "segment": Segment,
    "transcript": Transcript,
    "track": Track,
    "cuboid": Cuboid,
}

"""What makes a region valid for a project and an item: pure rules, no I/O.

Every save path (the API, the SDK, CLI imports, pre-labelers, review fixes)
goes through these rules, so a region the project forbids never reaches the
database, and exports never meet one. The rules:

- The region's type is one of the schema's ``tools`` (a schema without tools,
  which only old projects have, allows every type); its labels are in the
  schema when the schema names any.
- ``score`` lies in [0, 1] whatever the origin: a model's confidence, which a
  person's annotation keeps on the suggestions it accepted.
- Spans lie inside the text, are not empty, start and end between
  user-perceived characters (`annotary.core.text`), and do not overlap one
  another when the schema has ``allow_overlap`` false.
- Boxes (and the boxes of track keyframes that are not ``outside``) have a
  positive width and height and share some area with the image; polygons have
  three points or more in every ring, a positive area and share some of the
  image's extent; labelled keypoints lie on the image; a mask has the image's
  size; no coordinate lies past 100 times the item's extent.
- Audio segments end after they start; cuboids have a positive size.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from annotary.core.geometry import polygon_area, ring_area, rotated_corners
from annotary.core.regions import (
    BBox,
    Cuboid,
    Keypoints,
    Mask,
    Polygon,
    Region,
    Segment,
    Span,
    Track,
)
from annotary.core.schema import LabelSchema
from annotary.core.text import grapheme_starts, is_grapheme_boundary


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one region: its index, field path and message."""

    index: int
    field: str
    message: str


@dataclass(frozen=True)
class Target:
    """What the regions point into: an item's text and media size."""

    text: str | None = None
    width: float | None = None
    height: float | None = None

    @classmethod
    def of(cls, text: str | None, media: Mapping[str, Any] | None) -> Target:
        media = media or {}
        return cls(text=text, width=media.get("width"), height=media.get("height"))


def region_problems(
    schema: LabelSchema, target: Target, regions: Sequence[Region]
) -> list[Problem]:
    """Everything wrong with ``regions``, in region order.

    Example:
        >>> from annotary.core.regions import BBox
        >>> schema = LabelSchema(labels=[{"name": "cat"}], tools=["bbox"])
        >>> box = BBox(x=1, y=1, w=0, h=4, label="cat")
        >>> [p.message for p in region_problems(schema, Target(None, 8, 8), [box])]
        ['regions[0]: box size 0x4 is empty; width and height must be positive']
    """
    problems: list[Problem] = []
    starts: list[int] | None = None
    spans: list[tuple[int, Span]] = []
    for index, region in enumerate(regions):
        found = _common(schema, target, index, region)
        if not found and isinstance(region, Span):
            if starts is None and target.text is not None:
                starts = grapheme_starts(target.text)
            found = _span(target, index, region, starts)
            if not found:
                spans.append((index, region))
        elif not found:
            found = _shape(target, index, region)
        problems.extend(found)
    if not schema.allow_overlap:
        problems.extend(_overlaps(spans))
    problems.sort(key=lambda problem: problem.index)
    return problems


def _problem(index: int, part: str, message: str) -> Problem:
    return Problem(index, f"regions[{index}]{part}", f"regions[{index}]: {message}")


def _common(
    schema: LabelSchema, target: Target, index: int, region: Region
) -> list[Problem]:
    tools = [str(tool) for tool in schema.tools]
    if tools and region.type not in tools:
        return [
            _problem(
                index,
                ".type",
                f"a {region.type} region is not one of the project's tools "
                f"({', '.join(tools)})",
            )
        ]
    names = set(schema.names)
    labels = getattr(region, "labels", None) or (
        [region.label] if region.label is not None else []
    )
    if region.type == "class" and not labels:
        return [_problem(index, ".labels", "a class region needs at least one label")]
    for label in labels:
        if names and label not in names:
            return [
                _problem(
                    index,
                    ".label",
                    f"label {label!r} is not in the schema "
                    f"(labels: {', '.join(sorted(names))})",
                )
            ]
    if region.score is not None and not 0.0 <= region.score <= 1.0:
        return [_problem(index, ".score", f"score {region.score} is not in [0, 1]")]
    extent = max(target.width or 0, target.height or 0)
    limit = 100.0 * extent if extent else 1e7
    too_far = [v for v in _coordinates(region) if abs(v) > limit]
    if too_far:
        return [
            _problem(
                index,
                "",
                f"coordinate {too_far[0]} is far outside the item (limit {limit:g})",
            )
        ]
    return []


def _span(
    target: Target, index: int, span: Span, starts: list[int] | None
) -> list[Problem]:
    text = target.text
    where = f"[{span.start}, {span.end})"
    if text is None or starts is None:
        return [_problem(index, "", "a span needs a text item")]
    if span.end > len(text):
        return [
            _problem(
                index,
                ".end",
                f"span {where} ends past the text's {len(text)} code points",
            )
        ]
    if span.end == span.start:
        return [_problem(index, ".end", f"span {where} is empty")]
    for name, offset in (("start", span.start), ("end", span.end)):
        if not is_grapheme_boundary(text, offset, starts):
            return [
                _problem(
                    index,
                    f".{name}",
                    f"span {where} {name}s inside the character "
                    f"{_cluster_at(text, offset, starts)!r}; spans start and end "
                    "between user-perceived characters",
                )
            ]
    stored = text[span.start : span.end]
    if span.text is not None and span.text != stored:
        return [
            _problem(
                index,
                ".text",
                f"span text {span.text!r} differs from the stored text "
                f"{stored!r} at {where}",
            )
        ]
    return []


def _cluster_at(text: str, offset: int, starts: list[int]) -> str:
    before = max(s for s in starts if s < offset)
    after = min(s for s in starts if s > offset)
    return text[before:after]


def _overlaps(spans: list[tuple[int, Span]]) -> list[Problem]:
    """Each span that overlaps an earlier one, named with the first it meets."""
    problems = []
    ordered = sorted(spans, key=lambda pair: (pair[1].start, pair[0]))
    reach: tuple[int, Span] | None = None  # the earlier span that ends last
    for index, span in ordered:
        if reach is not None and span.start < reach[1].end:
            first, other = sorted([reach, (index, span)], key=lambda pair: pair[0])
            problems.append(
                _problem(
                    other[0],
                    "",
                    f"span [{other[1].start}, {other[1].end}) overlaps span "
                    f"{first[0]} [{first[1].start}, {first[1].end}); the schema "
                    "does not allow overlap",
                )
            )
            continue
        if reach is None or span.end > reach[1].end:
            reach = (index, span)
    return problems


def _shape(target: Target, index: int, region: Region) -> list[Problem]:
    width, height = target.width, target.height
    if isinstance(region, BBox):
        return _box(index, "", region, width, height)
    if isinstance(region, Track):
        for number, key in enumerate(region.keyframes):
            if key.outside:
                continue
            box = BBox(x=key.x, y=key.y, w=key.w, h=key.h)
            found = _box(index, f".keyframes[{number}]", box, width, height)
            if found:
                return found
        return []
    if isinstance(region, Polygon):
        return _polygon(index, region, width, height)
    if isinstance(region, Keypoints):
        for number, (x, y, v) in enumerate(region.points):
            if v not in (0, 1, 2):
                return [
                    _problem(
                        index,
                        f".points[{number}]",
                        f"keypoint {number} has visibility {v}; it is 0, 1 or 2",
                    )
                ]
            if v and width and height and not (0 <= x <= width and 0 <= y <= height):
                return [
                    _problem(
                        index,
                        f".points[{number}]",
                        f"keypoint {number} ({x:g}, {y:g}) is outside the "
                        f"{width:g}x{height:g} image",
                    )
                ]
        return []
    if isinstance(region, Mask):
        size = (height, width)
        if width and height and tuple(region.size) != size:
            return [
                _problem(
                    index,
                    ".size",
                    f"mask size {list(region.size)} is not the image's "
                    f"[height, width] {list(size)}",
                )
            ]
        return []
    if isinstance(region, Segment) and region.end <= region.start:
        return [
            _problem(
                index,
                ".end",
                f"segment [{region.start:g}, {region.end:g}] s does not end "
                "after it starts",
            )
        ]
    if isinstance(region, Cuboid) and min(region.size) <= 0:
        return [
            _problem(index, ".size", f"cuboid size {list(region.size)} is not positive")
        ]
    return []


def _box(
    index: int,
    part: str,
    box: BBox,
    width: float | None,
    height: float | None,
) -> list[Problem]:
    if box.w <= 0 or box.h <= 0:
        return [
            _problem(
                index,
                part,
                f"box size {box.w:g}x{box.h:g} is empty; width and height must "
                "be positive",
            )
        ]
    corners = rotated_corners(box) if box.rotation else None
    xs = [x for x, _ in corners] if corners else [box.x, box.x + box.w]
    ys = [y for _, y in corners] if corners else [box.y, box.y + box.h]
    if width and height and not _meets(xs, ys, width, height):
        return [
            _problem(
                index,
                part,
                f"box at ({box.x:g}, {box.y:g}) size {box.w:g}x{box.h:g} lies "
                f"wholly outside the {width:g}x{height:g} image",
            )
        ]
    return []


def _meets(xs: list[float], ys: list[float], width: float, height: float) -> bool:
    """Whether the bounding rectangle of these points shares area with the image."""
    return min(xs) < width and max(xs) > 0 and min(ys) < height and max(ys) > 0


def _polygon(
    index: int, polygon: Polygon, width: float | None, height: float | None
) -> list[Problem]:
    for number, hole in enumerate(polygon.holes):
        if len(hole) < 3 or ring_area(hole) <= 0:
            return [
                _problem(
                    index,
                    f".holes[{number}]",
                    f"hole {number} has {len(hole)} points and no area",
                )
            ]
    area = polygon_area(polygon.points, polygon.holes)
    if ring_area(polygon.points) <= 0 or area <= 0:
        return [
            _problem(
                index,
                ".points",
                f"polygon of {len(polygon.points)} points has area {area:g}; "
                "it must be positive",
            )
        ]
    xs = [x for x, _ in polygon.points]
    ys = [y for _, y in polygon.points]
    if width and height and not _meets(xs, ys, width, height):
        return [
            _problem(
                index,
                ".points",
                f"polygon lies wholly outside the {width:g}x{height:g} image",
            )
        ]
    return []


def _coordinates(region: Region) -> list[float]:
    """The plain numbers of a region's geometry, for sanity bounds."""
    data = region.model_dump(
        include={"x", "y", "w", "h", "points", "holes", "center", "size", "keyframes"}
    )
    found: list[float] = []

    def walk(value: Any) -> None:
        if isinstance(value, bool):
            return
        if isinstance(value, int | float):
            found.append(float(value))
        elif isinstance(value, list | tuple):
            for part in value:
                walk(part)
        elif isinstance(value, dict):
            for part in value.values():
                walk(part)

    walk(data)
    return found

"""Plane geometry on the pixel conventions of DESIGN.md."""

from __future__ import annotations

import math
from collections.abc import Sequence

from annotary.core.regions import BBox

Point = tuple[float, float]


def box_iou(a: BBox, b: BBox) -> float:
    """Intersection over union of two axis-aligned boxes (rotation ignored)."""
    ix = max(0.0, min(a.x + a.w, b.x + b.w) - max(a.x, b.x))
    iy = max(0.0, min(a.y + a.h, b.y + b.h) - max(a.y, b.y))
    inter = ix * iy
    union = a.w * a.h + b.w * b.h - inter
    return inter / union if union > 0 else 0.0


def ring_area(points: Sequence[Point]) -> float:
    """Unsigned area of a simple ring by the shoelace formula."""
    total = 0.0
    for (x0, y0), (x1, y1) in zip(points, [*points[1:], points[0]], strict=True):
        total += x0 * y1 - x1 * y0
    return abs(total) / 2.0


def polygon_area(
    points: Sequence[Point], holes: Sequence[Sequence[Point]] = ()
) -> float:
    return ring_area(points) - sum(ring_area(hole) for hole in holes)


def rotated_corners(box: BBox) -> list[Point]:
    """Corners of a rotated box, clockwise on screen from the unrotated top-left."""
    cx, cy = box.x + box.w / 2, box.y + box.h / 2
    theta = math.radians(box.rotation)
    cos, sin = math.cos(theta), math.sin(theta)
    corners = []
    for dx, dy in ((-1, -1), (1, -1), (1, 1), (-1, 1)):
        px, py = dx * box.w / 2, dy * box.h / 2
        # y points down, so a positive angle turns clockwise on screen.
        corners.append((cx + px * cos - py * sin, cy + px * sin + py * cos))
    return corners


def clip_box(box: BBox, width: float, height: float) -> tuple[BBox, bool]:
    """Clip a box to the image; say whether anything was cut off."""
    x0, y0 = max(0.0, box.x), max(0.0, box.y)
    x1, y1 = min(float(width), box.x + box.w), min(float(height), box.y + box.h)
    clipped = (x0, y0, x1, y1) != (box.x, box.y, box.x + box.w, box.y + box.h)
    fitted = box.model_copy(
        update={"x": x0, "y": y0, "w": max(0.0, x1 - x0), "h": max(0.0, y1 - y0)}
    )
    return fitted, clipped

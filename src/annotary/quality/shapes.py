"""Agreement between annotators' polygons and masks: Hungarian matching by IoU.

Both kinds are compared as pixel sets on the image grid (pixel i covers
[i, i+1), a pixel belongs to a polygon when its centre is inside): a polygon
is rasterised with pycocotools (its holes cut out), a mask is its COCO RLE.
So a polygon drawn by one person and a mask painted by another over the same
object match like any two shapes. IoU is pycocotools' ``maskUtils.iou``; the
matching, its threshold and the metrics are those of `annotary.quality.boxes`.
"""

from __future__ import annotations

import logging
import math
import warnings
from collections.abc import Hashable, Mapping, Sequence
from typing import Any

import numpy as np
from pycocotools import mask as mask_utils
from scipy.optimize import linear_sum_assignment

from annotary.core.regions import Mask, Polygon
from annotary.errors import InvalidInput
from annotary.quality.boxes import (
    DEFAULT_IOU_THRESHOLD,
    BoxAgreement,
    BoxMatch,
    MatchTotals,
)
from annotary.quality.pairs import shared_items
from annotary.quality.ratings import FloatArray

logger = logging.getLogger("annotary.quality")

Shape = Polygon | Mask
Rle = dict[str, Any]
Size = tuple[int, int]


def shape_grid(shapes: Sequence[Shape], size: Size | None = None) -> Size:
    """The ``(height, width)`` grid to compare shapes on.

    The image size when known; else the size of the masks; else the least
    grid holding every polygon point.

    Example:
        >>> shape_grid([Polygon(points=[(0, 0), (10.5, 0), (0, 4)])])
        (4, 11)
    """
    if size is not None:
        return int(size[0]), int(size[1])
    masks = [s for s in shapes if isinstance(s, Mask)]
    if masks:
        return int(masks[0].size[0]), int(masks[0].size[1])
    xs = [x for s in shapes if isinstance(s, Polygon) for x, _ in s.points]
    ys = [y for s in shapes if isinstance(s, Polygon) for _, y in s.points]
    if not xs:
        return 0, 0
    return max(0, math.ceil(max(ys))), max(0, math.ceil(max(xs)))


def shape_rle(shape: Shape, grid: Size) -> Rle:
    """A shape as a compressed COCO RLE on ``grid`` (height, width).

    Raises:
        InvalidInput: A mask's size is not the grid's.
    """
    height, width = grid
    if isinstance(shape, Mask):
        if tuple(shape.size) != (height, width):
            raise InvalidInput(
                f"mask {shape.id} has size {list(shape.size)} but the image is "
                f"{[height, width]} (height, width)",
                field="size",
            )
        raw = {"size": [height, width], "counts": shape.counts}
        if isinstance(shape.counts, list):
            return dict(mask_utils.frPyObjects(raw, height, width))
        return raw
    outer = _polygon_rle([shape.points], grid)
    if not shape.holes:
        return outer
    inside = _pixels(outer)
    holes = _pixels(_polygon_rle(shape.holes, grid))
    return dict(mask_utils.encode(np.asfortranarray(inside & ~holes, dtype=np.uint8)))


def _polygon_rle(rings: list[list[tuple[float, float]]], grid: Size) -> Rle:
    height, width = grid
    flat = [[float(c) for point in ring for c in point] for ring in rings]
    return dict(mask_utils.merge(mask_utils.frPyObjects(flat, height, width)))


def _pixels(rle: Rle) -> Any:
    # pycocotools 2.0.x under NumPy 2 warns about __array__(copy=...) while
    # decoding; the result is correct, so only that warning is silenced.
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", message="__array__ implementation", category=DeprecationWarning
        )
        return np.asarray(mask_utils.decode(rle)).astype(bool)


def shape_area(shape: Shape, grid: Size) -> int:
    """How many pixels of ``grid`` the shape covers."""
    return int(mask_utils.area(shape_rle(shape, grid)))


def shape_iou_matrix(first: Sequence[Rle], second: Sequence[Rle]) -> FloatArray:
    """IoU of every RLE in ``first`` with every one in ``second``.

    Example:
        >>> a = shape_rle(Polygon(points=[(0, 0), (2, 0), (2, 2), (0, 2)]), (4, 4))
        >>> b = shape_rle(Polygon(points=[(1, 0), (3, 0), (3, 2), (1, 2)]), (4, 4))
        >>> shape_iou_matrix([a], [b])
        array([[0.33333333]])
    """
    if not first or not second:
        return np.zeros((len(first), len(second)), dtype=np.float64)
    iou = mask_utils.iou(list(first), list(second), [0] * len(second))
    return np.asarray(iou, dtype=np.float64).reshape(len(first), len(second))


def _match(iou: FloatArray, threshold: float) -> tuple[list[tuple[int, int]], Any]:
    if iou.size == 0:
        return [], np.zeros(0, dtype=np.float64)
    allowed = (iou >= threshold) & (iou > 0)
    rows, cols = linear_sum_assignment(np.where(allowed, iou, 0.0), maximize=True)
    keep = allowed[rows, cols]
    pairs = list(zip(rows[keep].tolist(), cols[keep].tolist(), strict=True))
    return pairs, iou[rows[keep], cols[keep]]


def match_shapes(
    first: Sequence[Shape],
    second: Sequence[Shape],
    threshold: float = DEFAULT_IOU_THRESHOLD,
    size: Size | None = None,
) -> BoxMatch:
    """Match two annotators' polygons and masks on one image by IoU.

    Args:
        first: One annotator's shapes.
        second: The other annotator's shapes.
        threshold: Least IoU for a match, in (0, 1].
        size: The image's (height, width), when known (see `shape_grid`).

    Example:
        >>> a = [Polygon(points=[(0, 0), (10, 0), (10, 10), (0, 10)])]
        >>> b = [Polygon(points=[(5, 0), (15, 0), (15, 10), (5, 10)])]
        >>> match_shapes(a, b, threshold=0.3).ious
        (0.3333333333333333,)
    """
    _check_threshold(threshold)
    grid = shape_grid([*first, *second], size)
    iou = shape_iou_matrix(
        [shape_rle(s, grid) for s in first], [shape_rle(s, grid) for s in second]
    )
    pairs, ious = _match(iou, threshold)
    return BoxMatch(tuple(pairs), tuple(ious.tolist()), len(first), len(second))


def pairwise_shape_agreement(
    shapes: Mapping[Hashable, Mapping[Hashable, Sequence[Shape]]],
    threshold: float = DEFAULT_IOU_THRESHOLD,
    sizes: Mapping[Hashable, Size | None] | None = None,
) -> dict[tuple[Hashable, Hashable], BoxAgreement]:
    """Shape agreement for every pair of annotators over the images both did.

    Args:
        shapes: ``image -> annotator -> shapes``; an annotator missing from an
            image did not annotate it (an empty list means "found nothing").
        threshold: Least IoU for a match.
        sizes: ``image -> (height, width)`` where known.

    Returns:
        ``(first, second) -> BoxAgreement`` (precision, recall, F1, mean IoU
        and label agreement of matched pairs) for the pairs that annotated an
        image in common, in order of appearance.
    """
    _check_threshold(threshold)
    sizes = sizes or {}
    annotators = list(dict.fromkeys(a for row in shapes.values() for a in row))
    logger.info(
        "shape agreement: %s images, %s annotators", len(shapes), len(annotators)
    )
    rles: dict[Hashable, dict[Hashable, list[Rle]]] = {}
    for image, row in shapes.items():
        if len(row) < 2:
            continue
        grid = shape_grid(
            [s for drawn in row.values() for s in drawn], sizes.get(image)
        )
        rles[image] = {
            a: [shape_rle(s, grid) for s in drawn] for a, drawn in row.items()
        }

    results = {}
    for (a, b), shared in shared_items(shapes).items():
        totals = MatchTotals()
        for image in shared:
            row = shapes[image]
            iou = shape_iou_matrix(rles[image][a], rles[image][b])
            pairs, ious = _match(iou, threshold)
            same = sum(row[a][i].label == row[b][j].label for i, j in pairs)
            totals.add(len(row[a]), len(row[b]), ious, same)
        results[a, b] = totals.result(len(shared), "shapes")
    return results


def shapes_agree(
    first: Sequence[Shape],
    second: Sequence[Shape],
    threshold: float = DEFAULT_IOU_THRESHOLD,
    size: Size | None = None,
) -> bool:
    """Whether two shape sets match one to one at ``threshold`` with equal labels."""
    if not first and not second:
        return True
    if len(first) != len(second):
        return False
    match = match_shapes(first, second, threshold, size)
    if len(match.pairs) != len(first):
        return False
    return all(first[i].label == second[j].label for i, j in match.pairs)


def _check_threshold(threshold: float) -> None:
    if not 0 < threshold <= 1:
        raise InvalidInput(
            f"the IoU threshold must be in (0, 1], not {threshold!r}",
            threshold=threshold,
        )

"""Polygon and mask matching on hand-computed pixel geometry."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pycocotools import mask as mask_utils

from annotary.core.regions import BBox, Mask, Polygon
from annotary.errors import InvalidInput
from annotary.quality.boxes import box_array, iou_matrix
from annotary.quality.shapes import (
    match_shapes,
    pairwise_shape_agreement,
    shape_area,
    shape_grid,
    shape_iou_matrix,
    shape_rle,
    shapes_agree,
)


def rect(x: float, y: float, w: float, h: float, label: str | None = "cat") -> Polygon:
    return Polygon(points=[(x, y), (x + w, y), (x + w, y + h), (x, y + h)], label=label)


def painted(x: int, y: int, w: int, h: int, grid: tuple[int, int]) -> Mask:
    """A mask encoded by pycocotools from a numpy array (the reference)."""
    pixels = np.zeros(grid, dtype=np.uint8)
    pixels[y : y + h, x : x + w] = 1
    rle = mask_utils.encode(np.asfortranarray(pixels))
    return Mask(size=grid, counts=rle["counts"].decode("ascii"), label="cat")


def uncompressed(x: int, y: int, w: int, h: int, grid: tuple[int, int]) -> Mask:
    """The same mask as COCO's uncompressed RLE (counts as a list, column-major)."""
    flat = np.zeros(grid, dtype=np.uint8)
    flat[y : y + h, x : x + w] = 1
    column_major = flat.flatten(order="F")
    counts, current, run = [], 0, 0
    for value in column_major.tolist():
        if value == current:
            run += 1
        else:
            counts.append(run)
            current, run = value, 1
    counts.append(run)
    return Mask(size=grid, counts=counts, label="cat")


def iou(a: Polygon | Mask, b: Polygon | Mask, grid: tuple[int, int]) -> float:
    return float(shape_iou_matrix([shape_rle(a, grid)], [shape_rle(b, grid)])[0, 0])


@pytest.mark.parametrize(
    ("first", "second", "expected"),
    [
        # Two 10 x 10 squares offset by half their width: 50 / 150.
        (rect(0, 0, 10, 10), rect(5, 0, 10, 10), 1 / 3),
        # Offset by half in both directions: 25 / 175.
        (rect(0, 0, 10, 10), rect(5, 5, 10, 10), 1 / 7),
        # One inside the other: 16 / 100.
        (rect(0, 0, 10, 10), rect(3, 3, 4, 4), 0.16),
        # Apart.
        (rect(0, 0, 4, 4), rect(10, 10, 4, 4), 0.0),
        # A square with a 4 x 4 hole against the full square: 84 / 100.
        (
            Polygon(
                points=[(0, 0), (10, 0), (10, 10), (0, 10)],
                holes=[[(3, 3), (7, 3), (7, 7), (3, 7)]],
            ),
            rect(0, 0, 10, 10),
            0.84,
        ),
        # A polygon and the mask painted over the same pixels.
        (rect(5, 2, 10, 6), painted(5, 2, 10, 6, (20, 20)), 1.0),
        # A compressed and an uncompressed RLE, offset by half: 1/3 again.
        (painted(0, 0, 10, 10, (20, 20)), uncompressed(5, 0, 10, 10, (20, 20)), 1 / 3),
    ],
)
def test_iou_of_hand_computed_shapes(
    first: Polygon | Mask, second: Polygon | Mask, expected: float
) -> None:
    assert iou(first, second, (20, 20)) == pytest.approx(expected, abs=1e-12)
    assert iou(second, first, (20, 20)) == pytest.approx(expected, abs=1e-12)


def test_a_pixel_belongs_to_a_polygon_when_its_centre_is_inside() -> None:
    # x + y < 10: pixel (i, j) has its centre inside when i + j + 1 < 10,
    # which 9 + 8 + ... + 1 = 45 pixels do (the exact area is 50).
    triangle = Polygon(points=[(0, 0), (10, 0), (0, 10)])
    assert shape_area(triangle, (20, 20)) == 45
    assert shape_area(rect(2, 3, 4, 5), (20, 20)) == 20
    # Pixels outside the image do not count: a square half outside keeps 5 x 10.
    assert shape_area(rect(15, 0, 10, 10), (20, 20)) == 50


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 30), st.integers(0, 30), st.integers(1, 10)),
        min_size=1,
        max_size=4,
    ),
    st.lists(
        st.tuples(st.integers(0, 30), st.integers(0, 30), st.integers(1, 10)),
        min_size=1,
        max_size=4,
    ),
)
def test_integer_rectangles_have_the_box_iou(
    first: list[tuple[int, int, int]], second: list[tuple[int, int, int]]
) -> None:
    grid = (40, 40)
    shapes = [[rect(x, y, s, s + 1) for x, y, s in side] for side in (first, second)]
    boxes = [
        [BBox(x=x, y=y, w=s, h=s + 1) for x, y, s in side] for side in (first, second)
    ]
    got = shape_iou_matrix(*([shape_rle(p, grid) for p in side] for side in shapes))
    expected = iou_matrix(box_array(boxes[0]), box_array(boxes[1]))
    np.testing.assert_allclose(got, expected, atol=1e-12)


def test_hungarian_matching_beats_greedy() -> None:
    # IoUs: a1-b1 0.6, a1-b2 8/12, a2-b2 7/13, a2-b1 1/15. Greedy takes a1-b2
    # and leaves a2 alone; the best assignment pairs both.
    a = [rect(0, 0, 10, 10), rect(0, 5, 10, 10)]
    b = [rect(0, 0, 10, 6), rect(0, 2, 10, 10)]

    match = match_shapes(a, b, threshold=0.5, size=(30, 30))

    assert match.pairs == ((0, 0), (1, 1))
    assert match.ious == pytest.approx((0.6, 7 / 13))


def test_pairwise_agreement_of_three_annotators() -> None:
    drawn = {
        "img1": {
            "ann": [rect(0, 0, 10, 10, "cat")],
            "bob": [rect(1, 0, 10, 10, "dog")],  # IoU 90 / 110
            "cy": [],
        },
        "img2": {
            "ann": [rect(0, 0, 10, 10, "cat"), rect(20, 20, 5, 5, "cat")],
            "bob": [rect(0, 0, 10, 10, "cat")],
        },
    }

    pairs = pairwise_shape_agreement(drawn, 0.5, {"img1": (40, 40), "img2": None})

    ann_bob = pairs["ann", "bob"]
    assert (ann_bob.matched, ann_bob.first_count, ann_bob.second_count) == (2, 3, 2)
    assert ann_bob.precision.value == 1.0
    assert ann_bob.recall.value == pytest.approx(2 / 3)
    assert ann_bob.f1.value == pytest.approx(4 / 5)
    assert ann_bob.mean_iou.value == pytest.approx((90 / 110 + 1) / 2)
    assert ann_bob.label_agreement.value == 0.5
    ann_cy = pairs["ann", "cy"]
    assert ann_cy.images == 1 and ann_cy.f1.value == 0.0
    assert ann_cy.precision.undefined_reason == "the second annotator drew no shapes"
    assert ann_cy.mean_iou.value is None
    nothing = pairwise_shape_agreement({"i": {"a": [], "b": []}})["a", "b"]
    assert nothing.f1.undefined_reason == "neither annotator drew any shapes"


def test_shapes_agree_needs_all_matched_with_equal_labels() -> None:
    square = rect(0, 0, 10, 10)
    assert shapes_agree([], [])
    assert shapes_agree([square], [rect(1, 0, 10, 10)])
    assert not shapes_agree([square], [rect(1, 0, 10, 10, "dog")])
    assert not shapes_agree([square], [rect(5, 0, 10, 10)])  # IoU 1/3 < 0.5
    assert shapes_agree([square], [rect(5, 0, 10, 10)], threshold=0.3)
    assert not shapes_agree([square], [square, rect(20, 0, 3, 3)])


def test_grid_and_bad_masks() -> None:
    assert shape_grid([rect(0, 0, 10.2, 4)]) == (4, 11)
    assert shape_grid([painted(0, 0, 1, 1, (7, 9))]) == (7, 9)
    assert shape_grid([], (5, 6)) == (5, 6)
    with pytest.raises(InvalidInput, match=r"mask .* has size \[7, 9\] but the image"):
        shape_rle(painted(0, 0, 1, 1, (7, 9)), (20, 20))
    with pytest.raises(InvalidInput, match="threshold"):
        match_shapes([rect(0, 0, 1, 1)], [rect(0, 0, 1, 1)], threshold=0)

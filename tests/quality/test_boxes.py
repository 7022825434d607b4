"""Box matching and box agreement on hand-computed geometry."""

from __future__ import annotations

from itertools import permutations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from annotary.core.geometry import box_iou
from annotary.core.regions import BBox
from annotary.errors import InvalidInput
from annotary.quality.boxes import (
    box_agreement,
    box_array,
    iou_matrix,
    match_boxes,
    pairwise_box_agreement,
)


def box(x: float, y: float, w: float, h: float, label: str | None = "car") -> BBox:
    return BBox(x=x, y=y, w=w, h=h, label=label)


coordinate = st.floats(-50, 50, allow_nan=False)
size = st.floats(0, 40, allow_nan=False)
boxes = st.builds(box, coordinate, coordinate, size, size)


@settings(max_examples=200, deadline=None)
@given(st.lists(boxes, max_size=6), st.lists(boxes, max_size=6))
def test_iou_matrix_matches_core_box_iou(first: list[BBox], second: list[BBox]) -> None:
    matrix = iou_matrix(box_array(first), box_array(second))
    expected = [[box_iou(a, b) for b in second] for a in first]
    assert matrix.shape == (len(first), len(second))
    np.testing.assert_allclose(
        matrix, np.array(expected).reshape(matrix.shape), atol=1e-12
    )


@pytest.mark.parametrize(
    ("a", "b", "iou"),
    [
        (box(0, 0, 2, 2), box(1, 0, 2, 2), 1 / 3),
        (box(0, 0, 2, 2), box(0, 0, 1, 2), 0.5),
        (box(0, 0, 2, 2), box(2, 0, 2, 2), 0.0),  # touching edges share no pixel
        (box(0, 0, 4, 4), box(1, 1, 2, 2), 0.25),
        (box(0, 0, 0, 0), box(0, 0, 0, 0), 0.0),  # two empty boxes
    ],
)
def test_iou_hand_computed(a: BBox, b: BBox, iou: float) -> None:
    assert iou_matrix(box_array([a]), box_array([b]))[0, 0] == pytest.approx(iou)


def test_hungarian_beats_greedy() -> None:
    # IoUs: a0-b0 9/11, a0-b1 8/12, a1-b0 7/13, a1-b1 4/16 (below 0.5).
    # Greedy would take a0-b0 and stop at one match; the best total pairs both.
    first = [box(1, 0, 10, 10), box(-3, 0, 10, 10)]
    second = [box(0, 0, 10, 10), box(3, 0, 10, 10)]
    match = match_boxes(first, second)
    assert sorted(match.pairs) == [(0, 1), (1, 0)]
    assert sorted(match.ious) == pytest.approx([7 / 13, 8 / 12])


@pytest.mark.parametrize(
    ("threshold", "pairs"),
    [(0.5, ((0, 0),)), (0.51, ()), (1.0, ()), (0.01, ((0, 0),))],
)
def test_threshold_is_inclusive(
    threshold: float, pairs: tuple[tuple[int, int]]
) -> None:
    assert match_boxes([box(0, 0, 2, 2)], [box(0, 0, 1, 2)], threshold).pairs == pairs


@pytest.mark.parametrize("threshold", [0.0, -0.1, 1.5])
def test_bad_threshold(threshold: float) -> None:
    with pytest.raises(InvalidInput, match="threshold"):
        match_boxes([], [], threshold)


def test_empty_sides() -> None:
    assert match_boxes([], [box(0, 0, 1, 1)]).pairs == ()
    assert match_boxes([box(0, 0, 1, 1)], []).second_count == 0


@settings(max_examples=150, deadline=None)
@given(
    st.lists(boxes, max_size=5),
    st.lists(boxes, max_size=5),
    st.floats(0.05, 1.0),
)
def test_matching_is_optimal_by_brute_force(
    first: list[BBox], second: list[BBox], threshold: float
) -> None:
    iou = np.array([[box_iou(a, b) for b in second] for a in first]).reshape(
        len(first), len(second)
    )
    allowed = np.where((iou >= threshold) & (iou > 0), iou, 0.0)
    small, large = (
        (allowed, len(second))
        if len(first) <= len(second)
        else (
            allowed.T,
            len(first),
        )
    )
    best = max(
        (
            sum(small[i, p[i]] for i in range(small.shape[0]))
            for p in permutations(range(large), small.shape[0])
        ),
        default=0.0,
    )
    match = match_boxes(first, second, threshold)
    assert sum(match.ious) == pytest.approx(best, abs=1e-9)
    assert all(v >= threshold for v in match.ious)
    assert len({i for i, _ in match.pairs}) == len(match.pairs)
    assert len({j for _, j in match.pairs}) == len(match.pairs)


def test_box_agreement_counts() -> None:
    first = {
        "img1": [box(0, 0, 10, 10, "car"), box(20, 20, 10, 10, "dog")],
        "img2": [box(0, 0, 4, 4, "car")],
        "img3": [],
        "only-first": [box(0, 0, 1, 1)],
    }
    second = {
        "img1": [box(0, 0, 10, 5, "car"), box(20, 20, 10, 10, "cat")],
        "img2": [],
        "img3": [box(5, 5, 1, 1)],
    }
    result = box_agreement(first, second)
    # Matched: img1 (iou 0.5, same label) and img1 (iou 1, labels differ).
    assert result.images == 3
    assert (result.matched, result.first_count, result.second_count) == (2, 3, 3)
    assert result.precision.value == pytest.approx(2 / 3)
    assert result.recall.value == pytest.approx(2 / 3)
    assert result.f1.value == pytest.approx(2 / 3)
    assert result.mean_iou.value == pytest.approx(0.75)
    assert result.label_agreement.value == pytest.approx(0.5)
    assert result.to_dict()["matched"] == 2


def test_box_agreement_undefined() -> None:
    result = box_agreement({"a": []}, {"a": []})
    assert result.f1.undefined_reason == "neither annotator drew any boxes"
    assert not result.mean_iou.defined
    one_side = box_agreement({"a": [box(0, 0, 1, 1)]}, {"a": []})
    assert one_side.recall.value == 0.0
    assert one_side.f1.value == 0.0
    assert not one_side.precision.defined


def test_pairwise_box_agreement() -> None:
    same = [box(0, 0, 10, 10), box(30, 30, 5, 5)]
    images = {
        1: {"ann": same, "bob": same, "cy": [box(0, 0, 10, 10, "truck")]},
        2: {"ann": [box(0, 0, 2, 2)], "bob": [box(1, 0, 2, 2)]},
    }
    pairs = pairwise_box_agreement(images)
    assert list(pairs) == [("ann", "bob"), ("ann", "cy"), ("bob", "cy")]
    ann_bob = pairs["ann", "bob"]
    assert (ann_bob.matched, ann_bob.first_count, ann_bob.second_count) == (2, 3, 3)
    assert ann_bob.images == 2
    ann_cy = pairs["ann", "cy"]
    assert ann_cy.precision.value == 1.0
    assert ann_cy.recall.value == 0.5
    assert ann_cy.label_agreement.value == 0.0
    assert ann_cy.images == 1


labelled = st.builds(
    box, coordinate, coordinate, size, size, st.sampled_from(["a", "b", None])
)
image_boxes = st.dictionaries(
    st.integers(0, 20),
    st.dictionaries(
        st.sampled_from(["ann", "bob", "cy"]),
        st.lists(labelled, max_size=6),
        min_size=1,
    ),
    max_size=8,
)


@settings(max_examples=150, deadline=None)
@given(image_boxes, st.floats(0.05, 1.0))
def test_batched_agreement_equals_image_by_image(
    images: dict[int, dict[str, list[BBox]]], threshold: float
) -> None:
    pairs = pairwise_box_agreement(images, threshold)
    for (a, b), result in pairs.items():
        shared = [row for row in images.values() if a in row and b in row]
        matches = [match_boxes(row[a], row[b], threshold) for row in shared]
        same = sum(
            row[a][i].label == row[b][j].label
            for row, m in zip(shared, matches, strict=True)
            for i, j in m.pairs
        )
        assert result.images == len(shared)
        assert result.matched == sum(len(m.pairs) for m in matches)
        assert result.first_count == sum(len(row[a]) for row in shared)
        assert result.second_count == sum(len(row[b]) for row in shared)
        if result.matched:
            total_iou = sum(sum(m.ious) for m in matches)
            assert result.mean_iou.value == pytest.approx(total_iou / result.matched)
            assert result.label_agreement.value == pytest.approx(same / result.matched)

"""Assistance metrics against hand-worked edits."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from annotary.core import (
    Annotation,
    AnnotationState,
    BBox,
    ClassRegion,
    Origin,
    Polygon,
    Span,
)
from annotary.errors import InvalidInput
from annotary.prelabel.assist import EditCounts, assistance_report, compare_regions


def box(x: float, y: float, w: float = 10, h: float = 10, label: str = "car") -> BBox:
    return BBox(x=x, y=y, w=w, h=h, label=label)


def span(start: int, end: int, label: str = "per") -> Span:
    return Span(start=start, end=end, label=label)


def cls(*labels: str) -> ClassRegion:
    return ClassRegion(labels=list(labels))


# (predicted, final, the non-zero counts expected)
CASES: list[tuple[list[Any], list[Any], dict[str, int]]] = [
    ([box(0, 0)], [box(0, 0)], {"boxes_kept": 1}),
    # 1 px right: IoU = 90 / 110 = 0.818, moved.
    ([box(0, 0)], [box(1, 0)], {"boxes_moved": 1}),
    # 0.1 px: IoU = 99 / 101 = 0.980, still kept at kept_iou 0.98.
    ([box(0, 0)], [box(0.1, 0)], {"boxes_kept": 1}),
    # 6 px: IoU = 40 / 160 = 0.25, a different object: deleted and added.
    ([box(0, 0)], [box(6, 0)], {"boxes_deleted": 1, "boxes_added": 1}),
    ([box(0, 0)], [box(0, 0, label="bus")], {"boxes_relabeled": 1}),
    (
        [box(0, 0), box(100, 100), box(50, 0)],
        [box(100, 101), box(0, 0), box(200, 200)],
        {"boxes_kept": 1, "boxes_moved": 1, "boxes_deleted": 1, "boxes_added": 1},
    ),
    ([], [box(0, 0)], {"boxes_added": 1}),
    ([span(0, 5)], [span(0, 5)], {"spans_kept": 1}),
    ([span(0, 5)], [span(0, 7)], {"spans_resized": 1}),
    ([span(0, 5)], [span(0, 5, "org")], {"spans_relabeled": 1}),
    ([span(0, 5)], [span(2, 7, "org")], {"spans_relabeled": 1}),
    ([span(0, 5)], [span(5, 9)], {"spans_deleted": 1, "spans_added": 1}),
    (
        [span(0, 5), span(10, 15, "org"), span(20, 25)],
        [span(0, 5, "loc"), span(0, 5), span(9, 15, "org")],
        {"spans_kept": 1, "spans_resized": 1, "spans_deleted": 1, "spans_added": 1},
    ),
    ([cls("pos")], [cls("pos")], {"classes_kept": 1}),
    ([cls("pos")], [cls("neg")], {"classes_changed": 1}),
    (
        [cls("a", "b", "c")],
        [cls("a", "d")],
        {"classes_kept": 1, "classes_changed": 1, "classes_deleted": 1},
    ),
    ([], [cls("a")], {"classes_added": 1}),
    (
        [Polygon(points=[(0, 0), (1, 0), (1, 1)])],
        [],
        {"other_predicted": 1},
    ),
]


@pytest.mark.parametrize(("predicted", "final", "expected"), CASES)
def test_edit_counts(
    predicted: list[Any], final: list[Any], expected: dict[str, int]
) -> None:
    counts = compare_regions(predicted, final).as_dict()
    moved = counts.pop("moved_ious")
    assert {k: v for k, v in counts.items() if v} == expected
    assert len(moved) == expected.get("boxes_moved", 0)


def test_moved_boxes_record_their_iou() -> None:
    counts = compare_regions([box(0, 0), box(50, 50)], [box(1, 0), box(50, 52)])
    assert sorted(counts.moved_ious) == pytest.approx([80 / 120, 90 / 110])


def test_thresholds_change_the_verdict_and_are_checked() -> None:
    assert compare_regions([box(0, 0)], [box(1, 0)], kept_iou=0.8).boxes_kept == 1
    assert compare_regions([box(0, 0)], [box(1, 0)], match_iou=0.9).boxes_added == 1
    with pytest.raises(InvalidInput, match="match_iou <= kept_iou"):
        compare_regions([], [], match_iou=0.9, kept_iou=0.5)


regions = st.lists(
    st.builds(
        box,
        st.integers(0, 30),
        st.integers(0, 30),
        label=st.sampled_from(["car", "bus"]),
    ),
    max_size=6,
)


@given(regions, regions)
def test_every_region_is_accounted_for(
    predicted: list[BBox], final: list[BBox]
) -> None:
    counts = compare_regions(predicted, final)
    assert counts.predicted == len(predicted)
    assert counts.final == len(final)


@given(regions)
def test_an_untouched_prediction_is_all_kept(predicted: list[BBox]) -> None:
    counts = compare_regions(predicted, [b.model_copy() for b in predicted])
    assert counts.boxes_kept == len(predicted) and counts.kept == counts.final


def _prediction(ident: int, item: int, version: str, *regions: Any) -> Annotation:
    return Annotation(
        id=ident,
        item_id=item,
        origin=Origin.model,
        model_name="opencv-faces.v1",
        model_version=version,
        regions=list(regions),
        state=AnnotationState.draft,
    )


def _human(
    ident: int, item: int, parent: int | None, seconds: float, *regions: Any, **kw: Any
) -> Annotation:
    return Annotation(
        id=ident,
        item_id=item,
        parent_id=parent,
        lead_time=seconds,
        regions=list(regions),
        **kw,
    )


def test_report_per_model_version_with_times() -> None:
    annotations = [
        _prediction(1, 10, "1", box(0, 0), box(50, 50)),
        _human(2, 10, 1, 4.0, box(0, 0), box(51, 50)),  # kept, moved
        _prediction(3, 11, "1", box(0, 0)),
        _human(4, 11, 3, 6.0),  # deleted
        _prediction(5, 12, "2", box(0, 0)),
        _human(6, 12, 5, 2.0, box(0, 0), box(80, 80)),  # kept, added
        _human(7, 13, None, 20.0, box(0, 0)),
        _human(8, 14, None, 30.0, box(0, 0)),
        _human(9, 15, None, 99.0, state=AnnotationState.draft),  # not submitted
        _human(10, 16, 42, 1.0),  # parent unknown: neither
    ]

    report = assistance_report(annotations)

    v1, v2 = report.models
    assert (v1.model_version, v1.items, v1.median_seconds) == ("1", 2, 5.0)
    assert (v1.counts.boxes_kept, v1.counts.boxes_moved, v1.counts.boxes_deleted) == (
        1,
        1,
        1,
    )
    assert v1.precision == pytest.approx(1 / 3)
    assert v1.final_share == pytest.approx(1 / 2)
    assert (v2.model_version, v2.counts.boxes_added, v2.precision) == ("2", 1, 1.0)
    assert v2.final_share == pytest.approx(1 / 2)
    assert (report.unassisted_items, report.unassisted_median_seconds) == (2, 25.0)


def test_empty_report() -> None:
    report = assistance_report([])
    assert report.models == [] and report.unassisted_median_seconds is None


def test_counts_add_up() -> None:
    total = EditCounts(boxes_kept=1, moved_ious=[0.7]) + EditCounts(
        boxes_kept=2, spans_added=1, moved_ious=[0.6]
    )
    assert (total.boxes_kept, total.spans_added, total.moved_ious) == (3, 1, [0.7, 0.6])


def test_a_rejected_post_edit_still_counts_and_is_named() -> None:
    annotations = [
        _prediction(1, 10, "1", box(0, 0), box(50, 50)),
        _human(2, 10, 1, 4.0, box(0, 0), state=AnnotationState.rejected),  # deleted 1
        _prediction(3, 11, "1", box(0, 0)),
        _human(4, 11, 3, 8.0, box(0, 0), state=AnnotationState.accepted),  # kept
        _human(5, 12, None, 30.0, box(0, 0), state=AnnotationState.rejected),
    ]

    report = assistance_report(annotations)

    (v1,) = report.models
    assert (v1.items, v1.rejected, v1.median_seconds) == (2, 1, 6.0)
    assert (v1.counts.boxes_kept, v1.counts.boxes_deleted) == (2, 1)
    assert v1.precision == pytest.approx(2 / 3)
    assert (report.unassisted_items, report.unassisted_median_seconds) == (1, 30.0)

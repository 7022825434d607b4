"""Items per hour and median lead time."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from annotary.errors import InvalidInput
from annotary.quality.annotators import annotator_stats

T0 = datetime(2026, 3, 1, 9, 0, 0)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def test_rates_use_union_of_working_intervals() -> None:
    records = [
        # ann: 9:00-9:10 and 9:05-9:12 overlap (two tabs) -> 12 minutes, then
        # a lunch gap, then 13:00-13:06: 18 working minutes for 3 items.
        ("ann", at(10), 600.0),
        ("ann", at(12), 420.0),
        ("ann", at(246), 360.0),
        ("bob", at(1), 30.0),
        ("bob", at(2), 90.0),
        ("bob", at(3), None),
    ]
    stats = annotator_stats(records)
    ann = stats["ann"]
    assert ann.items == 3
    assert ann.working_seconds == pytest.approx(18 * 60)
    assert ann.items_per_hour.value == pytest.approx(3 / 0.3)
    assert ann.median_lead_time.value == 420.0
    bob = stats["bob"]
    assert bob.items == 3
    assert bob.median_lead_time.value == 60.0
    assert bob.median_lead_time.n == 2
    # 9:00:30-9:01 and 9:00:30-9:02 merge into 90 s for two timed items.
    assert bob.items_per_hour.value == pytest.approx(2 * 3600 / 90)


@pytest.mark.parametrize(
    ("records", "reason"),
    [
        ([("a", T0, None)], "no lead times were recorded"),
        ([("a", T0, 0.0)], "the recorded working time is zero"),
    ],
)
def test_undefined_rates(records: list, reason: str) -> None:
    assert annotator_stats(records)["a"].items_per_hour.undefined_reason == reason


@pytest.mark.parametrize("lead", [-1.0, float("nan"), float("inf")])
def test_bad_lead_time(lead: float) -> None:
    with pytest.raises(InvalidInput, match="lead time"):
        annotator_stats([("a", T0, lead)])

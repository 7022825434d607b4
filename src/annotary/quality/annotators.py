"""Annotator statistics: throughput and lead time from submission records."""

from __future__ import annotations

import statistics
from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from annotary.errors import InvalidInput
from annotary.quality.result import MetricResult

Record = tuple[Hashable, datetime, float | None]


@dataclass(frozen=True, slots=True)
class AnnotatorStats:
    """One annotator's throughput.

    Attributes:
        items: Annotations submitted.
        items_per_hour: Annotations per hour of working time, where working
            time is the union of the intervals ``[created_at - lead_time,
            created_at]`` (overlapping tabs are not counted twice, idle gaps
            not at all); only annotations with a lead time count.
        median_lead_time: Median seconds spent per annotation.
        working_seconds: The working time behind ``items_per_hour``.
    """

    items: int
    items_per_hour: MetricResult
    median_lead_time: MetricResult
    working_seconds: float


def annotator_stats(records: Iterable[Record]) -> dict[Hashable, AnnotatorStats]:
    """Items per hour and median lead time for each annotator.

    Args:
        records: ``(annotator, created_at, lead_time)`` per annotation;
            ``created_at`` is when it was submitted, ``lead_time`` seconds
            spent on it (``None`` when unknown).

    Raises:
        InvalidInput: A lead time is negative or not finite.

    Example:
        >>> t = datetime(2026, 1, 1, 9, 0)
        >>> later = t + timedelta(minutes=1)
        >>> stats = annotator_stats([("ann", t, 60.0), ("ann", later, 60.0)])
        >>> stats["ann"].items_per_hour.value, stats["ann"].median_lead_time.value
        (60.0, 60.0)
    """
    grouped: dict[Hashable, list[tuple[datetime, float | None]]] = {}
    for annotator, created_at, lead_time in records:
        if lead_time is not None and not 0 <= lead_time < float("inf"):
            raise InvalidInput(
                f"annotator {annotator!r} at {created_at.isoformat()}: lead time "
                f"{lead_time!r} is not a non-negative number of seconds",
                annotator=str(annotator),
            )
        grouped.setdefault(annotator, []).append((created_at, lead_time))
    return {annotator: _stats(rows) for annotator, rows in grouped.items()}


def _stats(rows: list[tuple[datetime, float | None]]) -> AnnotatorStats:
    timed = [(at, lead) for at, lead in rows if lead is not None]
    leads = [lead for _, lead in timed]
    seconds = _union_seconds([(at - timedelta(seconds=lead), at) for at, lead in timed])
    if not leads:
        median = MetricResult.undefined("no lead times were recorded")
        rate = MetricResult.undefined("no lead times were recorded")
    elif seconds == 0:
        median = MetricResult.of(statistics.median(leads), len(leads))
        rate = MetricResult.undefined("the recorded working time is zero", len(leads))
    else:
        median = MetricResult.of(statistics.median(leads), len(leads))
        rate = MetricResult.of(len(leads) * 3600.0 / seconds, len(leads))
    return AnnotatorStats(len(rows), rate, median, seconds)


def _union_seconds(intervals: list[tuple[datetime, datetime]]) -> float:
    merged: list[list[datetime]] = []
    for low, high in sorted(intervals):
        if merged and low <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], high)
        else:
            merged.append([low, high])
    return sum((high - low).total_seconds() for low, high in merged)

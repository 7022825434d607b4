"""Gold scoring: each annotator's answers against known-correct answers."""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from typing import Any

from annotary.quality.result import MetricResult


def gold_accuracy(
    answers: Mapping[Hashable, Mapping[Hashable, Any]],
    gold: Mapping[Hashable, Any],
) -> dict[Hashable, MetricResult]:
    """Share of gold items each annotator answered correctly.

    A multi-label answer (a set or list of labels) is correct only when it
    equals the gold set. ``n`` is how many gold items the annotator answered;
    an annotator who answered none is "undefined".

    Args:
        answers: ``item -> annotator -> label`` (or set of labels).
        gold: ``item -> correct label`` (or set of labels).

    Example:
        >>> gold_accuracy({1: {"a": "x"}, 2: {"a": "y", "b": "y"}}, {1: "x", 2: "x"})
        {'a': MetricResult(value=0.5, undefined_reason=None, n=2), \
'b': MetricResult(value=0.0, undefined_reason=None, n=1)}
    """
    right: dict[Hashable, int] = {}
    seen: dict[Hashable, int] = {}
    for item, row in answers.items():
        for annotator in row:
            right.setdefault(annotator, 0)
            seen.setdefault(annotator, 0)
        if item not in gold:
            continue
        expected = _comparable(gold[item])
        for annotator, answer in row.items():
            if answer is None:
                continue
            seen[annotator] += 1
            right[annotator] += _comparable(answer) == expected

    return {
        annotator: (
            MetricResult.of(right[annotator] / count, count)
            if count
            else MetricResult.undefined("the annotator answered no gold item")
        )
        for annotator, count in seen.items()
    }


def _comparable(answer: Any) -> Any:
    if isinstance(answer, str) or not isinstance(answer, Iterable):
        return answer
    return frozenset(answer)

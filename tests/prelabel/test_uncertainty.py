"""Uncertainty scores against hand-computed values, and their properties."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from annotary.errors import InvalidInput
from annotary.prelabel.uncertainty import (
    entropy,
    least_confidence,
    margin,
    uncertainty,
    uncertainty_order,
)

H_532 = -(0.5 * math.log(0.5) + 0.3 * math.log(0.3) + 0.2 * math.log(0.2))


@pytest.mark.parametrize(
    ("row", "lc", "mg", "ent"),
    [
        ([0.5, 0.3, 0.2], 0.5, 0.8, H_532),  # H = 1.0297 nats
        ([1.0, 0.0], 0.0, 0.0, 0.0),
        ([0.5, 0.5], 0.5, 1.0, math.log(2)),
        ([0.25, 0.25, 0.25, 0.25], 0.75, 1.0, math.log(4)),
        ([0.9, 0.1], 0.1, 0.2, 0.325083),
        ([1.0], 0.0, 0.0, 0.0),
    ],
)
def test_hand_computed_scores(
    row: list[float], lc: float, mg: float, ent: float
) -> None:
    assert least_confidence([row])[0] == pytest.approx(lc)
    assert margin([row])[0] == pytest.approx(mg)
    assert entropy([row])[0] == pytest.approx(ent, abs=1e-6)


@pytest.mark.parametrize(
    ("probs", "message"),
    [
        ([[0.5, 0.6]], "row 0 sum to 1.1"),
        ([[0.5, 0.5], [0.2, 0.2]], "row 1 sum to 0.4"),
        ([[1.5, -0.5]], "non-negative"),
        ([[float("nan"), 1.0]], "finite"),
        ([0.5, 0.5], "shape"),
    ],
)
def test_bad_probabilities_are_refused(probs: list, message: str) -> None:
    for score in (least_confidence, margin, entropy):
        with pytest.raises(InvalidInput, match=message):
            score(probs)


def test_unknown_method_is_refused() -> None:
    with pytest.raises(InvalidInput, match="unknown uncertainty method 'gini'"):
        uncertainty([[0.5, 0.5]], "gini")


def test_empty_batch_gives_empty_scores() -> None:
    assert entropy(np.zeros((0, 3))).shape == (0,)


rows = (
    st.integers(2, 6)
    .flatmap(lambda k: st.lists(st.floats(0.01, 1.0), min_size=k, max_size=k))
    .map(lambda values: [v / sum(values) for v in values])
)


@given(rows)
def test_scores_lie_between_certain_and_uniform(row: list[float]) -> None:
    k = len(row)
    assert 0.0 <= least_confidence([row])[0] <= (k - 1) / k + 1e-9
    assert 0.0 <= margin([row])[0] <= 1.0 + 1e-9
    assert 0.0 <= entropy([row])[0] <= math.log(k) + 1e-9


@given(rows)
def test_scores_do_not_depend_on_label_order(row: list[float]) -> None:
    flipped = row[::-1]
    for method in ("least_confidence", "margin", "entropy"):
        assert uncertainty([row], method)[0] == pytest.approx(
            uncertainty([flipped], method)[0]
        )


@pytest.mark.parametrize(
    ("method", "expected"),
    [
        ("least_confidence", [1, 3, 2, 0]),
        ("margin", [1, 3, 2, 0]),
        ("entropy", [1, 3, 2, 0]),
    ],
)
def test_order_puts_the_most_uncertain_first(method: str, expected: list[int]) -> None:
    probs = [[0.99, 0.01], [0.5, 0.5], [0.8, 0.2], [0.4, 0.6]]
    assert uncertainty_order(probs, method=method, random_share=0) == expected


def test_margin_and_least_confidence_can_disagree() -> None:
    # Row 0: low top probability (LC 0.6) but a clear gap (margin score 0.75);
    # row 1: higher top probability (LC 0.5) with a close runner-up (0.95).
    probs = [[0.4, 0.15, 0.15, 0.15, 0.15], [0.5, 0.45, 0.05, 0.0, 0.0]]
    assert uncertainty_order(probs, method="least_confidence", random_share=0) == [0, 1]
    assert uncertainty_order(probs, method="margin", random_share=0) == [1, 0]


def test_random_share_mixes_in_random_picks_and_keeps_every_row() -> None:
    probs = np.array([[p, 1 - p] for p in np.linspace(0.5, 1.0, 40)])
    ranked = uncertainty_order(probs, random_share=0)
    mixed = uncertainty_order(probs, random_share=0.25, seed=3)

    assert sorted(mixed) == list(range(40))
    assert mixed != ranked
    assert mixed[:3] == ranked[:3]  # slots 1-3 are by rank, slot 4 is random
    assert uncertainty_order(probs, random_share=0.25, seed=3) == mixed


@pytest.mark.parametrize("share", [-0.1, 1.5])
def test_random_share_outside_0_1_is_refused(share: float) -> None:
    with pytest.raises(InvalidInput, match="random_share"):
        uncertainty_order([[0.5, 0.5]], random_share=share)

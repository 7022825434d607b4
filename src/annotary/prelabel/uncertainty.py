"""Uncertainty scores for active learning, and an order that uses them.

Each score takes an (items, labels) array of class probabilities (rows sum to
1) and gives one number per item; larger always means less certain:

- least confidence: ``1 - max p``;
- margin: ``1 - (p1 - p2)``, the two largest probabilities;
- entropy: ``-sum p ln p`` in nats (``ln k`` for a uniform row over k labels).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Literal

import numpy as np

from annotary.errors import InvalidInput

Method = Literal["least_confidence", "margin", "entropy"]


def _checked(probs: np.ndarray | Sequence[Sequence[float]]) -> np.ndarray:
    array = np.asarray(probs, dtype=float)
    if array.ndim != 2 or array.shape[1] < 1:
        raise InvalidInput(
            f"probabilities must be an (items, labels) array, got shape {array.shape}"
        )
    if array.size and (np.any(array < -1e-9) or not np.all(np.isfinite(array))):
        raise InvalidInput("probabilities must be finite and non-negative")
    sums = array.sum(axis=1)
    bad = np.flatnonzero(np.abs(sums - 1.0) > 1e-6)
    if bad.size:
        raise InvalidInput(
            f"probabilities of row {int(bad[0])} sum to {sums[bad[0]]:.6g}, not 1",
            row=int(bad[0]),
        )
    return np.asarray(np.clip(array, 0.0, 1.0))


def least_confidence(probs: np.ndarray | Sequence[Sequence[float]]) -> np.ndarray:
    """``1 - max p`` per row.

    Example:
        >>> least_confidence([[0.5, 0.3, 0.2]]).round(3).tolist()
        [0.5]
    """
    array = _checked(probs)
    return np.asarray(1.0 - array.max(axis=1, initial=0.0))


def margin(probs: np.ndarray | Sequence[Sequence[float]]) -> np.ndarray:
    """``1 - (p1 - p2)`` per row; a single-label row is certain (0).

    Example:
        >>> margin([[0.5, 0.3, 0.2]]).round(3).tolist()
        [0.8]
    """
    array = _checked(probs)
    if array.shape[1] < 2:
        return np.zeros(array.shape[0])
    top = -np.sort(-array, axis=1)
    return np.asarray(1.0 - (top[:, 0] - top[:, 1]))


def entropy(probs: np.ndarray | Sequence[Sequence[float]]) -> np.ndarray:
    """Shannon entropy in nats per row (0 ln 0 taken as 0).

    Example:
        >>> entropy([[0.5, 0.5]]).round(4).tolist()
        [0.6931]
    """
    array = _checked(probs)
    logs = np.log(np.where(array > 0, array, 1.0))
    return np.asarray(-(array * logs).sum(axis=1) + 0.0)


SCORES: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "least_confidence": least_confidence,
    "margin": margin,
    "entropy": entropy,
}


def uncertainty(
    probs: np.ndarray | Sequence[Sequence[float]], method: str = "entropy"
) -> np.ndarray:
    """The named score (``least_confidence``, ``margin`` or ``entropy``)."""
    if method not in SCORES:
        raise InvalidInput(
            f"unknown uncertainty method {method!r}; use one of {sorted(SCORES)}",
            method=method,
        )
    return SCORES[method](np.asarray(probs, dtype=float))


def uncertainty_order(
    probs: np.ndarray | Sequence[Sequence[float]],
    *,
    method: str = "entropy",
    random_share: float = 0.1,
    seed: int = 0,
) -> list[int]:
    """Row indices, most uncertain first, with a share of random picks mixed in.

    Every ``round(1 / random_share)``-th slot takes a random remaining row
    instead of the most uncertain one, so the model also sees items it is sure
    about (and may be wrong on). Ties keep row order.

    Args:
        probs: (items, labels) class probabilities.
        method: the uncertainty score to rank by.
        random_share: share of slots filled at random, 0 to 1.
        seed: seed of the random picks.

    Example:
        >>> uncertainty_order([[0.9, 0.1], [0.5, 0.5], [0.7, 0.3]], random_share=0)
        [1, 2, 0]
    """
    if not 0.0 <= random_share <= 1.0:
        raise InvalidInput(f"random_share must be in [0, 1], got {random_share}")
    scores = uncertainty(probs, method)
    ranked = [int(i) for i in np.argsort(-scores, kind="stable")]
    if random_share == 0.0:
        return ranked

    rng = np.random.default_rng(seed)
    every = max(1, round(1.0 / random_share))
    remaining = list(ranked)
    order: list[int] = []
    while remaining:
        slot = len(order) + 1
        pick = int(rng.integers(len(remaining))) if slot % every == 0 else 0
        order.append(remaining.pop(pick))
    return order

"""Active-learning simulation: does an uncertainty-ordered queue need fewer labels?

A simulation replays labelling on data whose gold labels are known: start from
a few random labelled items, train, measure accuracy on a held-out set, let
the strategy pick the next batch from the unlabelled pool, and repeat. The
result is a learning curve (labels used against held-out accuracy) per
strategy.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from annotary.errors import InvalidInput
from annotary.prelabel.textclf import SklearnText
from annotary.prelabel.uncertainty import uncertainty_order

log = logging.getLogger("annotary.prelabel")


@dataclass(frozen=True)
class CurvePoint:
    labels: int
    accuracy: float


@dataclass
class LearningCurve:
    """Held-out accuracy after each retrain, for one strategy."""

    strategy: str
    points: list[CurvePoint] = field(default_factory=list)

    def labels_to_reach(self, target: float) -> int | None:
        """Fewest labels at which the accuracy reached ``target``; None if never."""
        for point in self.points:
            if point.accuracy >= target:
                return point.labels
        return None

    def area(self) -> float:
        """Mean accuracy over the curve's points (a single-number summary)."""
        return float(np.mean([p.accuracy for p in self.points])) if self.points else 0.0

    def format(self) -> str:
        cells = " ".join(f"{p.labels}:{p.accuracy:.2f}" for p in self.points)
        return f"{self.strategy:>12} {cells}"


@dataclass
class Simulation:
    """The data of one simulation: a pool to label and a held-out test set."""

    pool_texts: Sequence[str]
    pool_labels: Sequence[str]
    test_texts: Sequence[str]
    test_labels: Sequence[str]

    def __post_init__(self) -> None:
        if len(self.pool_texts) != len(self.pool_labels):
            raise InvalidInput("pool texts and labels differ in length")
        if len(self.test_texts) != len(self.test_labels):
            raise InvalidInput("test texts and labels differ in length")
        if not self.test_texts:
            raise InvalidInput("the held-out test set is empty")


ModelFactory = Callable[[], SklearnText]


def simulate(
    data: Simulation,
    *,
    strategy: str = "uncertainty",
    method: str = "entropy",
    start: int = 10,
    step: int = 10,
    budget: int | None = None,
    random_share: float = 0.0,
    seed: int = 0,
    model_factory: ModelFactory | None = None,
) -> LearningCurve:
    """Replay labelling with one strategy and return its learning curve.

    Args:
        data: pool and held-out set with gold labels.
        strategy: ``"uncertainty"`` (most uncertain first) or ``"random"``.
        method: the uncertainty score (``least_confidence``, ``margin``,
            ``entropy``).
        start: random items labelled before the first model (grown until two
            labels are present).
        step: items labelled between retrains.
        budget: stop after this many labels (default: the whole pool).
        random_share: share of each uncertainty batch picked at random.
        seed: seeds the start set, random picks and the model.
        model_factory: builds a fresh untrained model (default ``SklearnText``).

    Returns:
        One point per retrain: labels used and accuracy on the held-out set.

    Example:
        >>> data = Simulation(["good", "bad", "fine", "awful"], ["p", "n", "p", "n"],
        ...                   ["great", "poor"], ["p", "n"])
        >>> [p.labels for p in simulate(data, start=3, step=1).points]
        [3, 4]
    """
    if strategy not in ("uncertainty", "random"):
        raise InvalidInput(f"unknown strategy {strategy!r}; use uncertainty or random")
    if start < 2 or step < 1:
        raise InvalidInput(f"start must be >= 2 and step >= 1, got {start}, {step}")

    factory = model_factory or (lambda: SklearnText(seed=seed, min_examples=2))
    pool = list(data.pool_texts)
    gold = list(data.pool_labels)
    limit = min(budget or len(pool), len(pool))
    rng = np.random.default_rng(seed)
    order = [int(i) for i in rng.permutation(len(pool))]
    labelled = _start_set(order, gold, start)
    unlabelled = [i for i in order if i not in set(labelled)]
    curve = LearningCurve(strategy=strategy)

    while True:
        model = factory()
        model.fit_texts([pool[i] for i in labelled], [gold[i] for i in labelled])
        curve.points.append(CurvePoint(len(labelled), _accuracy(model, data)))
        if len(labelled) >= limit or not unlabelled:
            break

        take = min(step, limit - len(labelled), len(unlabelled))
        chosen = _next_batch(
            model, pool, unlabelled, take, strategy, method, random_share, rng
        )
        labelled += chosen
        unlabelled = [i for i in unlabelled if i not in set(chosen)]

    log.info("simulation %s: %s", strategy, curve.format())
    return curve


def compare_strategies(
    data: Simulation,
    *,
    repeats: int = 1,
    seed: int = 0,
    method: str = "entropy",
    start: int = 10,
    step: int = 10,
    budget: int | None = None,
    random_share: float = 0.0,
) -> dict[str, LearningCurve]:
    """Uncertainty against random order from the same start sets.

    Seeds ``seed .. seed + repeats - 1`` are run for both strategies and the
    accuracies at each label count averaged; options as in ``simulate``.
    """
    curves: dict[str, LearningCurve] = {}
    for strategy in ("uncertainty", "random"):
        runs = [
            simulate(
                data,
                strategy=strategy,
                method=method,
                start=start,
                step=step,
                budget=budget,
                random_share=random_share,
                seed=seed + r,
            )
            for r in range(repeats)
        ]
        curves[strategy] = mean_curve(runs)
    return curves


def mean_curve(curves: Sequence[LearningCurve]) -> LearningCurve:
    """Average several runs point by point (they must share label counts)."""
    first = curves[0]
    for other in curves[1:]:
        if [p.labels for p in other.points] != [p.labels for p in first.points]:
            raise InvalidInput("curves to average have different label counts")
    points = [
        CurvePoint(
            point.labels,
            float(np.mean([c.points[k].accuracy for c in curves])),
        )
        for k, point in enumerate(first.points)
    ]
    return LearningCurve(strategy=first.strategy, points=points)


def retrain_due(trained_on: int, labelled_now: int, every: int) -> bool:
    """Whether ``every`` new labels have come in since the last training.

    Example:
        >>> retrain_due(trained_on=100, labelled_now=150, every=50)
        True
    """
    if every < 1:
        raise InvalidInput(f"retrain interval must be at least 1, got {every}")
    return labelled_now - trained_on >= every


def _start_set(order: list[int], gold: list[str], start: int) -> list[int]:
    chosen = order[:start]
    rest = iter(order[start:])
    while len({gold[i] for i in chosen}) < 2:
        extra = next(rest, None)
        if extra is None:
            raise InvalidInput("the pool has fewer than two distinct labels")
        chosen.append(extra)
    return chosen


def _accuracy(model: SklearnText, data: Simulation) -> float:
    names = sorted(set(data.pool_labels) | set(data.test_labels))
    probs = model.proba_matrix(list(data.test_texts), names)
    predicted = [names[k] for k in probs.argmax(axis=1)]
    hits = sum(p == g for p, g in zip(predicted, data.test_labels, strict=True))
    return float(hits) / len(data.test_labels)


def _next_batch(
    model: SklearnText,
    pool: list[str],
    unlabelled: list[int],
    take: int,
    strategy: str,
    method: str,
    random_share: float,
    rng: np.random.Generator,
) -> list[int]:
    if strategy == "random":
        return unlabelled[:take]

    names = model.classes
    probs = model.proba_matrix([pool[i] for i in unlabelled], names)
    ranked = uncertainty_order(
        probs,
        method=method,
        random_share=random_share,
        seed=int(rng.integers(2**31)),
    )
    return [unlabelled[k] for k in ranked[:take]]

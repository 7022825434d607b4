"""Active-learning simulation on the pang_lee sentences: both curves printed."""

from __future__ import annotations

import pytest

from annotary.errors import InvalidInput
from annotary.prelabel.active import (
    CurvePoint,
    LearningCurve,
    Simulation,
    compare_strategies,
    mean_curve,
    retrain_due,
    simulate,
)


@pytest.fixture(scope="module")
def curves(pang_lee: tuple[list[str], list[str]]) -> dict[str, LearningCurve]:
    texts, labels = pang_lee
    data = Simulation(texts[0::2], labels[0::2], texts[1::2], labels[1::2])
    return compare_strategies(data, repeats=3, start=10, step=10, method="entropy")


def test_uncertainty_against_random_order(curves: dict[str, LearningCurve]) -> None:
    uncertain, random = curves["uncertainty"], curves["random"]
    print()
    print(uncertain.format(), f"mean {uncertain.area():.3f}")
    print(random.format(), f"mean {random.area():.3f}")
    for target in (0.55, 0.58):
        reach_u = uncertain.labels_to_reach(target)
        reach_r = random.labels_to_reach(target)
        print(f"labels to reach {target}: uncertainty {reach_u}, random {reach_r}")

    assert [p.labels for p in uncertain.points] == list(range(10, 101, 10))
    assert [p.labels for p in random.points] == list(range(10, 101, 10))
    # With the whole pool labelled both strategies train on the same set.
    assert uncertain.points[-1].accuracy == pytest.approx(random.points[-1].accuracy)
    assert uncertain.points[-1].accuracy > 0.55
    # On these 200 short sentences the gain is small; it must at least not
    # be worse on average (a mean over 3 seeds, 10 points each).
    assert uncertain.area() >= random.area() - 0.005


def test_strategies_pick_different_items(pang_lee: tuple[list[str], list[str]]) -> None:
    texts, labels = pang_lee
    data = Simulation(texts[0::2], labels[0::2], texts[1::2], labels[1::2])
    a = simulate(data, strategy="uncertainty", start=10, step=10, budget=30)
    b = simulate(data, strategy="random", start=10, step=10, budget=30)
    assert [p.labels for p in a.points] == [10, 20, 30]
    assert a.points[0] == b.points[0]  # same seed, same start set
    assert a.points[1:] != b.points[1:]


def test_labels_to_reach_and_mean_curve() -> None:
    one = LearningCurve("x", [CurvePoint(10, 0.5), CurvePoint(20, 0.7)])
    two = LearningCurve("x", [CurvePoint(10, 0.6), CurvePoint(20, 0.8)])
    averaged = mean_curve([one, two])
    assert [p.accuracy for p in averaged.points] == pytest.approx([0.55, 0.75])
    assert averaged.labels_to_reach(0.7) == 20
    assert averaged.labels_to_reach(0.9) is None
    assert averaged.area() == pytest.approx(0.65)

    with pytest.raises(InvalidInput, match="different label counts"):
        mean_curve([one, LearningCurve("x", [CurvePoint(10, 0.5)])])


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"strategy": "greedy"}, "unknown strategy"),
        ({"start": 1}, "start must be >= 2"),
        ({"step": 0}, "step >= 1"),
    ],
)
def test_bad_options_are_refused(options: dict, message: str) -> None:
    data = Simulation(["a", "b", "c"], ["x", "y", "x"], ["a"], ["x"])
    with pytest.raises(InvalidInput, match=message):
        simulate(data, **options)


def test_pool_with_one_label_and_empty_test_set_are_refused() -> None:
    with pytest.raises(InvalidInput, match="fewer than two distinct labels"):
        simulate(Simulation(["a", "b"], ["x", "x"], ["a"], ["x"]), start=2)
    with pytest.raises(InvalidInput, match="test set is empty"):
        Simulation(["a"], ["x"], [], [])


@pytest.mark.parametrize(
    ("trained_on", "now", "every", "expected"),
    [
        (0, 49, 50, False),
        (0, 50, 50, True),
        (100, 120, 10, True),
        (5, 5, 1, False),
        (0, 10, 0, InvalidInput),
    ],
)
def test_retrain_due(
    trained_on: int, now: int, every: int, expected: bool | type[Exception]
) -> None:
    if isinstance(expected, bool):
        assert retrain_due(trained_on, now, every) is expected
    else:
        with pytest.raises(expected, match="at least 1"):
            retrain_due(trained_on, now, every)

"""Majority vote, Dawid-Skene, box and span consensus."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from annotary.core.regions import BBox, ClassRegion, Span
from annotary.errors import InvalidInput
from annotary.quality.consensus import (
    Vote,
    consensus_boxes,
    consensus_spans,
    dawid_skene,
    majority_vote,
)
from annotary.quality.ratings import rating_table


@pytest.mark.parametrize(
    ("row", "weights", "expected"),
    [
        ({"a": "x", "b": "x", "c": "y"}, None, Vote("x", 2.0, 3.0)),
        ({"a": "x", "b": "y"}, None, Vote(None, 1.0, 2.0, ("x", "y"))),
        (
            {"a": "x", "b": "y", "c": "y", "d": "x"},
            None,
            Vote(None, 2.0, 4.0, ("x", "y")),
        ),
        ({"a": "x", "b": "y"}, {"a": 0.9, "b": 0.6}, Vote("x", 0.9, 1.5)),
        ({"a": "x", "b": "y", "c": "y"}, {"a": 3.0}, Vote("x", 3.0, 5.0)),
        ({"a": "z"}, None, Vote("z", 1.0, 1.0)),
        ({}, None, Vote(None, 0.0, 0.0)),
    ],
)
def test_majority_vote(
    row: dict[str, str], weights: dict[str, float] | None, expected: Vote
) -> None:
    ratings = {"item": row, "other": {"a": "x", "b": "y", "z": "z"}}
    vote = majority_vote(ratings, weights)["item"]
    assert vote.label == expected.label
    assert vote.tied == expected.tied
    assert (vote.votes, vote.total) == pytest.approx((expected.votes, expected.total))


def test_vote_region() -> None:
    votes = majority_vote({1: {"a": "x", "b": "x", "c": "y"}, 2: {"a": "x", "b": "y"}})
    region = votes[1].region()
    assert isinstance(region, ClassRegion)
    assert (region.label, region.score) == ("x", pytest.approx(2 / 3))
    assert votes[2].region() is None


def test_negative_weight_is_rejected() -> None:
    with pytest.raises(InvalidInput, match="weight"):
        majority_vote({1: {"a": "x"}}, {"a": -1.0})


def simulate(
    items: int, accuracies: list[float], q: int = 3, seed: int = 0
) -> tuple[dict[int, dict[str, int]], np.ndarray]:
    """Annotators who are right with the given probability, else uniformly wrong."""
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, q, size=items)
    ratings: dict[int, dict[str, int]] = {}
    for i, true in enumerate(truth.tolist()):
        row = {}
        for j, accuracy in enumerate(accuracies):
            if rng.random() < accuracy:
                row[f"a{j}"] = true
            else:
                row[f"a{j}"] = int((true + rng.integers(1, q)) % q)
        ratings[i] = row
    return ratings, truth


def test_dawid_skene_beats_majority_with_spammers() -> None:
    # Two careful annotators and three who mostly guess: majority vote follows
    # the guessers, Dawid-Skene learns to trust the careful two.
    ratings, truth = simulate(2000, [0.9, 0.85, 0.4, 0.4, 0.35])
    model = dawid_skene(ratings)
    assert model.converged
    ds = model.labels()
    ds_accuracy = np.mean([ds[i] == t for i, t in enumerate(truth.tolist())])
    votes = majority_vote(ratings)
    mv_accuracy = np.mean([votes[i].label == t for i, t in enumerate(truth.tolist())])
    assert ds_accuracy > mv_accuracy + 0.05
    assert ds_accuracy > 0.9

    estimated = model.accuracy()
    for name, accuracy in zip(
        ["a0", "a1", "a2", "a3", "a4"], [0.9, 0.85, 0.4, 0.4, 0.35], strict=True
    ):
        assert estimated[name] == pytest.approx(accuracy, abs=0.04)
    assert model.priors == pytest.approx(np.bincount(truth) / len(truth), abs=0.03)
    region = model.region(0)
    assert region.label == str(ds[0]) and 0.3 < region.score <= 1.0


def test_dawid_skene_with_missing_ratings() -> None:
    ratings, truth = simulate(600, [0.9, 0.8, 0.7, 0.6], seed=3)
    rng = np.random.default_rng(4)
    sparse = {
        i: {a: v for a, v in row.items() if rng.random() < 0.6}
        for i, row in ratings.items()
    }
    sparse[-1] = {}
    table = rating_table(sparse)
    model = dawid_skene(table)
    assert model.posterior.shape == (601, 3)
    assert np.allclose(model.posterior.sum(axis=1), 1.0)
    labels = model.labels()
    rated = [i for i in range(600) if sparse[i]]
    accuracy = np.mean([labels[i] == truth[i] for i in rated])
    assert accuracy > 0.8


@pytest.mark.parametrize(
    ("ratings", "kwargs", "message"),
    [
        ({1: {}}, {}, "at least one rating"),
        ({1: {"a": "x"}}, {"tol": 0}, "tol"),
        ({1: {"a": "x"}}, {"max_iterations": 0}, "max_iterations"),
    ],
)
def test_dawid_skene_bad_input(ratings: dict, kwargs: dict, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        dawid_skene(ratings, **kwargs)


def box(x: float, y: float, w: float, h: float, label: str = "car") -> BBox:
    return BBox(x=x, y=y, w=w, h=h, label=label)


def test_consensus_boxes_majority_and_mean() -> None:
    merged = consensus_boxes(
        {
            "a": [box(0, 0, 10, 10), box(100, 100, 10, 10, "dog")],
            "b": [box(1, 0, 10, 10), box(101, 100, 10, 10, "cat")],
            "c": [box(2, 0, 10, 10, "truck"), box(300, 300, 5, 5)],
        }
    )
    assert len(merged) == 2
    first, second = merged
    assert (first.x, first.y, first.w, first.h) == pytest.approx((1, 0, 10, 10))
    assert first.label == "car"
    assert first.score == pytest.approx(1.0)
    assert first.attributes["consensus_of"] == ["a", "b", "c"]
    # dog vs cat with equal weights: the earliest member's label wins the tie
    assert (second.x, second.label, second.score) == (
        pytest.approx(100.5),
        "dog",
        pytest.approx(2 / 3),
    )


def test_consensus_boxes_weighted() -> None:
    merged = consensus_boxes(
        {"a": [box(0, 0, 10, 10, "car")], "b": [box(2, 0, 10, 10, "van")]},
        weights={"a": 1.0, "b": 3.0},
    )
    (only,) = merged
    assert only.x == pytest.approx(1.5)
    assert only.label == "van"
    # Alone, the heavier annotator's box still has the majority of the weight.
    alone = consensus_boxes({"a": [], "b": [box(0, 0, 1, 1)]}, weights={"a": 1, "b": 3})
    assert len(alone) == 1
    assert consensus_boxes({"a": [], "b": [box(0, 0, 1, 1)]}) == []


def test_consensus_spans() -> None:
    merged = consensus_spans(
        {
            "a": [Span(start=0, end=3, label="PER"), Span(start=0, end=3, label="PER")],
            "b": [Span(start=0, end=3, label="PER"), Span(start=5, end=9, label="LOC")],
            "c": [Span(start=5, end=9, label="LOC"), Span(start=5, end=9, label="ORG")],
        }
    )
    assert [(s.start, s.end, s.label) for s in merged] == [(0, 3, "PER"), (5, 9, "LOC")]
    assert merged[0].score == pytest.approx(2 / 3)
    weighted = consensus_spans(
        {"a": [Span(start=0, end=1)], "b": []}, weights={"a": 2.0, "b": 1.0}
    )
    assert len(weighted) == 1


@settings(max_examples=150, deadline=None)
@given(
    st.dictionaries(
        st.integers(0, 30),
        st.dictionaries(st.sampled_from("abcde"), st.sampled_from("xyz"), max_size=5),
        max_size=30,
    )
)
def test_majority_vote_matches_counting(ratings: dict[int, dict[str, str]]) -> None:
    votes = majority_vote(ratings)
    for item, row in ratings.items():
        counts = Counter(row.values()).most_common()
        vote = votes[item]
        if not counts:
            assert (vote.label, vote.tied, vote.total) == (None, (), 0.0)
            continue
        top = counts[0][1]
        leaders = sorted(label for label, count in counts if count == top)
        assert vote.votes == top and vote.total == len(row)
        if len(leaders) == 1:
            assert (vote.label, vote.tied) == (leaders[0], ())
        else:
            assert (vote.label, vote.tied) == (None, tuple(leaders))


separated = st.lists(
    st.tuples(st.integers(0, 9), st.integers(0, 9), st.floats(1, 40)),
    max_size=6,
    unique_by=lambda t: (t[0], t[1]),
)


@settings(max_examples=100, deadline=None)
@given(separated, st.integers(1, 4))
def test_identical_annotators_give_their_boxes_back(
    cells: list[tuple[int, int, float]], annotators: int
) -> None:
    # Boxes in distinct cells of a 100-pixel grid never overlap each other.
    drawn = [box(100 * i, 100 * j, size, size) for i, j, size in cells]
    merged = consensus_boxes({f"a{k}": drawn for k in range(annotators)})
    expected = sorted((b.x, b.y, b.w, b.h) for b in drawn)
    got = sorted((b.x, b.y, b.w, b.h) for b in merged)
    np.testing.assert_allclose(
        np.array(got).reshape(-1, 4), np.array(expected).reshape(-1, 4)
    )
    assert all(b.label == "car" for b in merged)
    assert all(b.score == pytest.approx(1.0) for b in merged)

"""Pairs of annotators read from the items: the same pairs and values as a loop
over every pair of annotators, less the pairs that share no item."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping
from itertools import combinations
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from annotary.core.regions import BBox, Polygon, Span
from annotary.quality.agreement import cohen_kappa, pairwise_cohen_kappa
from annotary.quality.boxes import pairwise_box_agreement
from annotary.quality.pairs import shared_items
from annotary.quality.ratings import rating_table
from annotary.quality.shapes import pairwise_shape_agreement
from annotary.quality.spans import span_agreement
from annotary.quality.transcripts import transcript_agreement

NAMES = ["ann", "bob", "cy", "dee", "eve", "fay", "gus"]
Rows = dict[int, dict[str, Any]]


def every_pair(rows: Mapping[Any, Mapping[Hashable, Any]]) -> dict[Any, list[Any]]:
    """The old way: every pair of annotators, each scanning all items."""
    annotators = list(dict.fromkeys(a for row in rows.values() for a in row))
    return {
        (a, b): [i for i, row in rows.items() if a in row and b in row]
        for a, b in combinations(annotators, 2)
    }


def meeting(rows: Mapping[Any, Mapping[Hashable, Any]]) -> list[tuple[Any, Any]]:
    return [(pair, items) for pair, items in every_pair(rows).items() if items]


def only(rows: Rows, a: str, b: str) -> Rows:
    return {
        i: {a: row[a], b: row[b]} for i, row in rows.items() if a in row and b in row
    }


def rows_of(values: st.SearchStrategy[Any]) -> st.SearchStrategy[Rows]:
    return st.dictionaries(
        st.integers(0, 12),
        st.dictionaries(st.sampled_from(NAMES), values, min_size=1, max_size=4),
        max_size=10,
    )


def test_shared_items_example_and_order() -> None:
    rows = {1: {"b": 0, "a": 0}, 2: {"c": 1, "a": 1}, 3: {"d": 1}, 4: {"a": 0, "b": 0}}
    assert list(shared_items(rows).items()) == [(("b", "a"), [1, 4]), (("a", "c"), [2])]
    ranked = shared_items(rows, order=["c", "a", "b"])
    assert list(ranked.items()) == [(("c", "a"), [2]), (("a", "b"), [1, 4])]
    assert shared_items({}) == {}
    assert shared_items({1: {"a": 0}, 2: {"b": 0}}) == {}


@settings(max_examples=200, deadline=None)
@given(rows_of(st.just(0)))
def test_shared_items_equals_every_pair_less_the_strangers(rows: Rows) -> None:
    assert list(shared_items(rows).items()) == meeting(rows)


spans = st.lists(
    st.builds(
        lambda s, n, label: Span(start=s, end=s + n, label=label),
        st.integers(0, 20),
        st.integers(1, 6),
        st.sampled_from(["PER", "LOC"]),
    ),
    max_size=3,
)
boxes = st.lists(
    st.builds(
        lambda x, y, w, h, label: BBox(x=x, y=y, w=w, h=h, label=label),
        st.integers(0, 30),
        st.integers(0, 30),
        st.integers(1, 12),
        st.integers(1, 12),
        st.sampled_from(["car", "bus"]),
    ),
    max_size=3,
)
squares = st.lists(
    st.builds(
        lambda x, y, w, label: Polygon(
            points=[(x, y), (x + w, y), (x + w, y + w), (x, y + w)], label=label
        ),
        st.integers(0, 20),
        st.integers(0, 20),
        st.integers(2, 12),
        st.sampled_from(["cat", "dog"]),
    ),
    max_size=3,
)
texts = st.lists(st.sampled_from(["a", "b", "ab"]), max_size=4).map(" ".join)
PairMetric = Callable[[Rows], dict[Any, Any]]


def pair_metrics() -> list[tuple[st.SearchStrategy[Rows], PairMetric]]:
    return [
        (rows_of(spans), span_agreement),
        (rows_of(spans), lambda rows: span_agreement(rows, "overlap")),
        (rows_of(texts), transcript_agreement),
        (rows_of(boxes), lambda rows: pairwise_box_agreement(rows, 0.4)),
        (
            rows_of(squares),
            lambda rows: pairwise_shape_agreement(
                rows, 0.4, dict.fromkeys(rows, (40, 40))
            ),
        ),
    ]


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_pair_metrics_equal_the_loop_over_every_pair(data: st.DataObject) -> None:
    for strategy, pairwise in pair_metrics():
        rows = data.draw(strategy)
        report = pairwise(rows)
        assert list(report) == [pair for pair, _ in meeting(rows)]
        for a, b in report:
            assert report[a, b] == pairwise(only(rows, a, b))[a, b]


@settings(max_examples=150, deadline=None)
@given(rows_of(st.sampled_from(["x", "y", "z", None])))
def test_pairwise_cohen_kappa_equals_kappa_on_the_whole_table(rows: Rows) -> None:
    table = rating_table(rows)
    weights = "quadratic" if len(rows) % 2 else None
    rated = [{a for a, v in row.items() if v is not None} for row in rows.values()]
    expected = {
        (a, b): cohen_kappa(table, a, b, weights)
        for a, b in combinations(table.annotators, 2)
        if any(a in row and b in row for row in rated)
    }
    pairs = pairwise_cohen_kappa(table, weights)
    assert list(pairs.items()) == list(expected.items())


def test_pairs_that_share_no_item_are_left_out() -> None:
    """A thousand annotators on 500 items, two each: 500 pairs, not 499,500."""
    rows = {i: {f"a{2 * i}": "x", f"a{2 * i + 1}": "y"} for i in range(500)}
    assert len(pairwise_cohen_kappa(rows)) == 500
    marked = {i: {a: [Span(start=0, end=1)] for a in row} for i, row in rows.items()}
    assert len(span_agreement(marked)) == 500
    said = {i: dict.fromkeys(row, "yes") for i, row in rows.items()}
    assert len(transcript_agreement(said)) == 500
    drawn = {i: {a: [BBox(x=0, y=0, w=2, h=2)] for a in row} for i, row in rows.items()}
    report = pairwise_box_agreement(drawn)
    assert len(report) == 500
    assert {r.images for r in report.values()} == {1}

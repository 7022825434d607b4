"""Span F1 and token kappa on hand-counted examples."""

from __future__ import annotations

import pytest
from sklearn.metrics import cohen_kappa_score

from annotary.core.regions import Span
from annotary.errors import InvalidInput
from annotary.quality.spans import (
    span_agreement,
    span_f1,
    token_kappa,
    token_labels,
    tokenize,
)


def span(start: int, end: int, label: str | None = "PER") -> Span:
    return Span(start=start, end=end, label=label)


A = [span(0, 5), span(10, 15, "LOC"), span(20, 22)]
B = [span(0, 5), span(11, 15, "LOC"), span(30, 32), span(40, 41, "ORG")]


@pytest.mark.parametrize(
    ("first", "second", "mode", "use_labels", "precision", "recall", "f1"),
    [
        (A, B, "exact", True, 1 / 4, 1 / 3, 2 / 7),
        (A, B, "overlap", True, 2 / 4, 2 / 3, 4 / 7),
        (A, [span(0, 5, "ORG")], "exact", True, 0.0, 0.0, 0.0),
        (A, [span(0, 5, "ORG")], "exact", False, 1.0, 1 / 3, 0.5),
        (A, [span(3, 12, "PER")], "overlap", True, 1.0, 1 / 3, 0.5),
        (A, [span(3, 12, "PER")], "overlap", False, 1.0, 2 / 3, 0.8),
        # touching is not overlapping: [0, 5) and [5, 10) share no character
        ([span(0, 5)], [span(5, 10)], "overlap", True, 0.0, 0.0, 0.0),
        (A, [], "exact", True, None, 0.0, 0.0),
        ([], [], "overlap", True, None, None, None),
    ],
)
def test_span_f1(
    first: list[Span],
    second: list[Span],
    mode: str,
    use_labels: bool,
    precision: float | None,
    recall: float | None,
    f1: float | None,
) -> None:
    result = span_f1(first, second, mode, use_labels)  # type: ignore[arg-type]
    for got, want in (
        (result.precision, precision),
        (result.recall, recall),
        (result.f1, f1),
    ):
        assert got.value == (None if want is None else pytest.approx(want))


def test_exact_counts_duplicates_once_each() -> None:
    result = span_f1([span(0, 2), span(0, 2)], [span(0, 2)])
    assert (result.found_first, result.found_second) == (1, 1)
    assert result.recall.value == 0.5


def test_bad_mode() -> None:
    with pytest.raises(InvalidInput, match="mode"):
        span_f1(A, B, "fuzzy")  # type: ignore[arg-type]


def test_span_agreement_micro_average() -> None:
    docs = {
        1: {"ann": A, "bob": B},
        2: {"ann": [span(0, 1)], "bob": [span(0, 1)], "cy": []},
    }
    report = span_agreement(docs)
    assert report["ann", "bob"].precision.value == pytest.approx(2 / 5)
    assert report["ann", "bob"].recall.value == pytest.approx(2 / 4)
    assert report["ann", "cy"].recall.value == 0.0
    assert not report["ann", "cy"].precision.defined
    assert report["bob", "cy"].to_dict()["first_count"] == 1


def test_tokenize_and_token_labels() -> None:
    text = "Ann met Bob in Paris."
    tokens = tokenize(text)
    assert [text[s:e] for s, e in tokens] == ["Ann", "met", "Bob", "in", "Paris", "."]
    labels = token_labels(tokens, [span(0, 3), span(15, 20, "LOC"), span(8, 10, None)])
    assert labels == ["PER", "O", "span", "O", "LOC", "O"]


def test_token_kappa_two_annotators_equals_sklearn() -> None:
    text = "Ann met Bob in Paris and Rome ."
    first = [span(0, 3), span(8, 11), span(15, 20, "LOC")]
    second = [span(0, 3), span(15, 20, "LOC"), span(25, 29, "LOC")]
    result = token_kappa({1: text}, {1: {"a": first, "b": second}})
    tokens = tokenize(text)
    expected = cohen_kappa_score(
        token_labels(tokens, first), token_labels(tokens, second)
    )
    assert result.value == pytest.approx(expected, abs=1e-12)
    assert result.n == 8


def test_token_kappa_three_annotators_and_errors() -> None:
    text = "a b c d"
    same = [span(0, 1)]
    result = token_kappa({1: text}, {1: {"a": same, "b": same, "c": same}})
    assert result.value == 1.0
    nothing = token_kappa({1: text}, {1: {"a": [], "b": []}})
    assert not nothing.defined
    with pytest.raises(InvalidInput, match="no text"):
        token_kappa({}, {1: {"a": same}})

"""Gold accuracy per annotator."""

from __future__ import annotations

import pytest

from annotary.quality.gold import gold_accuracy


def test_gold_accuracy() -> None:
    answers = {
        1: {"ann": "cat", "bob": "dog", "cy": None},
        2: {"ann": "dog", "bob": "dog"},
        3: {"ann": "cat", "bob": "cat"},  # not a gold item
        4: {"cy": "cat"},  # not a gold item
        5: {"ann": {"a", "b"}, "bob": ["b", "a"], "cy": {"a"}},
    }
    gold = {1: "cat", 2: "dog", 5: frozenset({"a", "b"}), 6: "bird"}
    scores = gold_accuracy(answers, gold)
    assert scores["ann"].value == 1.0 and scores["ann"].n == 3
    assert scores["bob"].value == pytest.approx(2 / 3)
    assert scores["cy"].value == 0.0 and scores["cy"].n == 1


def test_annotator_without_gold_is_undefined() -> None:
    scores = gold_accuracy({1: {"ann": "x"}}, {2: "x"})
    assert scores["ann"].undefined_reason == "the annotator answered no gold item"

"""WER and CER against hand counts and jiwer."""

from __future__ import annotations

import jiwer
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from annotary.quality.transcripts import cer, edit_distance, transcript_agreement, wer


def naive_distance(a: str | list[str], b: str | list[str]) -> int:
    """The textbook full-table dynamic programme, as an independent check."""
    table = [
        [i + j if i * j == 0 else 0 for j in range(len(b) + 1)]
        for i in range(len(a) + 1)
    ]
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            table[i][j] = min(
                table[i - 1][j] + 1,
                table[i][j - 1] + 1,
                table[i - 1][j - 1] + (a[i - 1] != b[j - 1]),
            )
    return table[-1][-1]


@pytest.mark.parametrize(
    ("a", "b", "distance"),
    [
        ("kitten", "sitting", 3),
        ("flaw", "lawn", 2),
        ("", "abc", 3),
        ("abc", "", 3),
        ("", "", 0),
        ("same", "same", 0),
        ("ab", "ba", 2),
        ("intention", "execution", 5),
    ],
)
def test_edit_distance_known_pairs(a: str, b: str, distance: int) -> None:
    assert edit_distance(a, b) == distance


@settings(max_examples=300, deadline=None)
@given(st.text("abc ", max_size=25), st.text("abc ", max_size=25))
def test_edit_distance_equals_naive(a: str, b: str) -> None:
    assert edit_distance(a, b) == naive_distance(a, b)
    assert edit_distance(a.split(), b.split()) == naive_distance(a.split(), b.split())


@pytest.mark.parametrize(
    ("reference", "hypothesis", "rate", "n"),
    [
        # one substitution, one deletion, one insertion over six words
        ("the cat sat on the mat", "the bat sat on mat today", 3 / 6, 6),
        ("hello world", "hello world", 0.0, 2),
        ("a b", "x y z w", 2.0, 2),  # WER can exceed 1
        ("", "anything", None, 0),
        ("   ", "", None, 0),
    ],
)
def test_wer(reference: str, hypothesis: str, rate: float | None, n: int) -> None:
    result = wer(reference, hypothesis)
    assert result.value == (None if rate is None else pytest.approx(rate))
    assert result.n == n


def test_cer_collapses_whitespace() -> None:
    assert cer("ab  cd", "ab cd").value == 0.0
    assert cer("abcd", "abd").value == 0.25
    assert cer("", "").undefined_reason == "the reference transcript is empty"


words = st.lists(st.sampled_from(["a", "ab", "b", "ba", "c"]), min_size=1, max_size=15)


@settings(max_examples=200, deadline=None)
@given(words, st.lists(st.sampled_from(["a", "ab", "b", "ba", "c"]), max_size=15))
def test_wer_and_cer_match_jiwer(reference: list[str], hypothesis: list[str]) -> None:
    ref, hyp = " ".join(reference), " ".join(hypothesis)
    assert wer(ref, hyp).value == pytest.approx(jiwer.wer(ref, hyp), abs=1e-12)
    if hyp:
        assert cer(ref, hyp).value == pytest.approx(jiwer.cer(ref, hyp), abs=1e-12)


def test_transcript_agreement_pools_lengths() -> None:
    transcripts = {
        1: {"ann": "one two three four", "bob": "one two three for"},
        2: {"ann": "yes", "bob": "yes", "cy": "no"},
    }
    report = transcript_agreement(transcripts)
    assert report["ann", "bob"]["wer"].value == pytest.approx(1 / 5)
    assert report["ann", "bob"]["cer"].value == pytest.approx(1 / 21)  # "four" -> "for"
    assert report["ann", "cy"]["wer"].value == 1.0
    assert report["bob", "cy"]["cer"].n == 3

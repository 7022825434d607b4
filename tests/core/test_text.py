"""Grapheme-cluster boundaries of core.text, against hand-built examples."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from annotary.core.text import grapheme_starts, is_grapheme_boundary
from annotary.formats.tokenize import whitespace_punct_v2

FAMILY = "\U0001f469\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466"
WAVE_DARK = "\U0001f44b\U0001f3fd"  # waving hand, medium skin tone
FLAGS = "\U0001f1e9\U0001f1ea\U0001f1eb\U0001f1f7"  # DE then FR


@pytest.mark.parametrize(
    ("text", "starts"),
    [
        ("", [0]),
        ("ab", [0, 1, 2]),
        ("a\r\nb", [0, 1, 3, 4]),  # CR LF is one character
        ("e\u0301x", [0, 2, 3]),  # e + combining acute
        ("\n\u0301", [0, 1, 2]),  # a mark after a control stands alone
        (FAMILY + "!", [0, 7, 8]),
        (WAVE_DARK + " ", [0, 2, 3]),
        (FLAGS, [0, 2, 4]),
        (FLAGS[:2] + FLAGS[:1], [0, 2, 3]),  # a lone regional indicator
        ("\u2764\ufe0f", [0, 2]),  # heart + variation selector
        ("\u1100\u1161\u11a8\uac00", [0, 3, 4]),  # jamo L V T, then a syllable
        ("\u0915\u093f", [0, 2]),  # Devanagari ka + vowel sign i
        ("a\u200db", [0, 2, 3]),  # a joiner joins only pictographs
    ],
)
def test_grapheme_starts(text: str, starts: list[int]) -> None:
    assert grapheme_starts(text) == starts


@pytest.mark.parametrize(
    ("offset", "expected"),
    [(0, True), (1, False), (6, False), (7, True), (8, True), (-1, False), (9, False)],
)
def test_is_grapheme_boundary(offset: int, expected: bool) -> None:
    assert is_grapheme_boundary(FAMILY + "!", offset) is expected


# Without whitespace or controls (a mark after a space joins the space, and
# the tokenizer drops the space), every token of the grapheme-aware tokenizer
# starts and ends between characters.
_NO_SPACE = st.characters(exclude_categories=("Zs", "Zl", "Zp", "Cc", "Cs"))


@given(st.text(alphabet=_NO_SPACE, max_size=40))
def test_property_v2_tokens_start_and_end_on_boundaries(text: str) -> None:
    starts = set(grapheme_starts(text))
    assert {0, len(text)} <= starts
    for start, end in whitespace_punct_v2(text):
        assert start in starts and end in starts, (start, end)

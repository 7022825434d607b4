"""Named tokenizers for token formats (CoNLL, spaCy).

A tokenizer maps a text to ``(start, end)`` code-point offsets, never changing
the text. Both are deterministic and stateless; whitespace separates tokens
and is never part of one.

``whitespace_punct.v2`` (the default for new exports) works on user-perceived
characters (extended grapheme clusters, after Unicode UAX #29): a token is a
maximal run of word clusters (a letter, digit or underscore with its combining
marks) or one other non-space cluster. An emoji keeps its skin tone, variation
selector and zero-width-joiner sequence; a flag keeps both regional
indicators; a decomposed accent or an Indic vowel sign stays in its word.

``whitespace_punct.v1`` (kept so old exports can be reproduced) works on code
points: a token is a maximal run of word characters or one other non-space
code point, so it splits those clusters.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable

from annotary.errors import NotFound

Tokenizer = Callable[[str], list[tuple[int, int]]]

_WORD_OR_MARK = re.compile(r"\w+|[^\w\s]")


def whitespace_punct_v1(text: str) -> list[tuple[int, int]]:
    """Offsets of word runs and single punctuation marks.

    Example:
        >>> whitespace_punct_v1("Hi, Ada!")
        [(0, 2), (2, 3), (4, 7), (7, 8)]
    """
    return [match.span() for match in _WORD_OR_MARK.finditer(text)]


# Marks and joiners that extend the cluster before them (Grapheme_Cluster_Break
# Extend, SpacingMark and ZWJ): every Mn, Me and Mc code point of the running
# Python's Unicode data, plus these.
_EXTRA_EXTEND = [
    (0x200C, 0x200D),  # zero-width non-joiner, zero-width joiner
    (0xFF9E, 0xFF9F),  # halfwidth katakana sound marks
    (0x1F3FB, 0x1F3FF),  # emoji skin-tone modifiers
    (0xE0020, 0xE007F),  # tags (subdivision flags)
]
# Extended_Pictographic, to the block: it decides only what a zero-width
# joiner may join, so the few non-pictographs inside these ranges do not matter.
_PICTOGRAPHIC = [
    (0x00A9, 0x00A9),
    (0x00AE, 0x00AE),
    (0x203C, 0x203C),
    (0x2049, 0x2049),
    (0x2122, 0x2122),
    (0x2139, 0x2139),
    (0x2194, 0x2199),
    (0x21A9, 0x21AA),
    (0x231A, 0x231B),
    (0x2328, 0x2328),
    (0x2388, 0x2388),
    (0x23CF, 0x23CF),
    (0x23E9, 0x23F3),
    (0x23F8, 0x23FA),
    (0x24C2, 0x24C2),
    (0x25AA, 0x25AB),
    (0x25B6, 0x25B6),
    (0x25C0, 0x25C0),
    (0x25FB, 0x25FE),
    (0x2600, 0x27BF),
    (0x2934, 0x2935),
    (0x2B05, 0x2B07),
    (0x2B1B, 0x2B1C),
    (0x2B50, 0x2B50),
    (0x2B55, 0x2B55),
    (0x3030, 0x3030),
    (0x303D, 0x303D),
    (0x3297, 0x3297),
    (0x3299, 0x3299),
    (0x1F000, 0x1F1E5),
    (0x1F200, 0x1F3FA),
    (0x1F400, 0x1FFFD),
]
_REGIONAL_INDICATORS = (0x1F1E6, 0x1F1FF)


def _ranges(ranges: list[tuple[int, int]]) -> str:
    return "".join(
        re.escape(chr(a)) if a == b else f"{re.escape(chr(a))}-{re.escape(chr(b))}"
        for a, b in ranges
    )


def _extend_ranges() -> list[tuple[int, int]]:
    # Marks live below U+20000 and in the variation selectors supplement.
    code_points = [
        cp
        for cp in (*range(0x20000), *range(0xE0100, 0xE01F0))
        if unicodedata.category(chr(cp)) in ("Mn", "Me", "Mc")
    ]
    ranges: list[tuple[int, int]] = []
    for cp in code_points:
        if ranges and ranges[-1][1] == cp - 1:
            ranges[-1] = (ranges[-1][0], cp)
        else:
            ranges.append((cp, cp))
    return ranges + _EXTRA_EXTEND


@functools.cache
def _cluster_tokens() -> re.Pattern[str]:
    # Built on first use: scanning the Unicode data takes a few milliseconds.
    extend = f"[{_ranges(_extend_ranges())}]"
    not_zwj = rf"(?:(?!\u200d){extend})"
    pict = f"[{_ranges(_PICTOGRAPHIC)}]"
    flag = f"[{_ranges([_REGIONAL_INDICATORS])}]"
    word = rf"(?:\w{extend}*)+"
    emoji = rf"{pict}(?:{not_zwj}*\u200d{pict})*{extend}*"
    flags = f"{flag}{flag}?{extend}*"
    other = rf"[^\s]{extend}*"
    return re.compile(f"{word}|{emoji}|{flags}|{other}")


def whitespace_punct_v2(text: str) -> list[tuple[int, int]]:
    """Offsets of word runs and single other characters, grapheme-aware.

    Example:
        >>> text = "Hi 👋🏽 from 🇫🇷!"
        >>> [text[s:e] for s, e in whitespace_punct_v2(text)]
        ['Hi', '👋🏽', 'from', '🇫🇷', '!']
    """
    if text.isascii():
        return whitespace_punct_v1(text)
    return [match.span() for match in _cluster_tokens().finditer(text)]


TOKENIZERS: dict[str, Tokenizer] = {
    "whitespace_punct.v1": whitespace_punct_v1,
    "whitespace_punct.v2": whitespace_punct_v2,
}


def get_tokenizer(name: str) -> Tokenizer:
    """The tokenizer registered under ``name``.

    Raises:
        NotFound: no tokenizer has that name.
    """
    try:
        return TOKENIZERS[name]
    except KeyError:
        known = ", ".join(sorted(TOKENIZERS))
        raise NotFound(f"no tokenizer named {name!r}; known: {known}") from None

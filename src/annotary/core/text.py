"""Text offsets: code points (stored) against UTF-16 units (the browser), and
user-perceived characters (extended grapheme clusters, after Unicode UAX #29).

The grapheme rules here are the ones the ``whitespace_punct.v2`` tokenizer
builds on: a cluster is CR LF, one control character, an emoji with its
modifiers and zero-width-joiner sequence, a pair of regional indicators (a
flag), a Hangul syllable sequence, or any other character with the marks and
joiners that extend it. Prepend characters and Indic conjuncts are not joined,
so a boundary the standard would refuse there is accepted.
"""

from __future__ import annotations

import bisect
import functools
import re
import unicodedata
from typing import NamedTuple


def utf16_to_codepoint(text: str, offset: int) -> int:
    """Code-point index of a UTF-16 offset; an offset inside a pair is an error."""
    units = 0
    for index, char in enumerate(text):
        if units == offset:
            return index
        units += 2 if ord(char) > 0xFFFF else 1
        if units > offset:
            raise ValueError(f"UTF-16 offset {offset} falls inside a surrogate pair")
    if units == offset:
        return len(text)
    raise ValueError(f"UTF-16 offset {offset} is past the end of the text")


def codepoint_to_utf16(text: str, index: int) -> int:
    if not 0 <= index <= len(text):
        raise ValueError(f"offset {index} is outside the text of length {len(text)}")
    return index + sum(1 for char in text[:index] if ord(char) > 0xFFFF)


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
_REGIONAL_INDICATORS = [(0x1F1E6, 0x1F1FF)]
# Hangul jamo: leading consonants, vowels, trailing consonants; precomposed
# syllables are LV (no trailing consonant) or LVT.
_HANGUL_L = [(0x1100, 0x115F), (0xA960, 0xA97C)]
_HANGUL_V = [(0x1160, 0x11A7), (0xD7B0, 0xD7C6)]
_HANGUL_T = [(0x11A8, 0x11FF), (0xD7CB, 0xD7FB)]
_HANGUL_FIRST, _HANGUL_LAST = 0xAC00, 0xD7A3
_CONTROL = [(0x00, 0x1F), (0x7F, 0x9F), (0x2028, 0x2029)]


class GraphemeClasses(NamedTuple):
    """Regex character classes (with brackets) of the cluster rules."""

    extend: str
    pictographic: str
    regional: str


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
def grapheme_classes() -> GraphemeClasses:
    """The character classes, built on first use (a scan of the Unicode data
    takes a few milliseconds)."""
    return GraphemeClasses(
        extend=f"[{_ranges(_extend_ranges())}]",
        pictographic=f"[{_ranges(_PICTOGRAPHIC)}]",
        regional=f"[{_ranges(_REGIONAL_INDICATORS)}]",
    )


@functools.cache
def _cluster() -> re.Pattern[str]:
    classes = grapheme_classes()
    extend = classes.extend
    not_zwj = rf"(?:(?!\u200d){extend})"
    emoji = rf"{classes.pictographic}(?:{not_zwj}*\u200d{classes.pictographic})*"
    flag = f"{classes.regional}{classes.regional}?"
    lv = [(cp, cp) for cp in range(_HANGUL_FIRST, _HANGUL_LAST + 1, 28)]
    lvt = [(cp + 1, cp + 27) for cp in range(_HANGUL_FIRST, _HANGUL_LAST + 1, 28)]
    big_l, big_v, big_t = (f"[{_ranges(r)}]" for r in (_HANGUL_L, _HANGUL_V, _HANGUL_T))
    hangul = (
        rf"{big_l}*(?:{big_v}+|[{_ranges(lv)}]{big_v}*|[{_ranges(lvt)}]){big_t}*"
        rf"|{big_l}+|{big_t}+"
    )
    return re.compile(
        rf"\r\n|[{_ranges(_CONTROL)}]|(?:{emoji}|{flag}|{hangul}|.){extend}*",
        re.DOTALL,
    )


def grapheme_starts(text: str) -> list[int]:
    """Sorted offsets where user-perceived characters start, and ``len(text)``.

    Example:
        >>> grapheme_starts("e\\u0301!\\U0001f1e9\\U0001f1ea")
        [0, 2, 3, 5]
    """
    if text.isascii() and "\r\n" not in text:
        return list(range(len(text) + 1))
    starts = [match.start() for match in _cluster().finditer(text)]
    starts.append(len(text))
    return starts


def is_grapheme_boundary(
    text: str, offset: int, starts: list[int] | None = None
) -> bool:
    """Whether ``offset`` falls between two user-perceived characters.

    ``starts`` (from `grapheme_starts`) saves the scan when many offsets of
    one text are checked.

    Example:
        >>> is_grapheme_boundary("\\U0001f1e9\\U0001f1ea", 1)
        False
    """
    if not 0 <= offset <= len(text):
        return False
    if starts is None:
        starts = grapheme_starts(text)
    found = bisect.bisect_left(starts, offset)
    return found < len(starts) and starts[found] == offset

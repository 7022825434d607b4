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
from collections.abc import Callable

from annotary.core.text import grapheme_classes
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


@functools.cache
def _cluster_tokens() -> re.Pattern[str]:
    # Built on first use, from the grapheme rules of core.text.
    classes = grapheme_classes()
    extend = classes.extend
    not_zwj = rf"(?:(?!\u200d){extend})"
    pict = classes.pictographic
    flag = classes.regional
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

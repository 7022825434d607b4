"""Named tokenizers for token formats (CoNLL, spaCy).

A tokenizer maps a text to ``(start, end)`` code-point offsets, never changing
the text. ``whitespace_punct.v1``: a token is a maximal run of word characters
(Unicode letters, digits, underscore) or one single other non-space character;
whitespace separates tokens and is never part of one. It is deterministic and
has no state, so a given text always gives the same tokens.
"""

from __future__ import annotations

import re
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


TOKENIZERS: dict[str, Tokenizer] = {"whitespace_punct.v1": whitespace_punct_v1}


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

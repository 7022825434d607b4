"""Agreement between annotators' text spans.

Spans are ``[start, end)`` in code points (`annotary.core.regions.Span`).
Exact F1 counts a span as shared when the other annotator has one with the
same start, end and label. Overlap F1 counts a span as found when the other
annotator has one of the same label sharing at least one character. Token
kappa labels each token by the span covering it and compares the tokens.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal, TypeAlias

from annotary.core.regions import Span
from annotary.errors import InvalidInput
from annotary.quality.agreement import cohen_kappa, fleiss_kappa
from annotary.quality.pairs import shared_items
from annotary.quality.ratings import rating_table
from annotary.quality.result import MetricResult

Mode: TypeAlias = Literal["exact", "overlap"]
Tokenizer: TypeAlias = Callable[[str], Sequence[tuple[int, int]]]

OUTSIDE = "O"
_WORD = re.compile(r"\w+|[^\w\s]")


@dataclass(frozen=True, slots=True)
class SpanAgreement:
    """Span F1 between two annotators; the second plays "prediction".

    ``found_first`` counts the first annotator's spans the second also has
    (recall's numerator), ``found_second`` the reverse (precision's).
    """

    precision: MetricResult
    recall: MetricResult
    f1: MetricResult
    found_first: int
    found_second: int
    first_count: int
    second_count: int

    def to_dict(self) -> dict[str, object]:
        """Plain values for JSON."""
        return {
            "precision": self.precision.to_dict(),
            "recall": self.recall.to_dict(),
            "f1": self.f1.to_dict(),
            "found_first": self.found_first,
            "found_second": self.found_second,
            "first_count": self.first_count,
            "second_count": self.second_count,
        }


def span_f1(
    first: Sequence[Span],
    second: Sequence[Span],
    mode: Mode = "exact",
    use_labels: bool = True,
) -> SpanAgreement:
    """Span F1 between two annotators on one text.

    Args:
        first: One annotator's spans (the reference for recall).
        second: The other's spans (the reference for precision).
        mode: ``"exact"`` or ``"overlap"``.
        use_labels: Whether labels must agree too.

    Example:
        >>> a = [Span(start=0, end=5, label="PER"), Span(start=9, end=12, label="LOC")]
        >>> b = [Span(start=0, end=5, label="PER"), Span(start=9, end=11, label="LOC")]
        >>> span_f1(a, b).f1.value, span_f1(a, b, "overlap").f1.value
        (0.5, 1.0)
    """
    found_first, found_second = _found(first, second, mode, use_labels)
    return _agreement(found_first, found_second, len(first), len(second))


def span_agreement(
    spans: Mapping[Hashable, Mapping[Hashable, Sequence[Span]]],
    mode: Mode = "exact",
    use_labels: bool = True,
) -> dict[tuple[Hashable, Hashable], SpanAgreement]:
    """Micro-averaged span F1 for every pair of annotators sharing an item.

    Args:
        spans: ``item -> annotator -> spans``; only items both annotators of a
            pair annotated count (an empty list means "no spans here"), and
            pairs with no such item are left out.
        mode: ``"exact"`` or ``"overlap"``.
        use_labels: Whether labels must agree too.
    """
    report = {}
    for (a, b), shared in shared_items(spans).items():
        totals = [0, 0, 0, 0]
        for item in shared:
            row = spans[item]
            found = _found(row[a], row[b], mode, use_labels)
            counts = (*found, len(row[a]), len(row[b]))
            totals = [t + c for t, c in zip(totals, counts, strict=True)]
        report[a, b] = _agreement(*totals)
    return report


def tokenize(text: str) -> list[tuple[int, int]]:
    """Default tokens: runs of word characters, and each other non-space character.

    Example:
        >>> tokenize("Hi, Bo!")
        [(0, 2), (2, 3), (4, 6), (6, 7)]
    """
    return [match.span() for match in _WORD.finditer(text)]


def token_labels(tokens: Sequence[tuple[int, int]], spans: Sequence[Span]) -> list[str]:
    """Each token's label: that of the first span (by start) sharing a character.

    Tokens no span touches get ``"O"``; a span without a label counts as
    ``"span"``.
    """
    labels = [OUTSIDE] * len(tokens)
    for span in sorted(spans, key=lambda s: (s.start, s.end), reverse=True):
        for index, (start, end) in enumerate(tokens):
            if start < span.end and span.start < end:
                labels[index] = span.label or "span"
    return labels


def token_kappa(
    texts: Mapping[Hashable, str],
    spans: Mapping[Hashable, Mapping[Hashable, Sequence[Span]]],
    tokenizer: Tokenizer = tokenize,
) -> MetricResult:
    """Kappa over tokens labelled by the spans covering them (``"O"`` if none).

    Cohen's kappa with exactly two annotators, Fleiss' kappa with more. An
    annotator present for an item rates all of its tokens.

    Args:
        texts: ``item -> text``.
        spans: ``item -> annotator -> spans``.
        tokenizer: Text to ``(start, end)`` token offsets.

    Raises:
        InvalidInput: An item has spans but no text.
    """
    ratings: dict[Hashable, dict[Hashable, str]] = {}
    for item, by_annotator in spans.items():
        if item not in texts:
            raise InvalidInput(f"item {item!r} has spans but no text", item=str(item))
        tokens = tokenizer(texts[item])
        for annotator, drawn in by_annotator.items():
            for index, label in enumerate(token_labels(tokens, drawn)):
                ratings.setdefault((item, index), {})[annotator] = label

    table = rating_table(ratings)
    if len(table.annotators) == 2:
        return cohen_kappa(table, *table.annotators)
    return fleiss_kappa(table)


def _found(
    first: Sequence[Span], second: Sequence[Span], mode: Mode, use_labels: bool
) -> tuple[int, int]:
    def key(span: Span) -> tuple[int, int, str | None]:
        return span.start, span.end, span.label if use_labels else None

    if mode == "exact":
        shared = Counter(map(key, first)) & Counter(map(key, second))
        count = sum(shared.values())
        return count, count
    if mode == "overlap":
        return _overlapping(first, second, use_labels), _overlapping(
            second, first, use_labels
        )
    raise InvalidInput(f"mode must be 'exact' or 'overlap', not {mode!r}", mode=mode)


def _overlapping(
    spans: Sequence[Span], others: Sequence[Span], use_labels: bool
) -> int:
    return sum(
        any(
            s.start < o.end
            and o.start < s.end
            and (not use_labels or s.label == o.label)
            for o in others
        )
        for s in spans
    )


def _agreement(
    found_first: int, found_second: int, first_count: int, second_count: int
) -> SpanAgreement:
    precision = _share(
        found_second, second_count, "the second annotator marked no span"
    )
    recall = _share(found_first, first_count, "the first annotator marked no span")
    # With one side empty the other side's share is 0, so F1 is 0.
    p, r = precision.value or 0.0, recall.value or 0.0
    if first_count + second_count == 0:
        f1 = MetricResult.undefined("neither annotator marked a span")
    elif p + r == 0:
        f1 = MetricResult.of(0.0, first_count + second_count)
    else:
        f1 = MetricResult.of(2 * p * r / (p + r), first_count + second_count)
    return SpanAgreement(
        precision, recall, f1, found_first, found_second, first_count, second_count
    )


def _share(part: int, whole: int, reason: str) -> MetricResult:
    if whole == 0:
        return MetricResult.undefined(reason)
    return MetricResult.of(part / whole, whole)

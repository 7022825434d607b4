"""Word and character error rates between transcripts.

Both rates are Levenshtein edits (substitutions, deletions, insertions) over
the reference length. Words are whitespace-separated; characters are those of
the text with runs of whitespace collapsed to one space and the ends stripped.
Nothing else is normalised: case and punctuation count.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence

import numpy as np

from annotary.quality.pairs import shared_items
from annotary.quality.result import MetricResult

_EMPTY_REFERENCE = "the reference transcript is empty"


def edit_distance(reference: Sequence[Hashable], hypothesis: Sequence[Hashable]) -> int:
    """Levenshtein distance between two sequences (unit costs).

    Runs one vectorised row per reference token, so memory is linear and
    time is ``O(len(reference) * len(hypothesis))`` in numpy.

    Example:
        >>> edit_distance("kitten", "sitting")
        3
    """
    if not reference or not hypothesis:
        return max(len(reference), len(hypothesis))

    codes: dict[Hashable, int] = {}
    ref = np.array([codes.setdefault(t, len(codes)) for t in reference])
    hyp = np.array([codes.setdefault(t, len(codes)) for t in hypothesis])
    steps = np.arange(len(hyp) + 1)
    row = steps.copy()
    for i, token in enumerate(ref.tolist(), start=1):
        keep_or_swap = row[:-1] + (hyp != token)
        delete = row[1:] + 1
        candidate = np.concatenate([[i], np.minimum(keep_or_swap, delete)])
        # An insertion moves one step right at cost 1: a running minimum of
        # candidate[k] - k, shifted back by j, takes every chain of them.
        row = np.minimum.accumulate(candidate - steps) + steps
    return int(row[-1])


def wer(reference: str, hypothesis: str) -> MetricResult:
    """Word error rate of ``hypothesis`` against ``reference``.

    Example:
        >>> wer("the cat sat", "the cat sat down").value
        0.3333333333333333
    """
    words = reference.split()
    if not words:
        return MetricResult.undefined(_EMPTY_REFERENCE)
    return MetricResult.of(
        edit_distance(words, hypothesis.split()) / len(words), len(words)
    )


def cer(reference: str, hypothesis: str) -> MetricResult:
    """Character error rate of ``hypothesis`` against ``reference``.

    Example:
        >>> cer("abcd", "abd").value
        0.25
    """
    chars = _characters(reference)
    if not chars:
        return MetricResult.undefined(_EMPTY_REFERENCE)
    return MetricResult.of(
        edit_distance(chars, _characters(hypothesis)) / len(chars), len(chars)
    )


def transcript_agreement(
    transcripts: Mapping[Hashable, Mapping[Hashable, str]],
) -> dict[tuple[Hashable, Hashable], dict[str, MetricResult]]:
    """Pooled WER and CER for every pair of annotators sharing an item.

    The first annotator of a pair is the reference; edits and reference
    lengths are summed over the items both transcribed, so long items weigh
    more (the corpus-level rate).

    Args:
        transcripts: ``item -> annotator -> text``.

    Returns:
        ``(first, second) -> {"wer": ..., "cer": ...}``; pairs that share no
        item are left out.
    """
    report = {}
    for (a, b), items in shared_items(transcripts).items():
        shared = [transcripts[item] for item in items]
        word_edits = sum(edit_distance(r[a].split(), r[b].split()) for r in shared)
        words = sum(len(r[a].split()) for r in shared)
        char_edits = sum(
            edit_distance(_characters(r[a]), _characters(r[b])) for r in shared
        )
        chars = sum(len(_characters(r[a])) for r in shared)
        report[a, b] = {
            "wer": _rate(word_edits, words),
            "cer": _rate(char_edits, chars),
        }
    return report


def _characters(text: str) -> str:
    return " ".join(text.split())


def _rate(edits: int, length: int) -> MetricResult:
    if length == 0:
        return MetricResult.undefined(_EMPTY_REFERENCE)
    return MetricResult.of(edits / length, length)

"""Text checks: empty, length, mojibake, language, personal data, near duplicates."""

from __future__ import annotations

import logging
import re
import zlib
from collections import Counter
from collections.abc import Iterable, Iterator
from functools import lru_cache
from typing import Any

import ftfy
import numpy as np
from datasketch import MinHash, MinHashLSH

from annotary.clean.base import CheckInput, Flag, merge_params
from annotary.clean.clusters import Member, UnionFind, cluster_flags
from annotary.clean.duplicates import normalize_text
from annotary.errors import InvalidInput

log = logging.getLogger("annotary.clean")

TEXT = frozenset({"text"})
_BATCH = 2000  # texts shingled before their MinHash signatures are made


def _texts(inputs: Iterable[CheckInput]) -> Iterator[tuple[int, str]]:
    for entry in inputs:
        if entry.item.text is not None:
            yield entry.item.id, entry.item.text


class EmptyText:
    """Texts that are empty or white space only (score 1)."""

    name = "empty-text.v1"
    per_item = True  # judges each item alone: runs over chunks
    kinds = TEXT
    defaults: dict[str, Any] = {}

    def run(
        self, inputs: Iterable[CheckInput], *, params: dict[str, Any]
    ) -> Iterator[Flag]:
        merge_params(self.name, self.defaults, params)
        for entry in inputs:
            text = entry.item.text
            if entry.item.media is None and (text is None or not text.strip()):
                what = "no text" if not text else "white space only"
                yield Flag(
                    item_id=entry.item.id,
                    check=self.name,
                    score=1.0,
                    reason=what,
                    data={"length": len(text or "")},
                )


class TextLength:
    """Texts shorter than ``min_chars`` or longer than ``max_chars`` code points.

    Empty texts are left to ``empty-text``.
    """

    name = "text-length.v1"
    per_item = True  # judges each item alone: runs over chunks
    kinds = TEXT
    defaults: dict[str, Any] = {"min_chars": 3, "max_chars": 100_000}

    def run(
        self, inputs: Iterable[CheckInput], *, params: dict[str, Any]
    ) -> Iterator[Flag]:
        settings = merge_params(self.name, self.defaults, params)
        low, high = settings["min_chars"], settings["max_chars"]
        for item_id, text in _texts(inputs):
            length = len(text.strip())
            if 0 < length < low:
                score, reason = 1.0 - length / low, f"too short: {length} < {low} chars"
            elif length > high:
                score, reason = (
                    1.0 - high / length,
                    f"too long: {length} > {high} chars",
                )
            else:
                continue
            yield Flag(
                item_id=item_id,
                check=self.name,
                score=score,
                reason=reason,
                data={"length": length, "min_chars": low, "max_chars": high},
            )


class Mojibake:
    """Texts decoded with the wrong encoding, with ftfy's suggested repair.

    ``data["repair"]`` is the repaired text (offered, never applied here);
    ``data["steps"]`` lists ftfy's steps. Texts holding U+FFFD replacement
    characters lost bytes when decoded and have no repair.
    """

    name = "mojibake.v1"
    per_item = True  # judges each item alone: runs over chunks
    kinds = TEXT
    defaults: dict[str, Any] = {}

    def run(
        self, inputs: Iterable[CheckInput], *, params: dict[str, Any]
    ) -> Iterator[Flag]:
        merge_params(self.name, self.defaults, params)
        for item_id, text in _texts(inputs):
            flag = self._judge(item_id, text)
            if flag is not None:
                yield flag

    def _judge(self, item_id: int, text: str) -> Flag | None:
        repaired, steps = ftfy.fix_encoding_and_explain(text)
        if repaired != text:
            return Flag(
                item_id=item_id,
                check=self.name,
                score=1.0 if ftfy.badness.is_bad(text) else 0.6,
                reason="mis-decoded text (mojibake); a repair is suggested",
                data={
                    "repair": repaired,
                    "steps": [list(step) for step in steps or []],
                },
            )
        if "\ufffd" in text:
            return Flag(
                item_id=item_id,
                check=self.name,
                score=0.8,
                reason=f"{text.count(chr(0xFFFD))} replacement character(s): "
                "bytes were lost when decoding",
                data={"replacements": text.count("\ufffd")},
            )
        return None


@lru_cache(maxsize=1)
def _language_identifier() -> Any:
    # The model (4.5 MB, shipped inside py3langid) loads in about a second.
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def detect_language(text: str) -> tuple[str, float]:
    """ISO 639-1 code and probability from py3langid's bundled model.

    Example:
        >>> detect_language("Das ist ein schöner Tag zum Spazierengehen.")
        ('de', 0.99...)
    """
    language, confidence = _language_identifier().classify(text)
    return str(language), float(confidence)


class Language:
    """Texts confidently in a language other than the expected ones.

    ``languages`` lists the expected ISO 639-1 codes; when empty, the most
    common confident language of the texts is expected. Texts shorter than
    ``min_chars`` (20) are not judged, nor those whose detected language has a
    probability below ``min_confidence`` (0.9). The detector is py3langid's
    bundled model (4.5 MB, no download).
    """

    name = "language.v1"
    kinds = TEXT
    defaults: dict[str, Any] = {"languages": [], "min_chars": 20, "min_confidence": 0.9}

    def run(
        self, inputs: Iterable[CheckInput], *, params: dict[str, Any]
    ) -> Iterator[Flag]:
        settings = merge_params(self.name, self.defaults, params)
        found: dict[int, tuple[str, float]] = {}
        for item_id, text in _texts(inputs):
            if len(text.strip()) >= settings["min_chars"]:
                found[item_id] = detect_language(text)

        confident = {
            i: lang for i, (lang, p) in found.items() if p >= settings["min_confidence"]
        }
        expected = list(settings["languages"])
        if not expected and confident:
            expected = [Counter(confident.values()).most_common(1)[0][0]]

        for item_id, language in confident.items():
            if language not in expected:
                yield Flag(
                    item_id=item_id,
                    check=self.name,
                    score=found[item_id][1],
                    reason=f"language {language}, expected {' or '.join(expected)}",
                    data={
                        "language": language,
                        "confidence": found[item_id][1],
                        "expected": expected,
                    },
                )


_EMAIL = re.compile(
    r"(?<![\w.+-])[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b"
)
_PHONE = re.compile(
    r"(?<![\w+.-])(?:\+\d{1,3}[ .-]?)?(?:\(\d{1,5}\)[ .-]?)?"
    r"\d{2,5}(?:[ .-]\d{2,8}){1,4}(?![\w-])"
    r"|(?<![\w+])\+\d{8,15}\b"
)
_NOT_PHONE = re.compile(
    r"\d{4}[-.]\d{1,2}[-.]\d{1,2}"  # a date
    r"|\d{1,2}[-.]\d{1,2}[-.]\d{2,4}"  # a date
    r"|\d{1,3}(?:[.]\d{3})+"  # a number with thousands separators
)


def find_personal_data(text: str) -> list[tuple[int, int, str]]:
    """Spans ``(start, end, kind)`` of e-mail addresses and phone numbers.

    Offsets are code points of ``text``. A phone number has 8 to 15 digits,
    separated by spaces, dots or hyphens, or starts with ``+``; dates are not
    phone numbers, nor are numbers with thousands separators.

    Example:
        >>> find_personal_data("mail ann@example.org or call +44 20 7946 0958")
        [(5, 20, 'email'), (29, 45, 'phone')]
    """
    spans = [(m.start(), m.end(), "email") for m in _EMAIL.finditer(text)]
    taken = [(start, end) for start, end, _ in spans]
    for match in _PHONE.finditer(text):
        digits = sum(char.isdigit() for char in match.group())
        overlaps = any(
            match.start() < end and start < match.end() for start, end in taken
        )
        if (
            8 <= digits <= 15
            and not overlaps
            and not _NOT_PHONE.fullmatch(match.group())
        ):
            spans.append((match.start(), match.end(), "phone"))
    return sorted(spans)


class PersonalData:
    """Texts holding e-mail addresses or phone numbers.

    ``data["spans"]`` gives their code-point offsets; the flag does not
    repeat the addresses or numbers themselves.
    """

    name = "personal-data.v1"
    per_item = True  # judges each item alone: runs over chunks
    kinds = TEXT
    defaults: dict[str, Any] = {}

    def run(
        self, inputs: Iterable[CheckInput], *, params: dict[str, Any]
    ) -> Iterator[Flag]:
        merge_params(self.name, self.defaults, params)
        for item_id, text in _texts(inputs):
            spans = find_personal_data(text)
            if not spans:
                continue
            counts = Counter(kind for _, _, kind in spans)
            yield Flag(
                item_id=item_id,
                check=self.name,
                score=1.0,
                reason=", ".join(
                    f"{counts[k]} {label}"
                    for k, label in (
                        ("email", "e-mail address(es)"),
                        ("phone", "phone number(s)"),
                    )
                    if counts[k]
                ),
                data={"spans": [list(span) for span in spans], "counts": dict(counts)},
            )


def shingles(text: str, size: int) -> set[bytes]:
    """Character n-grams of the normalised text (the whole text if shorter).

    Example:
        >>> sorted(shingles("Abc D", 4))
        [b'abc ', b'bc d']
    """
    folded = normalize_text(text)
    if len(folded) <= size:
        return {folded.encode()} if folded else set()
    return {folded[i : i + size].encode() for i in range(len(folded) - size + 1)}


def _lsh(check: str, threshold: float, num_perm: int) -> MinHashLSH:
    # Candidates are verified against the threshold afterwards, so the bands
    # are tuned to miss few true pairs (false negatives weigh 0.95).
    if not 0.0 < threshold <= 1.0:
        raise InvalidInput(
            f"check {check}: threshold must be in (0, 1], got {threshold}",
            check=check,
        )
    try:
        return MinHashLSH(threshold=threshold, num_perm=num_perm, weights=(0.05, 0.95))
    except ValueError as error:
        raise InvalidInput(
            f"check {check}: threshold {threshold} with num_perm {num_perm} "
            f"cannot be banded: {error}",
            check=check,
        ) from error


class NearDuplicateText:
    """Texts whose character shingles overlap by Jaccard ``>= threshold``.

    MinHash signatures (datasketch) are bucketed by locality-sensitive
    hashing, banded as datasketch tunes it so that about 95% of pairs at the
    threshold meet; pairs are kept when their estimated Jaccard similarity
    reaches the threshold, then joined into clusters by union-find.

    Memory: the signatures live in one ``(texts, num_perm)`` array of 32-bit
    values (MinHash values fit in 32 bits) and each band is one 64-bit key
    per text, sorted to find the buckets; no per-text objects are kept.

    Parameters: ``threshold`` (0.8), ``num_perm`` permutations per signature
    (128), ``shingle`` characters per n-gram (5).
    """

    name = "near-duplicate-text.v1"
    kinds = TEXT
    defaults: dict[str, Any] = {"threshold": 0.8, "num_perm": 128, "shingle": 5}

    def run(
        self, inputs: Iterable[CheckInput], *, params: dict[str, Any]
    ) -> Iterator[Flag]:
        settings = merge_params(self.name, self.defaults, params)
        threshold = settings["threshold"]
        bands = _lsh(self.name, threshold, settings["num_perm"])
        ids, signatures = self._signatures(inputs, settings)
        if len(ids) < 2:
            return

        sets = UnionFind(len(ids))
        for bucket in _buckets(signatures, bands.b, bands.r):
            for place, index in enumerate(bucket[:-1]):
                others = bucket[place + 1 :]
                similar = (signatures[others] == signatures[index]).mean(axis=1)
                for other in others[similar >= threshold]:
                    sets.union(int(index), int(other))

        for members in sets.groups():
            yield from self._flags(ids, signatures, members)

    def _signatures(
        self, inputs: Iterable[CheckInput], settings: dict[str, Any]
    ) -> tuple[list[int], np.ndarray]:
        ids: list[int] = []
        parts: list[np.ndarray] = []
        grams: list[set[bytes]] = []
        # Shingle sets are large next to a signature: hash them a batch at a
        # time so that only the signatures of every text stay in memory.
        for item_id, text in _texts(inputs):
            found = shingles(text, settings["shingle"])
            if found:
                ids.append(item_id)
                grams.append(found)
                if len(grams) == _BATCH:
                    parts.append(self._bulk(grams, settings))
                    grams = []
        if grams:
            parts.append(self._bulk(grams, settings))
        if not parts:
            return ids, np.zeros((0, settings["num_perm"]), dtype=np.uint32)
        return ids, np.concatenate(parts)

    @staticmethod
    def _bulk(grams: list[set[bytes]], settings: dict[str, Any]) -> np.ndarray:
        # CRC-32 as the base hash: deterministic, and ten times cheaper than
        # datasketch's SHA-1; MinHash's own permutations spread it further.
        found = MinHash.bulk(grams, num_perm=settings["num_perm"], hashfunc=zlib.crc32)
        # MinHash values are below 2**32: 32 bits hold them exactly.
        return np.array([m.hashvalues for m in found], dtype=np.uint64).astype(
            np.uint32
        )

    def _flags(
        self, ids: list[int], signatures: np.ndarray, members: list[int]
    ) -> Iterator[Flag]:
        first = min(members, key=lambda m: ids[m])
        found: list[Member] = []
        for member in members:
            similarity = float((signatures[member] == signatures[first]).mean())
            reason = (
                f"nearly the same text as item {ids[first]} (Jaccard ~{similarity:.2f})"
            )
            found.append((ids[member], similarity, reason, {"jaccard": similarity}))
        yield from cluster_flags(self.name, found)


def _buckets(signatures: np.ndarray, bands: int, rows: int) -> Iterator[np.ndarray]:
    """Row indices of texts sharing a band: each band's ``rows`` values are
    folded into one 64-bit key (random odd multipliers, wrapping sums), the
    keys sorted, and every run of two or more equal keys is a bucket. Two
    different bands folding to the same key is left to the Jaccard test."""
    multipliers = np.random.default_rng(0x5EED).integers(
        1, 2**63, size=rows, dtype=np.uint64
    ) | np.uint64(1)
    for band in range(bands):
        part = signatures[:, band * rows : (band + 1) * rows].astype(np.uint64)
        keys = (part * multipliers).sum(axis=1, dtype=np.uint64)
        order = np.argsort(keys, kind="stable")
        ordered = keys[order]
        starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
        ends = np.r_[starts[1:], len(ordered)]
        for start, end in zip(starts, ends, strict=True):
            if end - start > 1:
                yield np.sort(order[start:end])


empty_text = EmptyText()
text_length = TextLength()
mojibake = Mojibake()
language = Language()
personal_data = PersonalData()
near_duplicate_text = NearDuplicateText()

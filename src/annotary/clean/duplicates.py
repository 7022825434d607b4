"""Exact duplicates: same bytes for files, same (normalised) text for texts."""

from __future__ import annotations

import hashlib
import logging
import unicodedata
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from annotary.clean.base import CheckInput, Flag, merge_params
from annotary.clean.clusters import cluster_flags
from annotary.core.models import DATA_KINDS

log = logging.getLogger("annotary.clean")

_CHUNK = 1 << 20


def normalize_text(text: str) -> str:
    """Text folded for comparison: Unicode NFC, case folded, white space collapsed.

    Example:
        >>> normalize_text("  Cafe\u0301\tLATTE \n")
        'café latte'
    """
    if text.isascii():
        return " ".join(text.lower().split())
    folded = unicodedata.normalize("NFC", unicodedata.normalize("NFC", text).casefold())
    return " ".join(folded.split())


def file_sha256(path: Path) -> str:
    """Hex SHA-256 of a file's bytes, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


class ExactDuplicates:
    """Items whose bytes, or whose text after normalising, are the same.

    Files are compared by content hash (the item's ``content_hash``, its media
    ``sha256``, or the SHA-256 of the local file). Texts are grouped by their
    normalised form (:func:`normalize_text`); within a group, ``data["exact"]``
    says whether the text is also identical, character for character, to the
    representative's. Empty texts are left to ``empty-text``.

    Parameters: ``normalize`` (True); False groups identical texts only.
    """

    name = "exact-duplicates.v1"
    kinds = frozenset(DATA_KINDS)
    defaults: dict[str, Any] = {"normalize": True}

    def run(
        self, inputs: Iterable[CheckInput], *, params: dict[str, Any]
    ) -> Iterator[Flag]:
        settings = merge_params(self.name, self.defaults, params)
        fold = normalize_text if settings["normalize"] else None
        first: dict[str, CheckInput] = {}
        copies: dict[str, list[CheckInput]] = {}

        # One flat pass: at a million items every call and allocation per item
        # shows, so a group's list is made only when a second member turns up.
        for entry in inputs:
            item = entry.item
            text = item.text
            if text is not None and item.media is None and entry.path is None:
                key = fold(text) if fold else text
                if not key or (not fold and not text.strip()):
                    continue
                key = "t" + key
            else:
                digest = self._file_key(entry)
                if digest is None:
                    continue
                key = "f" + digest
            seen = first.setdefault(key, entry)
            if seen is not entry:
                group = copies.get(key)
                if group is None:
                    copies[key] = [seen, entry]
                else:
                    group.append(entry)

        for key, group in copies.items():
            yield from self._flags(group, is_text=key[0] == "t")

    def _file_key(self, entry: CheckInput) -> str | None:
        item = entry.item
        if item.content_hash:
            return item.content_hash
        if item.media is not None and item.media.sha256:
            return item.media.sha256
        if entry.path is not None:
            try:
                return file_sha256(entry.path)
            except OSError as error:
                log.warning("item %s: cannot read %s: %s", item.id, entry.path, error)
        return None

    def _flags(self, group: list[CheckInput], is_text: bool) -> Iterator[Flag]:
        representative = min(group, key=lambda entry: entry.item.id).item
        if not is_text:
            reason = f"same bytes as item {representative.id}"
            same = [(e.item.id, 1.0, reason, {"exact": True}) for e in group]
            yield from cluster_flags(self.name, same)
            return

        exact = f"same text as item {representative.id}"
        folded = f"{exact} after folding case, white space and Unicode form"
        yield from cluster_flags(
            self.name,
            [
                (e.item.id, 1.0, exact, {"exact": True})
                if e.item.text == representative.text
                else (e.item.id, 0.9, folded, {"exact": False})
                for e in group
            ],
        )


exact_duplicates = ExactDuplicates()

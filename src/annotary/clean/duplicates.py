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
        text_groups: dict[str, list[int]] = {}
        file_groups: dict[str, list[int]] = {}
        texts: dict[int, str] = {}

        # One pass, kept flat: at a million items every call per item shows.
        for entry in inputs:
            item = entry.item
            text = item.text
            if text is not None and item.media is None and entry.path is None:
                key = fold(text) if fold else text
                if not key or (not fold and not text.strip()):
                    continue
                texts[item.id] = text
                groups, group_key = text_groups, key
            else:
                file_key = self._file_key(entry)
                if file_key is None:
                    continue
                groups, group_key = file_groups, file_key
            members = groups.get(group_key)
            if members is None:
                groups[group_key] = [item.id]
            else:
                members.append(item.id)

        for members in text_groups.values():
            if len(members) > 1:
                yield from self._flags(members, texts)
        for members in file_groups.values():
            if len(members) > 1:
                yield from self._flags(members, None)

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

    def _flags(
        self, members: list[int], texts: dict[int, str] | None
    ) -> Iterator[Flag]:
        representative = min(members)
        if texts is None:
            reason = f"same bytes as item {representative}"
            same = [(i, 1.0, reason, {"exact": True}) for i in members]
            yield from cluster_flags(self.name, same)
            return

        reference = texts[representative]
        exact = f"same text as item {representative}"
        folded = f"{exact} after folding case, white space and Unicode form"
        yield from cluster_flags(
            self.name,
            [
                (i, 1.0, exact, {"exact": True})
                if texts[i] == reference
                else (i, 0.9, folded, {"exact": False})
                for i in members
            ],
        )


exact_duplicates = ExactDuplicates()

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
        # Only 16-byte digests and ids are kept, never the items: memory stays
        # small however long the texts. A member is (item id, digest of its
        # exact text, or b"" for a file).
        first: dict[bytes, tuple[int, bytes]] = {}
        copies: dict[bytes, list[tuple[int, bytes]]] = {}

        # One flat pass: at a million items every call and allocation per item
        # shows, so a group's list is made only when a second member turns up.
        for entry in inputs:
            item = entry.item
            text = item.text
            if text is not None and item.media is None and entry.path is None:
                if fold:
                    folded = fold(text)
                    if not folded:
                        continue
                    exact = _digest(text)
                    key = b"t" + (exact if folded == text else _digest(folded))
                else:
                    if not text.strip():
                        continue
                    exact = _digest(text)
                    key = b"t" + exact
                member = (item.id, exact)
            else:
                digest = self._file_key(entry)
                if digest is None:
                    continue
                key = b"f" + digest.encode()
                member = (item.id, b"")
            seen = first.setdefault(key, member)
            if seen is not member:
                group = copies.get(key)
                if group is None:
                    copies[key] = [seen, member]
                else:
                    group.append(member)

        for key, group in copies.items():
            yield from self._flags(group, is_text=key[:1] == b"t")

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

    def _flags(self, group: list[tuple[int, bytes]], is_text: bool) -> Iterator[Flag]:
        representative, same_text = min(group)
        if not is_text:
            reason = f"same bytes as item {representative}"
            same = [(item_id, 1.0, reason, {"exact": True}) for item_id, _ in group]
            yield from cluster_flags(self.name, same)
            return

        exact = f"same text as item {representative}"
        folded = f"{exact} after folding case, white space and Unicode form"
        yield from cluster_flags(
            self.name,
            [
                (item_id, 1.0, exact, {"exact": True})
                if digest == same_text
                else (item_id, 0.9, folded, {"exact": False})
                for item_id, digest in group
            ],
        )


def _digest(text: str) -> bytes:
    return hashlib.blake2b(
        text.encode("utf-8", "surrogatepass"), digest_size=16
    ).digest()


exact_duplicates = ExactDuplicates()

"""Builders shared by the cleaning tests."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

from annotary.clean.base import CheckInput, Flag
from annotary.core.models import Item, MediaRef


def text_inputs(texts: Iterable[str | None], first_id: int = 1) -> list[CheckInput]:
    """One text item per string, ids counting up from ``first_id``."""
    return [
        CheckInput(Item(id=first_id + n, project_id=1, text=text))
        for n, text in enumerate(texts)
    ]


def file_input(item_id: int, path: Path, **media: object) -> CheckInput:
    """An item whose bytes are the local file ``path``."""
    ref = MediaRef(path=path.name, sha256="", size=path.stat().st_size, **media)
    return CheckInput(Item(id=item_id, project_id=1, media=ref), path)


def by_item(flags: Iterable[Flag]) -> dict[int, Flag]:
    """Flags keyed by item id; fails if an item has two flags of one check."""
    found: dict[int, Flag] = {}
    for flag in flags:
        assert flag.item_id not in found, f"two flags for item {flag.item_id}"
        found[flag.item_id] = flag
    return found


def assert_storable(flags: Iterable[Flag]) -> None:
    """The flags fit the ``flags`` table: JSON data, cluster up to 64 chars."""
    for flag in flags:
        json.dumps(flag.data, allow_nan=False)
        assert flag.cluster is None or len(flag.cluster) <= 64
        assert 0.0 <= flag.score <= 1.0
        assert flag.reason

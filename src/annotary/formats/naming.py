"""File names for exported images: stable, flat and unique within a folder."""

from __future__ import annotations

import re

from annotary.core import Item

_UNSAFE = re.compile(r"[^A-Za-z0-9._ -]+")


def image_name(item: Item) -> str:
    """The name an item's image is exported under (no folders in it)."""
    candidates = (
        item.meta.get("file_name"),
        item.media.original_name if item.media else None,
        item.media.path if item.media else None,
    )
    for candidate in candidates:
        if isinstance(candidate, str) and candidate.strip():
            name = candidate.replace("\\", "/").rsplit("/", 1)[-1]
            name = _UNSAFE.sub("_", name).strip(" .")
            if name:
                return name
    return str(item.id)


def unique_name(item: Item, taken: set[str]) -> str:
    """``image_name`` made unique among ``taken`` (prefixed with the item id)."""
    name = image_name(item)
    if name in taken:
        name = f"{item.id}_{name}"
    taken.add(name)
    return name


def safe_split(split: str | None, default: str = "train") -> str:
    """A split name usable as a folder name."""
    cleaned = _UNSAFE.sub("_", split or "").replace(" ", "_").strip("._")
    return cleaned or default


def file_stem(name: str, default: str = "project") -> str:
    """A project or snapshot name as the start of a download's file name.

    Runs of anything but ASCII letters, digits, ``_`` and ``.`` become one
    ``-``: "Demo: people & animals" -> "Demo-people-animals".
    """
    return re.sub(r"[^A-Za-z0-9_.]+", "-", name).strip("-.") or default
